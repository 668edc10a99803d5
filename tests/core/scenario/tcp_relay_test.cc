// Scenario tests: RFC 6062 TCP relays. Allocate with REQUESTED-TRANSPORT
// TCP (§5.1), Connect (§5.2), peer connections accepted on the relayed
// address (§5.3), ConnectionBind (§5.4), their 30 s timers, the peer
// policy on every connection (pion/turn #570), and what goes when the
// allocation goes.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/policy/cidr.h"
#include "tests/core/scenario/test_server.h"
#include "tests/harness/printers.h"

namespace turnpike::core::testing {
namespace {

using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::MessageView;
using stun::Method;
namespace ec = stun::error_code;

const TransportAddress kRelay = Addr("203.0.113.5:50000");
const TransportAddress kPeer = Addr("192.0.2.200:7000");
const TransportAddress kPeer2 = Addr("192.0.2.201:7000");
constexpr uint8_t kTcp = 6;

// A TCP client connection from `client`, named `connection` by the
// runtime.
FiveTuple TcpTuple(uint64_t connection,
                   std::string_view client = "192.0.2.10:40000",
                   Transport transport = Transport::kTcp) {
  return FiveTuple{transport, Addr(client), Addr("198.51.100.1:3478"),
                   ListenerId{1}, ConnectionId{connection}};
}

ServerConfig TcpConfig() {
  ServerConfig config = TestConfig();
  config.listeners.push_back(
      {ListenerId{1}, Transport::kTcp, Addr("198.51.100.1:3478")});
  return config;
}

auto PeerAttribute(const TransportAddress& peer) {
  return [peer](MessageBuilder& b) {
    b.AddXorAddress(AttributeType::kXorPeerAddress, peer);
  };
}

auto ConnectionIdAttribute(uint32_t number) {
  return [number](MessageBuilder& b) { b.AddConnectionId(number); };
}

Expectation ConnectTo(const TransportAddress& peer, RelayId relay,
                      ConnectionId* id) {
  return {absl::StrCat("ConnectPeer to ", peer.ToString()),
          [=](const Command& c) {
            REQUIRE(std::holds_alternative<ConnectPeer>(c));
            const ConnectPeer& connect = std::get<ConnectPeer>(c);
            CHECK(connect.peer == peer);
            CHECK(connect.relay == relay);
            // types.h: the core names what it asks for with the high bit.
            CHECK((connect.id.value & ConnectionId::kCoreAssigned) != 0);
            *id = connect.id;
          }};
}

Expectation CloseConn(ConnectionId id) {
  return {absl::StrCat("CloseConnection ", id.value), [=](const Command& c) {
            REQUIRE(std::holds_alternative<CloseConnection>(c));
            CHECK(std::get<CloseConnection>(c).id == id);
          }};
}

Expectation Splice(ConnectionId client, ConnectionId peer) {
  return {absl::StrCat("SpliceConnections ", client.value, " ", peer.value),
          [=](const Command& c) {
            REQUIRE(std::holds_alternative<SpliceConnections>(c));
            CHECK(std::get<SpliceConnections>(c).client == client);
            CHECK(std::get<SpliceConnections>(c).peer == peer);
          }};
}

// A Transmit on connection `via` (a reply leaves on the connection the
// request came on).
Expectation On(ConnectionId via, Expectation inner) {
  return {inner.what + absl::StrCat(" on connection ", via.value),
          [=](const Command& c) {
            REQUIRE(std::holds_alternative<Transmit>(c));
            CHECK(std::get<Transmit>(c).via == SocketRef(via));
            inner.check(c);
          }};
}

// RFC 6062 §5.3: a ConnectionAttempt indication with XOR-PEER-ADDRESS and
// CONNECTION-ID, on the control connection.
Expectation Attempt(const TransportAddress& peer, ConnectionId control,
                    uint32_t* number) {
  return {"ConnectionAttempt indication", [=](const Command& c) {
            REQUIRE(std::holds_alternative<Transmit>(c));
            CHECK(std::get<Transmit>(c).via == SocketRef(control));
            const MessageView m = ParseTransmit(c);
            CHECK(m.message_class() == MessageClass::kIndication);
            CHECK(m.method() ==
                  static_cast<uint16_t>(Method::kConnectionAttempt));
            REQUIRE(m.XorPeerAddresses().size() == 1);
            CHECK(m.XorPeerAddresses().front() == peer);
            REQUIRE(m.ConnectionId().has_value());
            *number = *m.ConnectionId();
          }};
}

// A TCP allocation (an hour long) of alice on control connection 1.
struct TcpAllocated {
  TestServer server;
  TestClient control;
  RelayId relay;

