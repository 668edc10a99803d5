// Scenario tests: users stored as keys rather than passwords (coturn's
// `turnadmin -k`, RFC 8489 §9.2.2). A stored key answers only requests made
// with its own PASSWORD-ALGORITHM; any other is refused like a wrong
// password (401 with a fresh challenge), since no other key can be derived
// without the password.
#include <doctest/doctest.h>

#include "core/auth/static_credential_store.h"
#include "core/stun/integrity.h"
#include "tests/core/scenario/test_server.h"
#include "tests/harness/printers.h"

namespace turnpike::core::testing {
namespace {

using stun::MessageView;
using stun::Method;
using stun::PasswordAlgorithmId;

const TransportAddress kRelay4 = Addr("203.0.113.5:50000");

// A store holding "alice" as the key of `algorithm` for password "secret"
// in realm "turnpike": the password itself is not in it.
auth::StaticCredentialStore KeyedStore(PasswordAlgorithmId algorithm) {
  Credential alice{"alice", ""};
  alice.key_algorithm = algorithm;
  alice.key = stun::LongTermKey(algorithm, "alice", "turnpike", "secret");
  auto store = auth::StaticCredentialStore::Create("turnpike", {alice});
  REQUIRE(store.ok());
  return *std::move(store);
}

// Sends an Allocate and reports whether the server accepted it.
AuthOutcome AllocateVerdict(TestServer& server, TestClient& client) {
  client.GetNonce();
  client.Send(client.Request(Method::kAllocate, [](stun::MessageBuilder& b) {
    b.AddRequestedTransport(17);
  }));
  std::optional<AuthOutcome> outcome;
  for (const Command& command : server.Drain()) {
    if (const auto* event = std::get_if<Event>(&command)) {
      if (const auto* v = std::get_if<AuthVerdict>(event)) {
        outcome = v->outcome;
      }
    }
  }
  REQUIRE(outcome.has_value());
  return *outcome;
}

TEST_CASE("an MD5 stored key authenticates an RFC 5389 client") {
  const auth::StaticCredentialStore store =
      KeyedStore(PasswordAlgorithmId::kMd5);
  TestServer server(TestConfig(), {}, &store);
  TestClient client(server, ClientTuple(), "alice", "secret");
  CHECK(AllocateVerdict(server, client) == AuthOutcome::kAccepted);
}

TEST_CASE("an MD5 stored key authenticates an explicit MD5 choice") {
  const auth::StaticCredentialStore store =
      KeyedStore(PasswordAlgorithmId::kMd5);
  TestServer server(TestConfig(), {}, &store);
  TestClient client(
      server, ClientTuple(), "alice", "secret",
      {.algorithm = PasswordAlgorithmId::kMd5, .send_algorithms = true});
  CHECK(AllocateVerdict(server, client) == AuthOutcome::kAccepted);
}

TEST_CASE("an MD5 stored key cannot answer a SHA-256 request: 401") {
  const auth::StaticCredentialStore store =
      KeyedStore(PasswordAlgorithmId::kMd5);
  TestServer server(TestConfig(), {}, &store);
  TestClient client(
      server, ClientTuple(), "alice", "secret",
      {.algorithm = PasswordAlgorithmId::kSha256, .send_algorithms = true});
  CHECK(AllocateVerdict(server, client) == AuthOutcome::kBadIntegrity);
  CHECK(server->allocation_count() == 0);
}

TEST_CASE("a SHA-256 stored key authenticates SHA-256 and refuses MD5") {
  const auth::StaticCredentialStore store =
      KeyedStore(PasswordAlgorithmId::kSha256);
  TestServer server(TestConfig(), {}, &store);
  TestClient sha256(server, ClientTuple(), "alice", "secret",
                    {.algorithm = PasswordAlgorithmId::kSha256,
                     .send_algorithms = true,
                     .integrity_sha256 = true});
  CHECK(AllocateVerdict(server, sha256) == AuthOutcome::kAccepted);
  TestClient md5(server, ClientTuple("192.0.2.11:40000"), "alice", "secret");
  CHECK(AllocateVerdict(server, md5) == AuthOutcome::kBadIntegrity);
}

TEST_CASE("a stored key of the wrong size is refused when the store is built") {
  Credential bad{"alice", ""};
  bad.key_algorithm = PasswordAlgorithmId::kSha256;
  bad.key = stun::LongTermKey(PasswordAlgorithmId::kMd5, "alice", "turnpike",
                              "secret");
  CHECK_FALSE(auth::StaticCredentialStore::Create("turnpike", {bad}).ok());
}

}  // namespace
}  // namespace turnpike::core::testing
