// Scenario tests: drain (Server::StartDrain). A new Allocate is sent to an
// alternate with 300 Try Alternate (RFC 8489 §10, §14.15, §14.16) or
// refused 508 (RFC 8656 §7.2); what exists runs to its end.
#include <doctest/doctest.h>

#include "core/drain/alternate_choice.h"
#include "tests/core/scenario/test_server.h"
#include "tests/harness/printers.h"

namespace turnpike::core::testing {
namespace {

using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageView;
using stun::Method;
namespace ec = stun::error_code;

const TransportAddress kRelay4 = Addr("203.0.113.5:50000");
const TransportAddress kPeer = Addr("192.0.2.200:7000");
const TransportAddress kAlternateV6 = Addr("[2001:db8::7]:3478");
const TransportAddress kAlternateA = Addr("203.0.113.20:3478");
const TransportAddress kAlternateB = Addr("203.0.113.21:3478");

ServerConfig WithAlternates(std::vector<TransportAddress> alternates) {
  ServerConfig config = TestConfig();
  config.alternate_servers = std::move(alternates);
  return config;
}

auto Udp() {
  return [](MessageBuilder& b) { b.AddRequestedTransport(17); };
}

// FNV-1a-32 of the client's address bytes, computed independently (Python's
// ipaddress and the FNV constants): 192.0.2.10 → 0x706b93b5 (odd),
// 192.0.2.11 → 0x6f6b9222 (even), so with two IPv4 alternates .10 gets the
// second and .11 the first.
TEST_CASE("the alternate is picked by the FNV-1a hash of the client address") {
  CHECK(drain::ClientHash(*IpAddress::Parse("192.0.2.10")) == 0x706b93b5u);
  CHECK(drain::ClientHash(*IpAddress::Parse("192.0.2.11")) == 0x6f6b9222u);
  CHECK(drain::ClientHash(*IpAddress::Parse("2001:db8::10")) == 0x5f5aed57u);
  const std::vector<TransportAddress> alternates = {kAlternateV6, kAlternateA,
                                                    kAlternateB};
  CHECK(drain::ChooseAlternate(alternates, *IpAddress::Parse("192.0.2.10")) ==
        kAlternateB);
  CHECK(drain::ChooseAlternate(alternates, *IpAddress::Parse("192.0.2.11")) ==
        kAlternateA);
  // RFC 8489 §14.15: only the client's family is eligible.
  CHECK(drain::ChooseAlternate(alternates, *IpAddress::Parse("2001:db8::10")) ==
        kAlternateV6);
  const std::vector<TransportAddress> only_v6 = {kAlternateV6};
  CHECK_FALSE(drain::ChooseAlternate(only_v6, *IpAddress::Parse("192.0.2.10"))
                  .has_value());
}

TEST_CASE("a draining server answers a new Allocate 300 with the alternate") {
  TestServer server(WithAlternates({kAlternateV6, kAlternateA, kAlternateB}));
  server.users.Add("alice", "secret");
  server->StartDrain();
  CHECK(server->draining());
  for (const char* source : {"192.0.2.10:40000", "192.0.2.11:40000"}) {
    CAPTURE(source);
    const TransportAddress expected =
        std::string_view(source).starts_with("192.0.2.10") ? kAlternateB
                                                           : kAlternateA;
    TestClient client(server, ClientTuple(source), "alice", "secret");
    client.GetNonce();
    client.Send(client.Request(Method::kAllocate, Udp()));
    Expect(
        server,
        {Verdict(AuthOutcome::kAccepted),
         EventOf<AllocationError>(
             "AllocationError",
             [](const AllocationError& e) { CHECK(e.error_code == 300); }),
         Error(Method::kAllocate, ec::kTryAlternate, [&](const MessageView& m) {
           CHECK(m.AlternateServer() == expected);
           // RFC 8489 §10: after authentication, protected.
           CHECK(m.MessageIntegrity().has_value());
           // Not a TLS client: no ALTERNATE-DOMAIN.
           CHECK_FALSE(m.AlternateDomain().has_value());
         })});
  }
  CHECK(server->allocation_count() == 0);
  CHECK(server.quotas.total() == 0);
  CHECK(server->stats().drained_to_alternate == 2);
  CHECK(server->stats().errors_with_code(300) == 2);
}

TEST_CASE("a draining server without an alternate of the family answers 508") {
  // Only an IPv6 alternate: an IPv4 client cannot be sent there.
  TestServer server(WithAlternates({kAlternateV6}));
  server.users.Add("alice", "secret");
  server->StartDrain();
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.GetNonce();
  client.Send(client.Request(Method::kAllocate, Udp()));
  Expect(server, {Verdict(AuthOutcome::kAccepted),
                  EventOf<AllocationError>("AllocationError",
                                           [](const AllocationError& e) {
                                             CHECK(e.error_code == 508);
                                           }),
                  Error(Method::kAllocate, ec::kInsufficientCapacity,
                        [](const MessageView& m) {
                          CHECK_FALSE(m.AlternateServer().has_value());
                          CHECK(m.MessageIntegrity().has_value());
                        })});
  CHECK(server->allocation_count() == 0);
  CHECK(server->stats().drained_no_alternate == 1);
}

TEST_CASE("a draining server answers an unauthenticated Allocate 401 first") {
  TestServer server(WithAlternates({kAlternateA}));
  server.users.Add("alice", "secret");
  server->StartDrain();
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.Send(client.Unauthenticated(Method::kAllocate, Udp()));
  Expect(server, {Verdict(AuthOutcome::kChallenged),
                  Error(Method::kAllocate, ec::kUnauthenticated,
                        [](const MessageView& m) {
                          CHECK_FALSE(m.AlternateServer().has_value());
                        })});
  CHECK(server->stats().drained_to_alternate == 0);
}

TEST_CASE("a TLS or DTLS client gets ALTERNATE-DOMAIN with the alternate") {
  ServerConfig config = WithAlternates({kAlternateA});
  config.alternate_domain = "turn2.example.net";
  TestServer server(config);
  server.users.Add("alice", "secret");
  server->StartDrain();
  for (Transport transport :
       {Transport::kTls, Transport::kDtls, Transport::kTcp}) {
    CAPTURE(TransportName(transport));
    FiveTuple tuple = ClientTuple();
    tuple.transport = transport;
    tuple.connection = ConnectionId{7};
    TestClient client(server, tuple, "alice", "secret");
    client.GetNonce();
    client.Send(client.Request(Method::kAllocate, Udp()));
    const bool secure = transport != Transport::kTcp;
    Expect(
        server,
        {Verdict(AuthOutcome::kAccepted),
         EventOf<AllocationError>("AllocationError"),
         Error(Method::kAllocate, ec::kTryAlternate, [&](const MessageView& m) {
           CHECK(m.AlternateServer() == kAlternateA);
           if (secure) {
             CHECK(m.AlternateDomain() ==
                   std::optional<std::string_view>("turn2.example.net"));
           } else {
             CHECK_FALSE(m.AlternateDomain().has_value());
           }
         })});
  }
}

TEST_CASE("an alternate-domain of 255 bytes or none is refused at Create") {
  ServerConfig config = TestConfig();
  config.alternate_domain = std::string(255, 'a');
  TestServer reference;  // for its Deps
  Deps deps{&reference.random, &reference.users, &reference.hmac,
            &reference.quotas};
  CHECK_FALSE(Server::Create(config, deps).ok());
  config.alternate_domain = "";
  CHECK_FALSE(Server::Create(config, deps).ok());
  config.alternate_domain = std::string(254, 'a');
  CHECK(Server::Create(config, deps).ok());
}

TEST_CASE(
    "an allocation made before the drain refreshes and relays to its end") {
  TestServer server(WithAlternates({kAlternateA}));
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  const RelayId relay = client.Allocate(kRelay4);
  server->StartDrain();

  // Its 5-tuple keeps its allocation: another Allocate there is 437, not
  // a redirect (RFC 8656 §7.2 step 2 comes first).
  client.Send(client.Request(Method::kAllocate, Udp()));
  Expect(server, {Verdict(AuthOutcome::kAccepted),
                  EventOf<AllocationError>("AllocationError"),
                  Error(Method::kAllocate, ec::kAllocationMismatch)});
  // Permissions, channels and data in both directions.
  client.Permit(kPeer);
  client.Bind(0x4000, kPeer);
  const std::vector<uint8_t> payload = {1, 2, 3, 4};
  std::optional<Forward> to_client =
      server->HandlePeerDatagram(server.now, relay, kPeer, payload);
  REQUIRE(to_client.has_value());
  CHECK(to_client->payload.size() == payload.size());
  // Refresh works, and the old deadline no longer applies.
  server.Advance(std::chrono::seconds(500));
  server.Drain();  // the permission and channel expired meanwhile
  client.Send(client.Request(Method::kRefresh,
                             [](MessageBuilder& b) { b.AddLifetime(600); }));
  Expect(server, {Verdict(AuthOutcome::kAccepted), Success(Method::kRefresh)});
  server.Advance(std::chrono::seconds(200));
  CHECK(server->allocation_count() == 1);
  server.Drain();

  // A new client on another 5-tuple meanwhile goes to the alternate.
  TestClient other(server, ClientTuple("192.0.2.11:40000"), "alice", "secret");
  other.GetNonce();
  other.Send(other.Request(Method::kAllocate, Udp()));
  Expect(server, {Verdict(AuthOutcome::kAccepted),
                  EventOf<AllocationError>("AllocationError"),
                  Error(Method::kAllocate, ec::kTryAlternate)});

  // LIFETIME 0 ends it; the server is empty (what lets the process exit).
  client.GetNonce();
  client.Send(client.Request(Method::kRefresh,
                             [](MessageBuilder& b) { b.AddLifetime(0); }));
  server.Drain();
  CHECK(server->allocation_count() == 0);
  CHECK(server.quotas.total() == 0);
  CHECK(server->stats().drained_to_alternate == 1);
}

}  // namespace
}  // namespace turnpike::core::testing
