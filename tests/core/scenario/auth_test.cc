// Scenario tests: the long-term credential mechanism (RFC 8489 §9.2.4) as
// the server applies it to TURN requests: stateless nonces, PASSWORD-
// ALGORITHMS and its bid-down checks, MESSAGE-INTEGRITY-SHA256, USERHASH,
// and 441 for requests with other credentials than the allocation's.
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
using stun::PasswordAlgorithmId;
namespace ec = stun::error_code;

const TransportAddress kRelay4 = Addr("203.0.113.5:50000");

auto RequestUdp() {
  return [](MessageBuilder& b) { b.AddRequestedTransport(17); };
}

// Sends an Allocate with `client`'s credentials and expects the verdict
// and error `code` (a challenge when 401/438).
void ExpectAllocateRejected(TestServer& server, TestClient& client,
                            AuthOutcome outcome, int code) {
  client.Send(client.Request(Method::kAllocate, RequestUdp()));
  Expect(server, {Verdict(outcome),
                  Error(Method::kAllocate, code, [&](const MessageView& m) {
                    // Rejected credentials: nothing protects the answer.
                    CHECK_FALSE(m.MessageIntegrity().has_value());
                    CHECK_FALSE(m.MessageIntegritySha256().has_value());
                    if (code == 401 || code == 438) {
                      CHECK(m.Realm() == "turnpike");
                      CHECK(m.Nonce().has_value());
                    }
                  })});
  CHECK(server->allocation_count() == 0);
}

// Expects the OpenRelay of an accepted Allocate and completes it.
void ExpectAllocateAccepted(TestServer& server, TestClient& client,
                            bool sha256_integrity) {
  client.Send(client.Request(Method::kAllocate, RequestUdp()));
  RelayId relay;
  Expect(server, {Verdict(AuthOutcome::kAccepted),
                  Open([&](const OpenRelay& o) { relay = o.id; })});
  server->HandleRelayOpened(server.now, relay, kRelay4);
  const stun::HmacKey key = stun::LongTermKey(
      client.options.algorithm, client.username, "turnpike", client.password);
  Expect(server, {EventOf<AllocationCreated>("created"),
                  Success(Method::kAllocate, [&](const MessageView& m) {
                    // RFC 8489 §9.2.4: the response is protected as the
                    // request was.
                    if (sha256_integrity) {
                      CHECK_FALSE(m.MessageIntegrity().has_value());
                      CHECK(stun::CheckMessageIntegritySha256(m, key) ==
                            stun::IntegrityResult::kOk);
                    } else {
                      CHECK(stun::CheckMessageIntegrity(m, key) ==
                            stun::IntegrityResult::kOk);
                    }
                  })});
}

TEST_CASE("a wrong password is 401 with a fresh challenge") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "wrong");
  client.GetNonce();
  ExpectAllocateRejected(server, client, AuthOutcome::kBadIntegrity, 401);
}

TEST_CASE("an unknown user is 401, indistinguishable from a bad password") {
  TestServer server;
  TestClient client(server, ClientTuple(), "mallory", "secret");
  client.GetNonce();
  ExpectAllocateRejected(server, client, AuthOutcome::kUnknownUser, 401);
}

TEST_CASE("integrity without USERNAME, REALM or NONCE is 400") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.GetNonce();
  const stun::HmacKey key = stun::LongTermKey(PasswordAlgorithmId::kMd5,
                                              "alice", "turnpike", "secret");
  for (int missing = 0; missing < 3; ++missing) {
    CAPTURE(missing);
    client.Send(
        client.Unauthenticated(Method::kAllocate, [&](MessageBuilder& b) {
          b.AddRequestedTransport(17);
          if (missing != 0) b.AddString(AttributeType::kUsername, "alice");
          if (missing != 1) b.AddString(AttributeType::kRealm, "turnpike");
          if (missing != 2) b.AddString(AttributeType::kNonce, client.nonce);
          b.AddMessageIntegrity(key);
        }));
    Expect(server, {Verdict(AuthOutcome::kMissingCredentials),
                    Error(Method::kAllocate, ec::kBadRequest)});
  }
}

TEST_CASE("a nonce goes stale exactly at its lifetime: 438, then retry works") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.GetNonce();
  // Nonces live 10 minutes from issue.
  server.AdvanceTo(server.now.mono + std::chrono::minutes(10) -
                   std::chrono::nanoseconds(1));
  // Still fresh: a CreatePermission without allocation passes auth (437).
  client.Send(client.Request(Method::kRefresh));
  Expect(server, {Verdict(AuthOutcome::kAccepted),
                  Error(Method::kRefresh, ec::kAllocationMismatch)});
  server.AdvanceTo(server.now.mono + std::chrono::nanoseconds(1));
  client.Send(client.Request(Method::kAllocate, RequestUdp()));
  auto got = Expect(server, {Verdict(AuthOutcome::kStaleNonce),
                             Error(Method::kAllocate, ec::kStaleNonce,
                                   [](const MessageView& m) {
                                     CHECK(m.Realm() == "turnpike");
                                     CHECK(m.PasswordAlgorithms().size() == 2);
                                   })});
  client.Learn(ParseTransmit(got[1]));
  ExpectAllocateAccepted(server, client, false);
}

