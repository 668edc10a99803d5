// Scenario tests: answers to requests that proved no password are limited
// per source (core/policy/source_rate_limiter.h) and kept minimal, while
// authenticated requests from the same source are answered in full.
#include <doctest/doctest.h>

#include <chrono>

#include "tests/core/scenario/test_server.h"

namespace turnpike::core::testing {
namespace {

using stun::MessageBuilder;
using stun::MessageView;
using stun::Method;

const TransportAddress kRelay4 = Addr("203.0.113.5:50000");

// Sends `count` unauthenticated Allocates as `client` at the server's
// current time; returns how many 401s came back (each with its verdict).
int FloodCount(TestServer& server, TestClient& client, int count) {
  int answered = 0;
  for (int i = 0; i < count; ++i) {
    client.Send(client.Unauthenticated(Method::kAllocate));
    for (const Command& c : server.Drain()) {
      if (std::holds_alternative<Transmit>(c)) ++answered;
    }
  }
  return answered;
}

ServerConfig LimitedConfig() {
  ServerConfig config = TestConfig();
  config.unauthenticated_rate = 10;
  config.unauthenticated_burst = 4;
  return config;
}

TEST_CASE("a flood from one source gets the burst then one 401 per interval") {
  TestServer server(LimitedConfig());
  TestClient flooder(server, ClientTuple("192.0.2.66:1000"), "x", "y");
  CHECK(FloodCount(server, flooder, 50) == 4);
  CHECK(server->stats().dropped(DropReason::kUnauthenticatedLimited) == 46);
  // The verdict is still reported for each (the runtime aggregates them).
  flooder.Send(flooder.Unauthenticated(Method::kAllocate));
  Expect(server, {Verdict(AuthOutcome::kChallenged)});
  // 1 / rate later, exactly one more answer.
  server.Advance(std::chrono::milliseconds(99));
  CHECK(FloodCount(server, flooder, 5) == 0);
  server.Advance(std::chrono::milliseconds(1));
  CHECK(FloodCount(server, flooder, 5) == 1);
  // Another port of the same address shares the budget; another address
  // does not.
  TestClient same_ip(server, ClientTuple("192.0.2.66:2000"), "x", "y");
  CHECK(FloodCount(server, same_ip, 5) == 0);
  TestClient other(server, ClientTuple("192.0.2.67:1000"), "x", "y");
  CHECK(FloodCount(server, other, 50) == 4);
}

TEST_CASE("authenticated requests from a limited source are still answered") {
  TestServer server(LimitedConfig());
  server.users.Add("alice", "secret");
  TestClient alice(server, ClientTuple("192.0.2.10:40000"), "alice", "secret");
  alice.GetNonce();  // one answer of the burst
  TestClient flooder(server, ClientTuple("192.0.2.10:40001"), "x", "y");
  CHECK(FloodCount(server, flooder, 20) == 3);
  // The source has no unauthenticated budget left, yet alice allocates.
  alice.Allocate(kRelay4);
  CHECK(server->allocation_count() == 1);
  // A wrong password proved nothing: limited like any other 401.
  TestClient wrong(server, ClientTuple("192.0.2.10:40002"), "alice", "bad");
  wrong.nonce = alice.nonce;
  wrong.Send(wrong.Request(Method::kRefresh));
  Expect(server, {Verdict(AuthOutcome::kStaleNonce)});  // nonce of another port
}

TEST_CASE("rate 0 answers every unauthenticated request") {
  ServerConfig config = TestConfig();
  config.unauthenticated_rate = 0;
  TestServer server(config);
  TestClient flooder(server, ClientTuple("192.0.2.66:1000"), "x", "y");
  CHECK(FloodCount(server, flooder, 300) == 300);
}

TEST_CASE("the 401 to a bare 20-byte Allocate is minimal: amplification") {
  ServerConfig config = TestConfig();
  config.software = "turnpike 1.0";
  TestServer server(config);
  TestClient client(server, ClientTuple(), "x", "y");
  client.options.fingerprint = false;
  const Encoded request = client.Unauthenticated(Method::kAllocate);
  REQUIRE(request.bytes.size() == 20);
  client.Send(request);
  std::vector<Command> got =
      Expect(server, {Verdict(AuthOutcome::kChallenged),
                      Error(Method::kAllocate, 401, [](const MessageView& m) {
                        // RFC 8489 §9.2.4: REALM, NONCE, PASSWORD-ALGORITHMS.
                        CHECK(m.Realm() == "turnpike");
                        CHECK(m.Nonce().has_value());
                        CHECK(m.PasswordAlgorithms().size() == 2);
                        CHECK(m.ErrorCode()->reason.empty());
                        CHECK_FALSE(m.Software().has_value());
                      })});
  const size_t response = std::get<Transmit>(got[1]).bytes.size();
  // 20 header + ERROR-CODE 8 + REALM 12 + NONCE 52 + PASSWORD-ALGORITHMS
  // 12 = 104 bytes (it was 120 with the reason phrase, 136 with SOFTWARE
  // "turnpike 1.0"): 5.2x, paid for at most burst + rate x seconds times per
  // source (docs/security.md).
  MESSAGE("amplification ", response, " / ", request.bytes.size());
  CHECK(response == 104);
  CHECK(response * 10 <= 52 * request.bytes.size());
}

TEST_CASE("authenticated answers keep SOFTWARE and the reason phrase") {
  ServerConfig config = TestConfig();
  config.software = "turnpike 1.0";
  TestServer server(config);
  server.users.Add("alice", "secret");
  TestClient alice(server, ClientTuple(), "alice", "secret");
  alice.GetNonce();
  server.Advance(config.nonce_lifetime);
  // Integrity checks, the nonce is stale: a full 438 (not limited).
  alice.Send(alice.Request(Method::kAllocate,
                           [](MessageBuilder& b) { b.AddRequestedTransport(17); }));
  Expect(server, {Verdict(AuthOutcome::kStaleNonce),
                  Error(Method::kAllocate, 438, [](const MessageView& m) {
                    CHECK(m.ErrorCode()->reason == "Stale Nonce");
                    CHECK(m.Software() == "turnpike 1.0");
                  })});
}

}  // namespace
}  // namespace turnpike::core::testing
