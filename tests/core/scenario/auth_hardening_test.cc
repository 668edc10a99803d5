// Issue 13, items 9 and 10: an unknown username costs the same key
// derivation and HMAC as a known one (so response time does not list the
// users), and an operator can refuse MD5 keys (RFC 8489 §9.2.4).
#include <doctest/doctest.h>

#include <vector>

#include "core/server.h"
#include "core/stun/integrity.h"
#include "tests/core/scenario/test_server.h"

namespace turnpike::core::testing {
namespace {

using stun::MessageBuilder;
using stun::MessageView;
using stun::Method;
using stun::PasswordAlgorithmId;
namespace ec = stun::error_code;

// The real HMAC, counting what it is asked to check and with what key.
class CountingAuthenticator final : public MessageAuthenticator {
 public:
  stun::IntegrityResult Check(const stun::MessageView& message, bool sha256,
                              absl::Span<const uint8_t> key) const override {
    keys.emplace_back(key.begin(), key.end());
    return hmac_.Check(message, sha256, key);
  }
  mutable std::vector<std::vector<uint8_t>> keys;

 private:
  HmacAuthenticator hmac_;
};

auto Udp() {
  return [](MessageBuilder& b) { b.AddRequestedTransport(17); };
}

TEST_CASE(
    "an unknown username costs one key derivation and HMAC like a "
    "known one") {
  TestServer server;
  server.users.Add("alice", "secret");
  CountingAuthenticator counting;
  auto created = Server::Create(
      server.config,
      Deps{&server.random, &server.users, &counting, &server.quotas});
  REQUIRE(created.ok());
  server.server = *std::move(created);

  struct Case {
    const char* name;
    std::string username;
    ClientOptions options;
    AuthOutcome outcome;
  };
  const std::vector<Case> cases = {
      {"known user, wrong password", "alice", {}, AuthOutcome::kBadIntegrity},
      {"unknown user", "mallory", {}, AuthOutcome::kUnknownUser},
      {"unknown user, SHA-256",
       "mallory",
       {.algorithm = PasswordAlgorithmId::kSha256,
        .send_algorithms = true,
        .integrity_sha256 = true},
       AuthOutcome::kUnknownUser},
      {"unknown USERHASH",
       "mallory",
       {.userhash = true},
       AuthOutcome::kUnknownUser},
      {"a name OpaqueString refuses",
       std::string("bad\x01name"),
       {},
       AuthOutcome::kUnknownUser},
  };
  uint16_t port = 1;
  for (const Case& c : cases) {
    CAPTURE(c.name);
    TestClient client(server, ClientTuple(absl::StrCat("192.0.2.10:", port++)),
                      c.username, "wrong", c.options);
    client.GetNonce();
    counting.keys.clear();
    client.Send(client.Request(Method::kAllocate, Udp()));
    Expect(server, {Verdict(c.outcome),
                    Error(Method::kAllocate, ec::kUnauthenticated)});
    // The same work as for a known user: one key derived (as long as the
    // algorithm's), one HMAC checked with it.
    REQUIRE(counting.keys.size() == 1);
    CHECK(counting.keys[0].size() ==
          (c.options.algorithm == PasswordAlgorithmId::kSha256 ? 32u : 16u));
  }
}

TEST_CASE(
    "sha256 only: an RFC 5389 request gets 401 and a nonce offering "
    "SHA-256 alone") {
  ServerConfig config = TestConfig();
  config.password_algorithms = {PasswordAlgorithmId::kSha256};
  TestServer server(config);
  server.users.Add("alice", "secret");
  auto offers_sha256_only = [](const MessageView& m) {
    CHECK(m.Realm() == "turnpike");
    REQUIRE(m.Nonce().has_value());
    const auto offered = m.PasswordAlgorithms();
    REQUIRE(offered.size() == 1);
    CHECK(offered[0].algorithm ==
          static_cast<uint16_t>(PasswordAlgorithmId::kSha256));
  };

  // RFC 5389 client: MD5 key, no PASSWORD-ALGORITHM(S), even with the
  // right password.
  TestClient old_client(server, ClientTuple("192.0.2.10:1"), "alice", "secret");
  old_client.GetNonce();
  old_client.Send(old_client.Request(Method::kAllocate, Udp()));
  std::vector<Command> got = Expect(
      server,
      {Verdict(AuthOutcome::kBidDown),
       Error(Method::kAllocate, ec::kUnauthenticated, offers_sha256_only)});
  CHECK(server->allocation_count() == 0);

  // RFC 8489 client (§9.2.5): retries with SHA-256 and is served.
  TestClient new_client(
      server, ClientTuple("192.0.2.10:2"), "alice", "secret",
      {.algorithm = PasswordAlgorithmId::kSha256, .send_algorithms = true});
  new_client.Allocate(Addr("203.0.113.5:50000"));

  // Choosing MD5 explicitly when it was not offered is a bid-down: 400.
  TestClient sneaky(
      server, ClientTuple("192.0.2.10:3"), "alice", "secret",
      {.algorithm = PasswordAlgorithmId::kMd5, .send_algorithms = true});
  sneaky.GetNonce();
  sneaky.Send(sneaky.Request(Method::kAllocate, Udp()));
  Expect(server, {Verdict(AuthOutcome::kBidDown),
                  Error(Method::kAllocate, ec::kBadRequest)});
}

}  // namespace
}  // namespace turnpike::core::testing
