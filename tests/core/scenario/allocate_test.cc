// Scenario tests: Allocate (RFC 8656 §7.1, §7.2) and allocation expiry.
#include <doctest/doctest.h>

#include "core/stun/integrity.h"
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
const TransportAddress kRelay6 = Addr("[2001:db8::5]:50002");

auto RequestUdp() {
  return [](MessageBuilder& b) { b.AddRequestedTransport(17); };
}

TEST_CASE("an Allocate without credentials is challenged (RFC 8489 §9.2.4)") {
  TestServer server;
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.Send(client.Unauthenticated(Method::kAllocate, RequestUdp()));
  Expect(server, {Verdict(AuthOutcome::kChallenged),
                  Error(Method::kAllocate, ec::kUnauthenticated,
                        [&](const MessageView& m) {
                          CHECK(m.Realm() == "turnpike");
                          REQUIRE(m.Nonce().has_value());
                          CHECK(m.Nonce()->substr(0, 9) == "obMatJos2");
                          auto algorithms = m.PasswordAlgorithms();
                          REQUIRE(algorithms.size() == 2);
                          CHECK(algorithms[0].algorithm == 0x0002);  // SHA-256
                          CHECK(algorithms[1].algorithm == 0x0001);  // MD5
                          // Nothing to protect a challenge with.
                          CHECK_FALSE(m.MessageIntegrity().has_value());
                          CHECK(m.Fingerprint().has_value());
                        })});
  CHECK(server->stats().errors_with_code(401) == 1);
  CHECK(server->allocation_count() == 0);
}

TEST_CASE("Allocate: relay opened, then success with every attribute") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.GetNonce();
  client.Send(client.Request(Method::kAllocate, RequestUdp()));
  RelayId relay;
  Expect(server,
         {Verdict(AuthOutcome::kAccepted), Open([&](const OpenRelay& o) {
            relay = o.id;
            CHECK(o.family == AddressFamily::kIpv4);
            CHECK_FALSE(o.even_port);
            CHECK_FALSE(o.reserve_id.has_value());
            CHECK_FALSE(o.dont_fragment);
          })});
  // RFC 8656 §7.2: no answer before the relay port is bound.
  CHECK(server->allocation_count() == 1);
  server->HandleRelayOpened(server.now, relay, kRelay4);
  const stun::HmacKey key = stun::LongTermKey(stun::PasswordAlgorithmId::kMd5,
                                              "alice", "turnpike", "secret");
  Expect(server, {EventOf<AllocationCreated>(
                      "AllocationCreated",
                      [&](const AllocationCreated& e) {
                        CHECK(e.subject.username == "alice");
                        CHECK(e.subject.realm == "turnpike");
                        CHECK(e.subject.five_tuple == client.tuple);
                        REQUIRE(e.relayed.size() == 1);
                        CHECK(e.relayed[0] == kRelay4);
                        CHECK(e.lifetime == std::chrono::seconds(600));
                      }),
                  Success(
                      Method::kAllocate,
                      [&](const MessageView& m) {
                        CHECK(m.transaction_id() == client.last_transaction());
                        auto relayed = m.XorRelayedAddresses();
                        REQUIRE(relayed.size() == 1);
                        CHECK(relayed[0] == kRelay4);
                        CHECK(m.Lifetime() == 600u);
                        CHECK(m.XorMappedAddress() == client.tuple.client);
                        CHECK(stun::CheckMessageIntegrity(m, key) ==
                              stun::IntegrityResult::kOk);
                        CHECK(m.Fingerprint().has_value());
                      },
                      client.tuple.client)});
  CHECK(server->NextDeadline() == server.now.mono + std::chrono::seconds(600));
}

TEST_CASE("a retransmitted Allocate gets the same response, byte for byte") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.GetNonce();
  const Encoded request = client.Request(Method::kAllocate, RequestUdp());
  client.Send(request);
  RelayId relay;
  Expect(server, {Verdict(AuthOutcome::kAccepted),
                  Open([&](const OpenRelay& o) { relay = o.id; })});
  // While the relay opens, the retransmission is absorbed: one OpenRelay
  // per allocation.
  client.Send(request);
  Expect(server, {Verdict(AuthOutcome::kAccepted)});
  CHECK(server->stats().dropped(DropReason::kRetransmitPending) == 1);

  server->HandleRelayOpened(server.now, relay, kRelay4);
  auto first = Expect(server, {EventOf<AllocationCreated>("created"),
                               Success(Method::kAllocate)});
  client.Send(request);
  auto again = Expect(
      server, {Verdict(AuthOutcome::kAccepted), Success(Method::kAllocate)});
  CHECK(std::get<Transmit>(again[1]).bytes ==
        std::get<Transmit>(first[1]).bytes);
  CHECK(server->allocation_count() == 1);
}

TEST_CASE("the cached Allocate response goes once the client moves on") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.GetNonce();
  const Encoded request = client.Request(Method::kAllocate, RequestUdp());
  client.Send(request);
  RelayId relay;
  Expect(server, {Verdict(AuthOutcome::kAccepted),
                  Open([&](const OpenRelay& o) { relay = o.id; })});
  server->HandleRelayOpened(server.now, relay, kRelay4);
  Expect(server, {EventOf<AllocationCreated>("created"),
                  Success(Method::kAllocate)});
  // A Refresh is another transaction: the client has its Allocate answer.
  client.Send(client.Request(Method::kRefresh));
  Expect(server, {Verdict(AuthOutcome::kAccepted), Success(Method::kRefresh)});
  // A late copy of the Allocate is absorbed, not answered with a 437 that
  // would contradict the success the client already holds.
  client.Send(request);
  Expect(server, {Verdict(AuthOutcome::kAccepted)});
  CHECK(server->stats().dropped(DropReason::kRetransmitPending) == 1);
  CHECK(server->allocation_count() == 1);
}