  explicit TcpAllocated(ServerConfig config = TcpConfig())
      : server(std::move(config)),
        control(server, TcpTuple(1), "alice", "secret") {
    server.users.Add("alice", "secret");
    server.users.Add("bob", "secret");
    control.GetNonce();
    control.Send(control.Request(Method::kAllocate, [](MessageBuilder& b) {
      b.AddRequestedTransport(kTcp);
      b.AddLifetime(3600);
    }));
    Expect(server, {Verdict(AuthOutcome::kAccepted),
                    Open([&](const OpenRelay& o) {
                      // RFC 6062 §5.1: a TCP socket listening on the relayed
                      // address.
                      CHECK(o.transport == Transport::kTcp);
                      CHECK_FALSE(o.even_port);
                      CHECK_FALSE(o.reserve_id.has_value());
                      relay = o.id;
                    })});
    server->HandleRelayOpened(server.now, relay, kRelay);
    Expect(server,
           {EventOf<AllocationCreated>("AllocationCreated"),
            On(control.tuple.connection, Success(Method::kAllocate))});
  }

  // Connect to `peer`: ConnectPeer with the core's id.
  ConnectionId Connect(const TransportAddress& peer) {
    control.Send(control.Request(Method::kConnect, PeerAttribute(peer)));
    ConnectionId id;
    Expect(server,
           {Verdict(AuthOutcome::kAccepted), ConnectTo(peer, relay, &id)});
    return id;
  }
  // The runtime connected `id`: the Connect is answered with its
  // CONNECTION-ID.
  uint32_t Connected(ConnectionId id) {
    server->HandlePeerConnected(server.now, id);
    uint32_t number = 0;
    Expect(server, {On(control.tuple.connection,
                       Success(Method::kConnect, [&](const MessageView& m) {
                         REQUIRE(m.ConnectionId().has_value());
                         number = *m.ConnectionId();
                       }))});
    return number;
  }
  // A peer connected to the relayed address and was announced.
  uint32_t Accepted(ConnectionId id, const TransportAddress& peer) {
    server->HandlePeerConnectionAccepted(server.now, relay, id, peer);
    uint32_t number = 0;
    Expect(server, {Attempt(peer, control.tuple.connection, &number)});
    return number;
  }
  // A new client connection `data` binds `number` (alice's credentials).
  TestClient Bind(uint64_t data, uint32_t number, ConnectionId peer) {
    TestClient client(server, TcpTuple(data, "192.0.2.10:40100"), "alice",
                      "secret");
    client.GetNonce();
    client.Send(client.Request(Method::kConnectionBind,
                               ConnectionIdAttribute(number)));
    Expect(server, {Verdict(AuthOutcome::kAccepted),
                    On(ConnectionId{data}, Success(Method::kConnectionBind)),
                    Splice(ConnectionId{data}, peer)});
    return client;
  }
};

TEST_CASE("RFC 6062 TCP Allocate over UDP or DTLS is 400") {
  for (Transport transport : {Transport::kUdp, Transport::kDtls}) {
    CAPTURE(TransportName(transport));
    TestServer server(TcpConfig());
    server.users.Add("alice", "secret");
    FiveTuple tuple = ClientTuple();
    tuple.transport = transport;
    if (transport == Transport::kDtls) tuple.connection = ConnectionId{7};
    TestClient client(server, tuple, "alice", "secret");
    client.GetNonce();
    client.Send(client.Request(Method::kAllocate, [](MessageBuilder& b) {
      b.AddRequestedTransport(kTcp);
    }));
    Expect(server, {Verdict(AuthOutcome::kAccepted),
                    EventOf<AllocationError>("AllocationError"),
                    Error(Method::kAllocate, ec::kBadRequest)});
    CHECK(server->allocation_count() == 0);
  }
}

TEST_CASE(
    "RFC 6062 TCP Allocate with EVEN-PORT RESERVATION-TOKEN DONT-FRAGMENT or "
    "ADDITIONAL-ADDRESS-FAMILY is 400") {
  const std::vector<TestClient::Attributes> refused = {
      [](MessageBuilder& b) { b.AddEvenPort(false); },
      [](MessageBuilder& b) { b.AddEvenPort(true); },
      [](MessageBuilder& b) { b.AddReservationToken(0x0102030405060708); },
      [](MessageBuilder& b) { b.AddEmpty(AttributeType::kDontFragment); },
      [](MessageBuilder& b) { b.AddAdditionalAddressFamily(0x02); },
  };
  for (size_t i = 0; i < refused.size(); ++i) {
    CAPTURE(i);
    TestServer server(TcpConfig());
    server.users.Add("alice", "secret");
    TestClient client(server, TcpTuple(1), "alice", "secret");
    client.GetNonce();
    client.Send(client.Request(Method::kAllocate, [&](MessageBuilder& b) {
      b.AddRequestedTransport(kTcp);
      refused[i](b);
    }));
    Expect(server, {Verdict(AuthOutcome::kAccepted),
                    EventOf<AllocationError>("AllocationError"),
                    Error(Method::kAllocate, ec::kBadRequest)});
    CHECK(server->allocation_count() == 0);
  }
  // REQUESTED-ADDRESS-FAMILY only picks the family: granted.
  TestServer server(TcpConfig());
  server.users.Add("alice", "secret");
  TestClient client(server, TcpTuple(1), "alice", "secret");
  client.GetNonce();
  client.Send(client.Request(Method::kAllocate, [](MessageBuilder& b) {
    b.AddRequestedTransport(kTcp);
    b.AddRequestedAddressFamily(0x02);
  }));
  Expect(server, {Verdict(AuthOutcome::kAccepted), Open([](const OpenRelay& o) {
                    CHECK(o.transport == Transport::kTcp);
                    CHECK(o.family == AddressFamily::kIpv6);
                  })});
}

TEST_CASE(
    "RFC 6062 on a TCP allocation ChannelBind is 400 and Send indications "
    "and peer datagrams are dropped") {
  TcpAllocated a;
  a.control.Permit(kPeer);
  a.control.Send(a.control.Request(Method::kChannelBind, [](MessageBuilder& b) {
    b.AddChannelNumber(0x4000);
    b.AddXorAddress(AttributeType::kXorPeerAddress, kPeer);
  }));
  Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                    Error(Method::kChannelBind, ec::kBadRequest)});
  const std::vector<uint8_t> data = {1, 2, 3};
  CHECK_FALSE(a.control
                  .Send(a.control.Indication(Method::kSend,
                                             [&](MessageBuilder& b) {
                                               b.AddXorAddress(
                                                   AttributeType::kXorPeerAddress,
                                                   kPeer);
                                               b.AddBytes(AttributeType::kData,
                                                          data);
                                             }))
                  .has_value());
  CHECK_FALSE(a.server->HandlePeerDatagram(a.server.now, a.relay, kPeer, data)
                  .has_value());
  CHECK(a.server->stats().dropped(DropReason::kTcpAllocationData) == 2);
  ExpectNothing(a.server);
}

