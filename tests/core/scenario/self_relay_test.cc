// Scenario tests: the relay never relays into the server itself (issue 13
// item 4; docs/security.md "The relay never relays into itself"). Clients
// of one server reach each other's relayed addresses, even on a private
// relay address the peer filter denies by default; the server's listening
// ports and any other port of its own addresses stay closed, even when the
// peer filter allows the IP.
#include <doctest/doctest.h>

#include <vector>

#include "core/policy/cidr.h"
#include "tests/core/scenario/test_server.h"
#include "tests/harness/printers.h"

namespace turnpike::core::testing {
namespace {

using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageView;
using stun::Method;
namespace ec = stun::error_code;

// A relay on a private address behind 1:1 NAT: 10.0.0.5 locally,
// 198.51.100.77 outside; it listens on 10.0.0.5:3478.
const TransportAddress kListener = Addr("10.0.0.5:3478");
const TransportAddress kRelayA = Addr("10.0.0.5:50000");
const TransportAddress kRelayB = Addr("10.0.0.5:50002");
const TransportAddress kExternalB = Addr("198.51.100.77:50002");

ServerConfig SelfConfig() {
  ServerConfig config = TestConfig();
  config.listeners = {{ListenerId{0}, Transport::kUdp, kListener}};
  config.own_addresses.relay = {kRelayA.ip, kExternalB.ip};
  config.own_addresses.relay_min_port = 49152;
  config.own_addresses.relay_max_port = 65535;
  return config;
}

TransportAddress At(const TransportAddress& address, uint16_t port) {
  return TransportAddress{address.ip, port};
}

// Two clients of one server, each with an allocation.
struct TwoClients {
  TestServer server;
  TestClient alice{server, ClientTuple("192.0.2.10:40000", "10.0.0.5:3478"),
                   "alice", "secret"};
  TestClient bob{server, ClientTuple("192.0.2.11:40000", "10.0.0.5:3478"),
                 "bob", "secret"};
  RelayId relay_a;
  RelayId relay_b;
  explicit TwoClients(ServerConfig config = SelfConfig()) : server(config) {
    server.users.Add("alice", "secret");
    server.users.Add("bob", "secret");
    relay_a = alice.Allocate(kRelayA);
    relay_b = bob.Allocate(kRelayB);
  }
  Encoded SendFromAlice(const TransportAddress& peer) {
    return alice.Indication(Method::kSend, [&](MessageBuilder& b) {
      b.AddXorAddress(AttributeType::kXorPeerAddress, peer);
      b.AddBytes(AttributeType::kData, std::vector<uint8_t>{1, 2, 3});
    });
  }
  // A CreatePermission from alice; the error code, or 0 on success.
  int PermitFromAlice(const TransportAddress& peer) {
    return Answer(
        alice.Request(Method::kCreatePermission, [&](MessageBuilder& b) {
          b.AddXorAddress(AttributeType::kXorPeerAddress, peer);
        }));
  }
  int BindFromAlice(uint16_t channel, const TransportAddress& peer) {
    return Answer(alice.Request(Method::kChannelBind, [&](MessageBuilder& b) {
      b.AddChannelNumber(channel);
      b.AddXorAddress(AttributeType::kXorPeerAddress, peer);
    }));
  }
  int Answer(const Encoded& request) {
    alice.Send(request);
    std::vector<Command> got = server.Drain();
    REQUIRE_FALSE(got.empty());
    const MessageView last = ParseTransmit(got.back());
    return last.ErrorCode() ? last.ErrorCode()->code : 0;
  }
  uint64_t own_port_drops() {
    return server->stats().dropped(DropReason::kOwnPort);
  }
};

TEST_CASE(
    "two clients of one server reach each other's relayed addresses on a "
    "private relay address the filter denies by default") {
  TwoClients t;
  // 10.0.0.5 is RFC 1918, denied by default, but it is the relay's own.
  CHECK(t.PermitFromAlice(kRelayB) == 0);
  std::optional<Forward> out = t.alice.Send(t.SendFromAlice(kRelayB));
  REQUIRE(out.has_value());
  CHECK(std::get<RelayId>(out->via) == t.relay_a);
  CHECK(out->to == kRelayB);
  // The datagram arrives at bob's relay from alice's relayed address;
  // bob's permission for the relay IP lets it through to bob.
  t.bob.Permit(kRelayA);
  std::optional<Forward> in = t.server->HandlePeerDatagram(
      t.server.now, t.relay_b, kRelayA, std::vector<uint8_t>{1, 2, 3});
  REQUIRE(in.has_value());
  CHECK(in->to == t.bob.tuple.client);
  // Over a channel as well.
  CHECK(t.BindFromAlice(0x4000, kRelayB) == 0);
  CHECK(t.own_port_drops() == 0);
  t.server->CheckInvariants();
}

TEST_CASE("the external address of a relay behind 1:1 NAT is reachable too") {
  ServerConfig config = SelfConfig();
  config.peer_rules = {};  // no test allowances: 198.51.100/24 denied
  TwoClients t(config);
  CHECK(t.PermitFromAlice(kExternalB) == 0);
  CHECK(t.alice.Send(t.SendFromAlice(kExternalB)).has_value());
}

TEST_CASE("only the relay's own address is opened, not its neighbours") {
  TwoClients t;
  CHECK(t.PermitFromAlice(Addr("10.0.0.6:50002")) == ec::kForbidden);
  CHECK(t.PermitFromAlice(Addr("[::ffff:10.0.0.5]:50002")) ==
        ec::kPeerAddressFamilyMismatch);
}

TEST_CASE("an operator deny rule on the relay address still wins") {
  ServerConfig config = SelfConfig();
  config.peer_rules.deny = {*Cidr::Parse("10.0.0.5/32")};
  TwoClients t(config);
  CHECK(t.PermitFromAlice(kRelayB) == ec::kForbidden);
}

TEST_CASE(
    "a Send indication to the server's listening port is refused and "
    "counted") {
  TwoClients t;
  // The permission is per IP, so it is granted (the relay port range of
  // the same IP must stay reachable)...
  CHECK(t.PermitFromAlice(kListener) == 0);
  // ...but a datagram to the listener never leaves: it would come back as
  // the server's own answer, or make a nested allocation.
  CHECK_FALSE(t.alice.Send(t.SendFromAlice(kListener)).has_value());
  CHECK(t.own_port_drops() == 1);
  // ChannelBind names the port, so it is refused up front.
  CHECK(t.BindFromAlice(0x4000, kListener) == ec::kForbidden);
  ExpectNothing(t.server);
}

TEST_CASE("any other port of the server's own address is refused") {
  TwoClients t;
  CHECK(t.PermitFromAlice(kRelayB) == 0);
  for (uint16_t port : {22, 53, 8080, 49151}) {
    CAPTURE(port);
    CHECK_FALSE(t.alice.Send(t.SendFromAlice(At(kRelayB, port))).has_value());
  }
  CHECK(t.own_port_drops() == 4);
  // The edges of the relay range are open.
  CHECK(t.alice.Send(t.SendFromAlice(At(kRelayB, 49152))).has_value());
  CHECK(t.alice.Send(t.SendFromAlice(At(kRelayB, 65535))).has_value());
}

TEST_CASE("datagrams from the server's own non-relay ports are refused") {
  TwoClients t;
  t.bob.Permit(kRelayA);
  // From the listener (a response the server was tricked into sending to
  // a relayed address) and from another local service.
  for (uint16_t port : {3478, 22}) {
    CAPTURE(port);
    CHECK_FALSE(t.server
                    ->HandlePeerDatagram(t.server.now, t.relay_b,
                                         At(kRelayA, port),
                                         std::vector<uint8_t>{1})
                    .has_value());
  }
  CHECK(t.own_port_drops() == 2);
}

TEST_CASE(
    "with loopback allowed, its listening and other ports stay closed while "
    "its relay ports open") {
  ServerConfig config = SelfConfig();
  config.peer_rules.allow.push_back(*Cidr::Parse("127.0.0.0/8"));
  TwoClients t(config);
  const TransportAddress loopback = Addr("127.0.0.1:3478");
  CHECK(t.PermitFromAlice(loopback) == 0);
  CHECK(t.PermitFromAlice(Addr("127.0.0.2:6379")) == 0);
  CHECK_FALSE(t.alice.Send(t.SendFromAlice(loopback)).has_value());
  CHECK_FALSE(
      t.alice.Send(t.SendFromAlice(Addr("127.0.0.2:6379"))).has_value());
  CHECK(t.own_port_drops() == 2);
  CHECK(t.alice.Send(t.SendFromAlice(Addr("127.0.0.1:50002"))).has_value());
}

TEST_CASE("the unspecified address reaches the host and is closed too") {
  ServerConfig config = SelfConfig();
  config.peer_rules.deny_special_ranges = false;
  TwoClients t(config);
  CHECK(t.PermitFromAlice(Addr("0.0.0.0:3478")) == 0);
  CHECK_FALSE(t.alice.Send(t.SendFromAlice(Addr("0.0.0.0:3478"))).has_value());
  CHECK(t.own_port_drops() == 1);
}

TEST_CASE("a listener inside the relay port range is still closed") {
  ServerConfig config = SelfConfig();
  config.listeners.push_back(
      {ListenerId{1}, Transport::kUdp, Addr("10.0.0.5:50001")});
  TwoClients t(config);
  CHECK(t.PermitFromAlice(kRelayB) == 0);
  CHECK_FALSE(
      t.alice.Send(t.SendFromAlice(Addr("10.0.0.5:50001"))).has_value());
  CHECK(t.own_port_drops() == 1);
  CHECK(t.BindFromAlice(0x4001, Addr("10.0.0.5:50001")) == ec::kForbidden);
  CHECK(t.alice.Send(t.SendFromAlice(kRelayB)).has_value());
}

TEST_CASE("the host's other addresses (a wildcard listener) are closed too") {
  ServerConfig config = SelfConfig();
  config.own_addresses.host = {*IpAddress::Parse("192.168.1.9")};
  config.peer_rules.allow.push_back(*Cidr::Parse("192.168.0.0/16"));
  TwoClients t(config);
  const TransportAddress host = Addr("192.168.1.9:8080");
  const TransportAddress neighbour = Addr("192.168.1.10:8080");
  CHECK(t.PermitFromAlice(host) == 0);
  CHECK(t.PermitFromAlice(neighbour) == 0);
  CHECK_FALSE(t.alice.Send(t.SendFromAlice(host)).has_value());
  CHECK(t.own_port_drops() == 1);
  CHECK(t.alice.Send(t.SendFromAlice(neighbour)).has_value());
}

TEST_CASE("a relay port range that is empty is a configuration error") {
  ServerConfig config = SelfConfig();
  config.own_addresses.relay_min_port = 60000;
  config.own_addresses.relay_max_port = 50000;
  CounterRandom random;
  FakeCredentials users;
  HmacAuthenticator hmac;
  LocalQuotaLedger quotas;
  auto created = Server::Create(config, Deps{&random, &users, &hmac, &quotas});
  REQUIRE_FALSE(created.ok());
  CHECK(created.status().message().find("min-port") != std::string_view::npos);
}

}  // namespace
}  // namespace turnpike::core::testing
