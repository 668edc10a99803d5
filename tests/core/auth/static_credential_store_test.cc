// Users from the configuration: OpaqueString preparation (RFC 8265 §4.2 via
// RFC 8489 §9.2.2), refusal of unusable entries at start-up, and lookup by
// name and by USERHASH (RFC 8489 §14.4).
#include "core/auth/static_credential_store.h"

#include <doctest/doctest.h>
#include <openssl/sha.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "core/util/absl_compat.h"

namespace turnpike::core::auth {
namespace {

constexpr std::string_view kRealm = "example.org";
const absl::Time kWall = absl::FromUnixSeconds(1'700'000'000);

StaticCredentialStore MakeStore(std::vector<Credential> users) {
  absl::StatusOr<StaticCredentialStore> store =
      StaticCredentialStore::Create(std::string(kRealm), std::move(users));
  REQUIRE_MESSAGE(store.ok(), FromAbsl(store.status().message()));
  return *std::move(store);
}

// The error Create gives for `users`; fails the test when it succeeds.
absl::Status CreateError(std::vector<Credential> users) {
  absl::StatusOr<StaticCredentialStore> store =
      StaticCredentialStore::Create(std::string(kRealm), std::move(users));
  REQUIRE_FALSE(store.ok());
  return store.status();
}

bool Mentions(const absl::Status& status, std::string_view text) {
  return FromAbsl(status.message()).find(text) != std::string_view::npos;
}

// SHA-256(username ":" realm) computed with BoringSSL directly, not with the
// codec's ComputeUserhash.
std::array<uint8_t, SHA256_DIGEST_LENGTH> Userhash(std::string_view username,
                                                   std::string_view realm) {
  const std::string input = std::string(username) + ":" + std::string(realm);
  std::array<uint8_t, SHA256_DIGEST_LENGTH> out{};
  SHA256(reinterpret_cast<const uint8_t*>(input.data()), input.size(),
         out.data());
  return out;
}

TEST_CASE("Find returns the configured password in the store's realm") {
  const StaticCredentialStore store =
      MakeStore({{"alice", "wonderland"}, {"bob", "builder"}});
  CHECK(store.size() == 2);

  CredentialCandidates alice = store.Find("alice", kRealm, kWall);
  REQUIRE(alice.size() == 1);
  CHECK(alice[0].username == "alice");
  CHECK(alice[0].password == "wonderland");

  CredentialCandidates bob = store.Find("bob", kRealm, kWall);
  REQUIRE(bob.size() == 1);
  CHECK(bob[0].password == "builder");
}

TEST_CASE("Find returns nothing for an unknown user or another realm") {
  const StaticCredentialStore store = MakeStore({{"alice", "wonderland"}});
  CHECK(store.Find("carol", kRealm, kWall).empty());
  CHECK(store.Find("Alice", kRealm, kWall).empty());  // no case folding
  CHECK(store.Find("alice", "example.net", kWall).empty());
  CHECK(store.Find("alice", "", kWall).empty());
}

TEST_CASE("static users do not expire: the wall clock is ignored") {
  const StaticCredentialStore store = MakeStore({{"alice", "wonderland"}});
  CHECK(store.Find("alice", kRealm, absl::InfinitePast()).size() == 1);
  CHECK(store.Find("alice", kRealm, absl::InfiniteFuture()).size() == 1);
}

TEST_CASE("names and passwords are prepared with OpaqueString") {
  // U+00A0 NO-BREAK SPACE in the name and U+3000 IDEOGRAPHIC SPACE in the
  // password both map to U+0020 (RFC 8265 §4.2.1).
  const StaticCredentialStore store =
      MakeStore({{"ali\u00A0ce", "won\u3000der"}});
  CHECK(store.Find("ali\u00A0ce", kRealm, kWall).empty());
  CredentialCandidates found = store.Find("ali ce", kRealm, kWall);
  REQUIRE(found.size() == 1);
  CHECK(found[0].username == "ali ce");
  CHECK(found[0].password == "won der");
}

TEST_CASE("an empty or unpreparable name is refused, naming the user") {
  SUBCASE("empty") {
    const absl::Status status = CreateError({{"", "pw"}});
    CHECK(absl::IsInvalidArgument(status));
    CHECK(Mentions(status, "user \"\""));
    CHECK(Mentions(status, "fix or remove it"));
  }
  SUBCASE("control character") {
    const absl::Status status = CreateError({{"ev\x01l", "pw"}});
    CHECK(absl::IsInvalidArgument(status));
    CHECK(Mentions(status, "ev\\x01l"));  // escaped, not raw
    CHECK(Mentions(status, "fix or remove it"));
  }
  SUBCASE("invalid UTF-8") {
    const absl::Status status = CreateError({{"bad\xff", "pw"}});
    CHECK(absl::IsInvalidArgument(status));
    CHECK(Mentions(status, "bad\\xff"));
  }
}

TEST_CASE("an empty or unpreparable password is refused, naming the user") {
  for (const char* password : {"", "tab\there"}) {
    CAPTURE(password);
    const absl::Status status = CreateError({{"alice", password}});
    CHECK(absl::IsInvalidArgument(status));
    CHECK(Mentions(status, "user \"alice\""));
    CHECK(Mentions(status, "password"));
    // The password itself never appears in a log line.
    if (*password != '\0') CHECK_FALSE(Mentions(status, password));
  }
}

TEST_CASE("a name given twice is refused, also when equal after preparation") {
  SUBCASE("verbatim") {
    const absl::Status status =
        CreateError({{"alice", "one"}, {"bob", "b"}, {"alice", "two"}});
    CHECK(absl::IsInvalidArgument(status));
    CHECK(Mentions(status, "user \"alice\" is given twice; keep one"));
  }
  SUBCASE("after mapping U+00A0 to a space") {
    const absl::Status status =
        CreateError({{"a b", "one"}, {"a\u00A0b", "two"}});
    CHECK(absl::IsInvalidArgument(status));
    CHECK(Mentions(status, "user \"a b\" is given twice"));
  }
}

TEST_CASE("an empty user list is a valid store that finds nobody") {
  const StaticCredentialStore store = MakeStore({});
  CHECK(store.size() == 0);
  CHECK(store.Find("alice", kRealm, kWall).empty());
}

TEST_CASE("FindByUserhash resolves SHA-256(username:realm)") {
  const StaticCredentialStore store =
      MakeStore({{"alice", "wonderland"}, {"bob", "builder"}});

  CredentialCandidates found =
      store.FindByUserhash(Userhash("bob", kRealm), kRealm, kWall);
  REQUIRE(found.size() == 1);
  CHECK(found[0].username == "bob");  // the resolved name keys are hashed with
  CHECK(found[0].password == "builder");

  // Unknown user; a hash for another realm; the right hash asked in another
  // realm; a truncated hash.
  CHECK(store.FindByUserhash(Userhash("carol", kRealm), kRealm, kWall).empty());
  CHECK(store.FindByUserhash(Userhash("bob", "example.net"), kRealm, kWall)
            .empty());
  CHECK(store.FindByUserhash(Userhash("bob", kRealm), "example.net", kWall)
            .empty());
  const auto hash = Userhash("bob", kRealm);
  CHECK(store.FindByUserhash(absl::MakeConstSpan(hash).first(31), kRealm, kWall)
            .empty());
  CHECK(store.FindByUserhash({}, kRealm, kWall).empty());
}

TEST_CASE("FindByUserhash hashes the prepared name") {
  const StaticCredentialStore store = MakeStore({{"ali\u00A0ce", "pw"}});
  CHECK(
      store.FindByUserhash(Userhash("ali ce", kRealm), kRealm, kWall).size() ==
      1);
  CHECK(store.FindByUserhash(Userhash("ali\u00A0ce", kRealm), kRealm, kWall)
            .empty());
}

}  // namespace
}  // namespace turnpike::core::auth