TEST_CASE(
    "RFC 6062 Connect gives a CONNECTION-ID and ConnectionBind on a new "
    "connection splices it") {
  TcpAllocated a;
  const size_t timers = a.server->deadline_count();
  const ConnectionId peer = a.Connect(kPeer);
  // The connect timer is one more entry.
  CHECK(a.server->deadline_count() == timers + 1);
  const uint32_t number = a.Connected(peer);
  CHECK(a.server->deadline_count() == timers + 1);
  TestClient data = a.Bind(2, number, peer);
  // Bound: no timer left for it.
  CHECK(a.server->deadline_count() == timers);
  // §5.4: the data connection carries no more STUN, and holds no
  // allocation.
  data.Send(data.Request(Method::kAllocate, [](MessageBuilder& b) {
    b.AddRequestedTransport(kTcp);
  }));
  ExpectNothing(a.server);
  CHECK(a.server->stats().dropped(DropReason::kDataConnection) == 1);
  CHECK(a.server->allocation_count() == 1);
  // Long after the bind timer would have run, nothing closes it.
  a.server.Advance(std::chrono::seconds(120));
  ExpectNothing(a.server);
}

TEST_CASE("RFC 6062 Connect without a permission is attempted") {
  // §5.2 names 437, 446, 400 and local policy (403); a TURN permission is
  // asked only of peers that connect in (§5.3). None is installed here.
  TcpAllocated a;
  const ConnectionId peer = a.Connect(kPeer);
  CHECK(peer.valid());
  // And none is installed by it: the same peer connecting in is refused.
  a.server->HandlePeerConnectionAccepted(a.server.now, a.relay,
                                         ConnectionId{50}, kPeer);
  Expect(a.server, {CloseConn(ConnectionId{50})});
  CHECK(a.server->stats().dropped(DropReason::kNoPermission) == 1);
}