TEST_CASE("a stale nonce with a wrong password is 401, not 438") {
  // RFC 8489 §9.2.4 checks integrity before staleness, so 438 (and its
  // fresh nonce) only goes to someone holding the password.
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "wrong");
  client.GetNonce();
  server.Advance(std::chrono::minutes(11));
  ExpectAllocateRejected(server, client, AuthOutcome::kBadIntegrity, 401);
}

TEST_CASE("a nonce issued to another client address, or edited, is 438") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient other(server, ClientTuple("192.0.2.99:1111"), "alice", "secret");
  other.GetNonce();
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.nonce = other.nonce;
  ExpectAllocateRejected(server, client, AuthOutcome::kStaleNonce, 438);
  client.nonce = other.nonce;
  client.nonce.back() = client.nonce.back() == 'A' ? 'B' : 'A';
  ExpectAllocateRejected(server, client, AuthOutcome::kStaleNonce, 438);
  client.nonce = "not-a-turnpike-nonce";
  ExpectAllocateRejected(server, client, AuthOutcome::kStaleNonce, 438);
}

TEST_CASE("SHA-256 keys with MESSAGE-INTEGRITY-SHA256 (RFC 8489 §9.2.2)") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret",
                    {.algorithm = PasswordAlgorithmId::kSha256,
                     .send_algorithms = true,
                     .integrity_sha256 = true});
  client.GetNonce();
  ExpectAllocateAccepted(server, client, true);
}

TEST_CASE("SHA-256 keys under plain MESSAGE-INTEGRITY are accepted too") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(
      server, ClientTuple(), "alice", "secret",
      {.algorithm = PasswordAlgorithmId::kSha256, .send_algorithms = true});
  client.GetNonce();
  ExpectAllocateAccepted(server, client, false);
}

TEST_CASE(
    "bid-down attempts on PASSWORD-ALGORITHMS are 400 (RFC 8489 §9.2.4)") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.GetNonce();
  const stun::HmacKey key = stun::LongTermKey(PasswordAlgorithmId::kMd5,
                                              "alice", "turnpike", "secret");
  const stun::PasswordAlgorithmValue md5{0x0001, {}};
  const stun::PasswordAlgorithmValue sha256{0x0002, {}};
  struct Case {
    const char* name;
    std::vector<stun::PasswordAlgorithmValue> echoed;
    std::optional<stun::PasswordAlgorithmValue> chosen;
  };
  const std::vector<Case> cases = {
      // An attacker stripped SHA-256 from the offer the client saw.
      {"offer trimmed to MD5", {md5}, md5},
      {"offer reordered", {md5, sha256}, md5},
      {"algorithm without the echoed list", {}, md5},
      {"echoed list without an algorithm", {sha256, md5}, std::nullopt},
      {"algorithm not in the list",
       {sha256, md5},
       stun::PasswordAlgorithmValue{0x0003, {}}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    client.Send(
        client.Unauthenticated(Method::kAllocate, [&](MessageBuilder& b) {
          b.AddRequestedTransport(17);
          b.AddString(AttributeType::kUsername, "alice");
          b.AddString(AttributeType::kRealm, "turnpike");
          b.AddString(AttributeType::kNonce, client.nonce);
          if (!c.echoed.empty()) b.AddPasswordAlgorithms(c.echoed);
          if (c.chosen) b.AddPasswordAlgorithm(*c.chosen);
          b.AddMessageIntegrity(key);
        }));
    Expect(server, {Verdict(AuthOutcome::kBidDown),
                    Error(Method::kAllocate, ec::kBadRequest)});
  }
}

TEST_CASE(
    "an RFC 5389 client (MD5, no algorithm attributes) is refused when "
    "MD5 is switched off") {
  ServerConfig config = TestConfig();
  config.password_algorithms = {PasswordAlgorithmId::kSha256};
  TestServer server(config);
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.GetNonce();
  // RFC 8489 §9.2.4: processed as MD5, which no key here can be: 401.
  ExpectAllocateRejected(server, client, AuthOutcome::kBidDown, 401);
}

TEST_CASE("USERHASH names the user without sending the name (RFC 8489 §14.4)") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret",
                    {.algorithm = PasswordAlgorithmId::kSha256,
                     .send_algorithms = true,
                     .userhash = true});
  client.GetNonce();
  ExpectAllocateAccepted(server, client, false);
}

TEST_CASE("requests on an allocation with other credentials are 441") {
  TestServer server;
  server.users.Add("alice", "secret");
  server.users.Add("bob", "hunter2");
  TestClient alice(server, ClientTuple(), "alice", "secret");
  alice.Allocate(kRelay4);
  // Bob on Alice's 5-tuple (RFC 8656 §5).
  TestClient bob(server, ClientTuple(), "bob", "hunter2");
  bob.nonce = alice.nonce;
  for (Method method :
       {Method::kRefresh, Method::kCreatePermission, Method::kChannelBind}) {
    CAPTURE(static_cast<int>(method));
    bob.Send(bob.Request(method, [](MessageBuilder& b) {
      b.AddXorAddress(AttributeType::kXorPeerAddress, Addr("8.8.8.8:53"));
    }));
    Expect(server, {Verdict(AuthOutcome::kWrongCredentials),
                    Error(method, ec::kWrongCredentials)});
  }
  CHECK(server->allocation_count() == 1);
}

}  // namespace
}  // namespace turnpike::core::testing