TEST_CASE("a second Allocate on the same 5-tuple is 437 (RFC 8656 §7.2)") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.Allocate(kRelay4);
  client.Send(client.Request(Method::kAllocate, RequestUdp()));
  Expect(server, {Verdict(AuthOutcome::kAccepted),
                  EventOf<AllocationError>("AllocationError",
                                           [](const AllocationError& e) {
                                             CHECK(e.error_code == 437);
                                           }),
                  Error(Method::kAllocate, ec::kAllocationMismatch,
                        [](const MessageView& m) {
                          // Authenticated: the error is protected too.
                          CHECK(m.MessageIntegrity().has_value());
                        })});
}

TEST_CASE(
    "REQUESTED-TRANSPORT: missing is 400, neither UDP nor TCP is 442 (RFC "
    "8656 §7.2, RFC 6062 §5.1)") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.GetNonce();
  client.Send(client.Request(Method::kAllocate));
  Expect(server, {Verdict(AuthOutcome::kAccepted),
                  EventOf<AllocationError>("AllocationError"),
                  Error(Method::kAllocate, ec::kBadRequest)});
  // ICMP (1) and SCTP (132): no relay speaks them.
  for (uint8_t protocol : {1, 132}) {
    client.Send(client.Request(Method::kAllocate, [&](MessageBuilder& b) {
      b.AddRequestedTransport(protocol);
    }));
    Expect(server,
           {Verdict(AuthOutcome::kAccepted),
            EventOf<AllocationError>("AllocationError"),
            Error(Method::kAllocate, ec::kUnsupportedTransportProtocol)});
  }
  CHECK(server->allocation_count() == 0);
}

TEST_CASE("LIFETIME is raised to the default and capped at the maximum") {
  struct Case {
    std::optional<uint32_t> requested;
    uint32_t granted;
  };
  for (const Case& c :
       {Case{std::nullopt, 600}, Case{0, 600}, Case{100, 600}, Case{1200, 1200},
        Case{3600, 3600}, Case{100000, 3600}}) {
    CAPTURE(c.requested.value_or(-1));
    TestServer server;
    server.users.Add("alice", "secret");
    TestClient client(server, ClientTuple(), "alice", "secret");
    client.GetNonce();
    client.Send(client.Request(Method::kAllocate, [&](MessageBuilder& b) {
      b.AddRequestedTransport(17);
      if (c.requested) b.AddLifetime(*c.requested);
    }));
    RelayId relay;
    Expect(server, {Verdict(AuthOutcome::kAccepted),
                    Open([&](const OpenRelay& o) { relay = o.id; })});
    server->HandleRelayOpened(server.now, relay, kRelay4);
    Expect(server, {EventOf<AllocationCreated>("created"),
                    Success(Method::kAllocate, [&](const MessageView& m) {
                      CHECK(m.Lifetime() == c.granted);
                    })});
  }
}

TEST_CASE("an allocation expires exactly at its deadline") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  const RelayId relay = client.Allocate(kRelay4);
  const MonoTime deadline = server.now.mono + std::chrono::seconds(600);
  REQUIRE(server->NextDeadline() == deadline);
  server.AdvanceTo(deadline - std::chrono::nanoseconds(1));
  ExpectNothing(server);
  CHECK(server->allocation_count() == 1);
  server.AdvanceTo(deadline);
  Expect(server, {EventOf<AllocationDeleted>("AllocationDeleted",
                                             [&](const AllocationDeleted& e) {
                                               CHECK(e.reason ==
                                                     DeleteReason::kExpired);
                                               REQUIRE(e.relayed.size() == 1);
                                               CHECK(e.relayed[0] == kRelay4);
                                             }),
                  Close(relay)});
  CHECK(server->allocation_count() == 0);
  CHECK_FALSE(server->NextDeadline().has_value());
}

TEST_CASE("a relay that cannot be bound is 508 and leaves nothing behind") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.GetNonce();
  client.Send(client.Request(Method::kAllocate, RequestUdp()));
  RelayId relay;
  Expect(server, {Verdict(AuthOutcome::kAccepted),
                  Open([&](const OpenRelay& o) { relay = o.id; })});
  server->HandleRelayFailed(server.now, relay,
                            absl::ResourceExhaustedError("no port"));
  Expect(server, {EventOf<AllocationError>("AllocationError",
                                           [](const AllocationError& e) {
                                             CHECK(e.error_code == 508);
                                           }),
                  Error(Method::kAllocate, ec::kInsufficientCapacity)});
  CHECK(server->allocation_count() == 0);
  CHECK(server.quotas.total() == 0);
}

}  // namespace
}  // namespace turnpike::core::testing

namespace turnpike::core::testing {
namespace {

TEST_CASE("DONT-FRAGMENT asks the runtime for DF on the relay socket") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.GetNonce();
  client.Send(
      client.Request(stun::Method::kAllocate, [](stun::MessageBuilder& b) {
        b.AddRequestedTransport(17);
        b.AddEmpty(stun::AttributeType::kDontFragment);
      }));
  Expect(server, {Verdict(AuthOutcome::kAccepted),
                  Open([](const OpenRelay& o) { CHECK(o.dont_fragment); })});
}

}  // namespace
}  // namespace turnpike::core::testing