TEST_CASE(
    "RFC 6062 Connect to a filtered or private peer or the server itself is "
    "403") {
  TcpAllocated a;
  for (const char* peer :
       {"10.0.0.1:80", "127.0.0.1:22",
        "169.254.169.254:80", "198.51.100.1:3478"}) {
    CAPTURE(peer);
    a.control.Send(
        a.control.Request(Method::kConnect, PeerAttribute(Addr(peer))));
    Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                      Error(Method::kConnect, ec::kForbidden)});
  }
  // A reload that denies the peer applies to the next Connect.
  PeerFilterRules rules = a.server.config.peer_rules;
  rules.deny.push_back(*Cidr::Parse("192.0.2.200/32"));
  a.server->SetPeerRules(rules);
  a.control.Send(a.control.Request(Method::kConnect, PeerAttribute(kPeer)));
  Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                    Error(Method::kConnect, ec::kForbidden)});
  // §5.2: no XOR-PEER-ADDRESS → 400; RFC 8656 §9.1: no relay of the
  // peer's family → 443.
  a.control.Send(a.control.Request(Method::kConnect));
  Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                    Error(Method::kConnect, ec::kBadRequest)});
  a.control.Send(a.control.Request(Method::kConnect,
                                   PeerAttribute(Addr("[2001:db8::9]:80"))));
  Expect(a.server,
         {Verdict(AuthOutcome::kAccepted),
          Error(Method::kConnect, ec::kPeerAddressFamilyMismatch)});
}

TEST_CASE("RFC 6062 Connect without a TCP allocation is 437 or 400") {
  TestServer server(TcpConfig());
  server.users.Add("alice", "secret");
  TestClient tcp(server, TcpTuple(1), "alice", "secret");
  tcp.GetNonce();
  tcp.Send(tcp.Request(Method::kConnect, PeerAttribute(kPeer)));
  Expect(server, {Verdict(AuthOutcome::kAccepted),
                  Error(Method::kConnect, ec::kAllocationMismatch)});
  // A UDP allocation has no TCP socket to connect from.
  TestClient udp(server, ClientTuple(), "alice", "secret");
  udp.Allocate(kRelay);
  udp.Send(udp.Request(Method::kConnect, PeerAttribute(kPeer)));
  Expect(server, {Verdict(AuthOutcome::kAccepted),
                  Error(Method::kConnect, ec::kBadRequest)});
}

TEST_CASE("RFC 6062 Connect to a peer already connecting or connected is 446") {
  TcpAllocated a;
  auto expect_446 = [&] {
    a.control.Send(a.control.Request(Method::kConnect, PeerAttribute(kPeer)));
    Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                      Error(Method::kConnect, ec::kConnectionAlreadyExists)});
  };
  const ConnectionId peer = a.Connect(kPeer);
  expect_446();  // still connecting
  const uint32_t number = a.Connected(peer);
  expect_446();  // waiting for its bind
  a.Bind(2, number, peer);
  expect_446();  // spliced
  // Another port of the same IP is another peer.
  a.Connect(Addr("192.0.2.200:7001"));
  // Once the spliced pair is gone, the peer may be connected again.
  a.server->HandlePeerConnectionClosed(a.server.now, peer);
  Expect(a.server, {CloseConn(ConnectionId{2})});
  a.Connect(kPeer);
}

TEST_CASE("RFC 6062 a failed connect is 447 and a late answer is closed") {
  TcpAllocated a;
  const ConnectionId peer = a.Connect(kPeer);
  a.server->HandlePeerConnectFailed(a.server.now, peer,
                                    absl::UnavailableError("refused"));
  Expect(a.server,
         {On(a.control.tuple.connection,
             Error(Method::kConnect, ec::kConnectionTimeoutOrFailure,
                   [&](const MessageView& m) {
                     // The Connect's own transaction, protected as it was.
                     CHECK(m.transaction_id() ==
                           a.control.last_transaction());
                     CHECK(m.MessageIntegrity().has_value());
                   }))});
  CHECK(a.server->deadline_count() == 1);  // the allocation's
  // A connection reported for a connect the core no longer wants is closed.
  a.server->HandlePeerConnected(a.server.now, peer);
  Expect(a.server, {CloseConn(peer)});
  // A peer connection that closes while connecting failed too.
  const ConnectionId again = a.Connect(kPeer);
  a.server->HandlePeerConnectionClosed(a.server.now, again);
  Expect(a.server,
         {Error(Method::kConnect, ec::kConnectionTimeoutOrFailure)});
}

TEST_CASE("RFC 6062 a connect still open after 30 s is 447 and closed") {
  TcpAllocated a;
  const MonoTime asked = a.server.now.mono;
  const ConnectionId peer = a.Connect(kPeer);
  a.server.AdvanceTo(asked + std::chrono::seconds(30) -
                     std::chrono::nanoseconds(1));
  ExpectNothing(a.server);
  a.server.AdvanceTo(asked + std::chrono::seconds(30));
  Expect(a.server,
         {Error(Method::kConnect, ec::kConnectionTimeoutOrFailure),
          CloseConn(peer)});
  // The runtime's late failure changes nothing.
  a.server->HandlePeerConnectFailed(a.server.now, peer,
                                    absl::DeadlineExceededError("late"));
  ExpectNothing(a.server);
}

TEST_CASE(
    "RFC 6062 a peer connecting in with a permission is announced in a "
    "ConnectionAttempt") {
  TcpAllocated a;
  a.control.Permit(kPeer);
  const ConnectionId peer{77};
  const uint32_t number = a.Accepted(peer, kPeer);
  CHECK(number != 0);
  // The permission is per IP: another port of it may connect too, under
  // another CONNECTION-ID.
  const TransportAddress other_port = Addr("192.0.2.200:7001");
  const uint32_t second = a.Accepted(ConnectionId{78}, other_port);
  CHECK(second != number);
  a.Bind(2, number, peer);
}

TEST_CASE(
    "RFC 6062 a peer connecting in without a permission or past the peer "
    "policy is closed") {
  TcpAllocated a;
  a.server->HandlePeerConnectionAccepted(a.server.now, a.relay,
                                         ConnectionId{70}, kPeer);
  Expect(a.server, {CloseConn(ConnectionId{70})});
  CHECK(a.server->stats().dropped(DropReason::kNoPermission) == 1);
  // Permitted, then denied by a reload: the policy wins (pion/turn #570).
  a.control.Permit(kPeer);
  PeerFilterRules rules = a.server.config.peer_rules;
  rules.deny.push_back(*Cidr::Parse("192.0.2.200/32"));
  a.server->SetPeerRules(rules);
  a.server->HandlePeerConnectionAccepted(a.server.now, a.relay,
                                         ConnectionId{71}, kPeer);
  Expect(a.server, {CloseConn(ConnectionId{71})});
  CHECK(a.server->stats().dropped(DropReason::kPeerFiltered) == 1);
  // A relay the core does not know (or a UDP one) is closed too.
  a.server->HandlePeerConnectionAccepted(a.server.now, RelayId{999},
                                         ConnectionId{72}, kPeer);
  Expect(a.server, {CloseConn(ConnectionId{72})});
  CHECK(a.server->stats().dropped(DropReason::kPeerConnectionRefused) == 1);
  CHECK(a.server->deadline_count() == 2);  // allocation and permission
}

TEST_CASE("RFC 6062 a peer connection not bound within 30 s is closed") {
  SUBCASE("accepted") {
    TcpAllocated a;
    a.control.Permit(kPeer);
    const MonoTime announced = a.server.now.mono;
    a.Accepted(ConnectionId{90}, kPeer);
    a.server.AdvanceTo(announced + std::chrono::seconds(30) -
                       std::chrono::nanoseconds(1));
    ExpectNothing(a.server);
    a.server.AdvanceTo(announced + std::chrono::seconds(30));
    Expect(a.server, {CloseConn(ConnectionId{90})});
  }
  SUBCASE("connected") {
    TcpAllocated a;
    const ConnectionId peer = a.Connect(kPeer);
    a.server.Advance(std::chrono::seconds(10));
    const MonoTime answered = a.server.now.mono;
    const uint32_t number = a.Connected(peer);
    // Counted from the success response, not from the Connect.
    a.server.AdvanceTo(answered + std::chrono::seconds(30) -
                       std::chrono::nanoseconds(1));
    ExpectNothing(a.server);
    a.server.AdvanceTo(answered + std::chrono::seconds(30));
    Expect(a.server, {CloseConn(peer)});
    // Too late to bind.
    TestClient late(a.server, TcpTuple(2, "192.0.2.10:40100"), "alice",
                    "secret");
    late.GetNonce();
    late.Send(late.Request(Method::kConnectionBind,
                           ConnectionIdAttribute(number)));
    Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                      Error(Method::kConnectionBind, ec::kBadRequest)});
  }
}

TEST_CASE(
    "RFC 6062 ConnectionBind with other credentials is 441 and with an "
    "unknown or bound CONNECTION-ID 400") {
  TcpAllocated a;
  const ConnectionId peer = a.Connect(kPeer);
  const uint32_t number = a.Connected(peer);

  TestClient bob(a.server, TcpTuple(2, "192.0.2.10:40100"), "bob", "secret");
  bob.GetNonce();
  bob.Send(bob.Request(Method::kConnectionBind, ConnectionIdAttribute(number)));
  Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                    Error(Method::kConnectionBind, ec::kWrongCredentials)});

  TestClient alice(a.server, TcpTuple(3, "192.0.2.10:40101"), "alice",
                   "secret");
  alice.GetNonce();
  for (auto attributes : std::vector<TestClient::Attributes>{
           ConnectionIdAttribute(number + 1), TestClient::Attributes{}}) {
    alice.Send(alice.Request(Method::kConnectionBind, attributes));
    Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                      Error(Method::kConnectionBind, ec::kBadRequest)});
  }
  // Not on the control connection: it holds the allocation.
  a.control.Send(a.control.Request(Method::kConnectionBind,
                                   ConnectionIdAttribute(number)));
  Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                    Error(Method::kConnectionBind, ec::kBadRequest)});
  // Not over UDP (§5.4), answered before any credential is looked at.
  TestClient udp(a.server, ClientTuple(), "alice", "secret");
  udp.Send(udp.Unauthenticated(Method::kConnectionBind,
                               ConnectionIdAttribute(number)));
  Expect(a.server, {Error(Method::kConnectionBind, ec::kBadRequest)});
  // Still pending after all that: alice binds it, and only once.
  alice.Send(
      alice.Request(Method::kConnectionBind, ConnectionIdAttribute(number)));
  Expect(a.server,
         {Verdict(AuthOutcome::kAccepted),
          On(ConnectionId{3}, Success(Method::kConnectionBind)),
          Splice(ConnectionId{3}, peer)});
  TestClient twice(a.server, TcpTuple(4, "192.0.2.10:40102"), "alice",
                   "secret");
  twice.GetNonce();
  twice.Send(
      twice.Request(Method::kConnectionBind, ConnectionIdAttribute(number)));
  Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                    Error(Method::kConnectionBind, ec::kBadRequest)});
}

TEST_CASE("RFC 6062 a connection closed mid-bind takes its pair with it") {
  SUBCASE("the peer closes before the bind") {
    TcpAllocated a;
    a.control.Permit(kPeer);
    const uint32_t number = a.Accepted(ConnectionId{90}, kPeer);
    a.server->HandlePeerConnectionClosed(a.server.now, ConnectionId{90});
    ExpectNothing(a.server);  // forgotten; the runtime closed it
    CHECK(a.server->deadline_count() == 2);
    TestClient data(a.server, TcpTuple(2, "192.0.2.10:40100"), "alice",
                    "secret");
    data.GetNonce();
    data.Send(
        data.Request(Method::kConnectionBind, ConnectionIdAttribute(number)));
    Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                      Error(Method::kConnectionBind, ec::kBadRequest)});
  }
  SUBCASE("the data connection closes after the bind") {
    TcpAllocated a;
    const ConnectionId peer = a.Connect(kPeer);
    TestClient data = a.Bind(2, a.Connected(peer), peer);
    a.server->HandleConnectionClosed(a.server.now, data.tuple);
    Expect(a.server, {CloseConn(peer)});
    // The allocation stays, and the peer may be connected again.
    CHECK(a.server->allocation_count() == 1);
    a.Connect(kPeer);
  }
  SUBCASE("the peer closes after the bind") {
    TcpAllocated a;
    const ConnectionId peer = a.Connect(kPeer);
    a.Bind(2, a.Connected(peer), peer);
    a.server->HandlePeerConnectionClosed(a.server.now, peer);
    Expect(a.server, {CloseConn(ConnectionId{2})});
    // The data connection is nobody's now: closing it again is quiet.
    a.server->HandleConnectionClosed(a.server.now,
                                     TcpTuple(2, "192.0.2.10:40100"));
    ExpectNothing(a.server);
  }
}

TEST_CASE(
    "RFC 6062 deleting a TCP allocation closes every peer and data "
    "connection") {
  // One connecting, one waiting for its bind, one spliced to data
  // connection 2: each is closed, the spliced one with its data
  // connection.
  struct Three {
    ConnectionId connecting, pending, bound;
  };
  auto build = [](TcpAllocated& a) {
    a.control.Permit(kPeer);
    Three t;
    t.bound = a.Connect(kPeer2);
    a.Bind(2, a.Connected(t.bound), t.bound);
    t.connecting = a.Connect(Addr("192.0.2.202:7000"));
    t.pending = ConnectionId{60};
    a.Accepted(t.pending, kPeer);
    return t;
  };
  auto closes = [](const std::vector<Command>& commands) {
    std::vector<ConnectionId> ids;
    for (const Command& c : commands) {
      if (const auto* close = std::get_if<CloseConnection>(&c)) {
        ids.push_back(close->id);
      }
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  auto expected = [](const Three& t) {
    std::vector<ConnectionId> ids = {t.connecting, t.pending, t.bound,
                                     ConnectionId{2}};
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  SUBCASE("the control connection closes") {
    TcpAllocated a;
    const Three t = build(a);
    a.server->HandleConnectionClosed(a.server.now, a.control.tuple);
    CHECK(closes(a.server.Drain()) == expected(t));
  }
  SUBCASE("Refresh with LIFETIME 0") {
    TcpAllocated a;
    const Three t = build(a);
    a.control.Send(a.control.Request(
        Method::kRefresh, [](MessageBuilder& b) { b.AddLifetime(0); }));
    CHECK(closes(a.server.Drain()) == expected(t));
  }
  SUBCASE("the lifetime runs out") {
    ServerConfig config = TcpConfig();
    config.peer_connect_timeout = std::chrono::seconds(7200);
    config.connection_bind_timeout = std::chrono::seconds(7200);
    TcpAllocated a(config);
    const Three t = build(a);
    a.server.Advance(std::chrono::seconds(3600));
    CHECK(closes(a.server.Drain()) == expected(t));
  }
  SUBCASE("shutdown") {
    TcpAllocated a;
    const Three t = build(a);
    a.server->Shutdown(a.server.now);
    CHECK(closes(a.server.Drain()) == expected(t));
  }
  // After any of them, nothing is left: no connection, no timer.
}

TEST_CASE("RFC 6062 peer connections per allocation are capped") {
  ServerConfig config = TcpConfig();
  config.max_connections_per_allocation = 2;
  TcpAllocated a(config);
  a.control.Permit(kPeer);
  a.Connect(kPeer);
  a.Accepted(ConnectionId{80}, kPeer);
  a.control.Send(a.control.Request(Method::kConnect, PeerAttribute(kPeer2)));
  Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                    Error(Method::kConnect, ec::kInsufficientCapacity)});
  a.server->HandlePeerConnectionAccepted(a.server.now, a.relay,
                                         ConnectionId{81}, kPeer);
  Expect(a.server, {CloseConn(ConnectionId{81})});
  CHECK(a.server->stats().dropped(DropReason::kPeerConnectionRefused) == 1);
  // A closed one makes room again.
  a.server->HandlePeerConnectionClosed(a.server.now, ConnectionId{80});
  a.Connect(kPeer2);
}

Expectation HandOff(ConnectionId connection, uint32_t worker) {
  return {absl::StrCat("HandOffConnection ", connection.value, " to worker ",
                       worker),
          [=](const Command& c) {
            REQUIRE(std::holds_alternative<HandOffConnection>(c));
            CHECK(std::get<HandOffConnection>(c).connection == connection);
            CHECK(std::get<HandOffConnection>(c).worker == worker);
          }};
}

TEST_CASE(
    "RFC 6062 ConnectionBind for another worker's CONNECTION-ID is handed "
    "off and its own is bound") {
  // Worker 1 of 2: every CONNECTION-ID it issues has the top bit set.
  ServerConfig config = TcpConfig();
  config.worker_index = 1;
  config.worker_count = 2;
  TcpAllocated a(config);
  a.control.Permit(kPeer);
  const ConnectionId peer = a.Connect(kPeer2);
  const uint32_t number = a.Connected(peer);
  CHECK((number >> 31) == 1u);
  const uint32_t attempt = a.Accepted(ConnectionId{70}, kPeer);
  CHECK((attempt >> 31) == 1u);

  // The same number with worker 0's prefix: that worker holds it, so the
  // connection goes there, unanswered, after authentication.
  const uint32_t foreign = number & 0x7FFFFFFFu;
  TestClient moved(a.server, TcpTuple(5, "192.0.2.10:40100"), "alice",
                   "secret");
  moved.GetNonce();
  moved.Send(
      moved.Request(Method::kConnectionBind, ConnectionIdAttribute(foreign)));
  Expect(a.server,
         {Verdict(AuthOutcome::kAccepted), HandOff(ConnectionId{5}, 0)});
  // Unauthenticated, it is challenged here first (the nonce is valid on
  // every worker): nothing moves for a request without credentials.
  TestClient stranger(a.server, TcpTuple(6, "192.0.2.10:40101"), "alice",
                      "secret");
  stranger.Send(stranger.Unauthenticated(Method::kConnectionBind,
                                         ConnectionIdAttribute(foreign)));
  Expect(a.server, {Verdict(AuthOutcome::kChallenged),
                    Error(Method::kConnectionBind, ec::kUnauthenticated)});

  // Its own numbers bind here, as with one worker.
  a.Bind(7, number, peer);
  a.Bind(8, attempt, ConnectionId{70});
}

TEST_CASE(
    "RFC 6062 a CONNECTION-ID naming no worker is 400 and the worker count "
    "is checked") {
  // Three workers take two bits; the fourth value names none of them.
  ServerConfig config = TcpConfig();
  config.worker_index = 0;
  config.worker_count = 3;
  TcpAllocated a(config);
  const ConnectionId peer = a.Connect(kPeer);
  const uint32_t number = a.Connected(peer);
  CHECK((number >> 30) == 0u);
  TestClient alice(a.server, TcpTuple(2, "192.0.2.10:40100"), "alice",
                   "secret");
  alice.GetNonce();
  alice.Send(alice.Request(Method::kConnectionBind,
                           ConnectionIdAttribute(number | 0xC0000000u)));
  Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                    Error(Method::kConnectionBind, ec::kBadRequest)});
  alice.Send(alice.Request(Method::kConnectionBind,
                           ConnectionIdAttribute(number | 0x80000000u)));
  Expect(a.server,
         {Verdict(AuthOutcome::kAccepted), HandOff(ConnectionId{2}, 2)});

  for (auto [index, count] : std::vector<std::pair<uint32_t, uint32_t>>{
           {0, 0}, {2, 2}, {0, 257}}) {
    ServerConfig bad = TcpConfig();
    bad.worker_index = index;
    bad.worker_count = count;
    CHECK_FALSE(Server::Create(bad, Deps{&a.server.random, &a.server.users,
                                         &a.server.hmac, &a.server.quotas})
                    .ok());
  }
}

}  // namespace
}  // namespace turnpike::core::testing
