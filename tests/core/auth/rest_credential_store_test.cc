// TURN REST API credentials (draft-uberti-behave-turn-rest-00, coturn's
// use-auth-secret): the expiry in the username, base64(HMAC-SHA1(secret,
// username)) as the password, several secrets during a rotation, and
// usernames from the client that are not REST usernames at all.
#include "core/auth/rest_credential_store.h"

#include <doctest/doctest.h>
#include <openssl/base64.h>
#include <openssl/digest.h>
#include <openssl/hmac.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "core/util/absl_compat.h"

namespace turnpike::core::auth {
namespace {

constexpr std::string_view kRealm = "example.org";
constexpr int64_t kExpiry = 1'700'000'000;
const absl::Time kBeforeExpiry = absl::FromUnixSeconds(kExpiry - 1);

RestCredentialStore MakeStore(std::vector<std::string> secrets) {
  absl::StatusOr<RestCredentialStore> store =
      RestCredentialStore::Create(std::string(kRealm), std::move(secrets));
  REQUIRE_MESSAGE(store.ok(), FromAbsl(store.status().message()));
  return *std::move(store);
}

// The password a web service would hand out, computed with BoringSSL's
// one-shot HMAC and EVP_EncodeBlock rather than the code under test.
std::string ReferencePassword(std::string_view secret,
                              std::string_view username) {
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned mac_size = 0;
  REQUIRE(HMAC(EVP_sha1(), secret.data(), secret.size(),
               reinterpret_cast<const uint8_t*>(username.data()),
               username.size(), mac, &mac_size) != nullptr);
  REQUIRE(mac_size == 20);
  uint8_t text[64] = {};
  const size_t text_size = EVP_EncodeBlock(text, mac, mac_size);
  return std::string(reinterpret_cast<const char*>(text), text_size);
}

TEST_CASE("the password is base64(HMAC-SHA1(secret, username))") {
  const RestCredentialStore store = MakeStore({"s3cret"});
  CredentialCandidates found =
      store.Find("1700000000:bob", kRealm, kBeforeExpiry);
  REQUIRE(found.size() == 1);
  CHECK(found[0].username == "1700000000:bob");
  // Known answer from `printf %s 1700000000:bob | openssl dgst -sha1 -hmac
  // s3cret -binary | base64`.
  CHECK(found[0].password == "iqOUFv+P824wi/aW3liW77QZa80=");
  CHECK(found[0].password == ReferencePassword("s3cret", "1700000000:bob"));
}

TEST_CASE("a bare expiry with no user part is accepted, as coturn does") {
  const RestCredentialStore store = MakeStore({"s3cret"});
  CredentialCandidates found = store.Find("1700000000", kRealm, kBeforeExpiry);
  REQUIRE(found.size() == 1);
  CHECK(found[0].username == "1700000000");
  CHECK(found[0].password == "q+w4xPTJUDdpERozKOlEBw5B9Pg=");  // openssl
  CHECK(found[0].password == ReferencePassword("s3cret", "1700000000"));
}

TEST_CASE("the user part may hold anything, colons included") {
  const RestCredentialStore store = MakeStore({"s3cret"});
  for (const char* username :
       {"1700000000:", "1700000000:a:b", "1700000000:ünïcode"}) {
    CAPTURE(username);
    CredentialCandidates found = store.Find(username, kRealm, kBeforeExpiry);
    REQUIRE(found.size() == 1);
    CHECK(found[0].password == ReferencePassword("s3cret", username));
  }
}

TEST_CASE("a credential is dead once less than a whole second of it is left") {
  const RestCredentialStore store = MakeStore({"s3cret"});
  const std::string_view username = "1700000000:bob";
  CHECK(store.Find(username, kRealm, kBeforeExpiry).size() == 1);
  // LIFETIME counts whole seconds, and no allocation may outlive its
  // credential: with less than one second left there is nothing to grant.
  const CredentialCandidates last = store.Find(
      username, kRealm, absl::FromUnixSeconds(kExpiry) - absl::Seconds(1));
  REQUIRE(last.size() == 1);
  CHECK(last[0].expires == absl::FromUnixSeconds(kExpiry));
  CHECK(store
            .Find(username, kRealm,
                  absl::FromUnixSeconds(kExpiry) - absl::Seconds(1) +
                      absl::Nanoseconds(1))
            .empty());
  CHECK(store.Find(username, kRealm, absl::FromUnixSeconds(kExpiry)).empty());
  CHECK(
      store.Find(username, kRealm, absl::FromUnixSeconds(kExpiry + 1)).empty());
  CHECK(store.Find(username, kRealm, absl::InfiniteFuture()).empty());
}

TEST_CASE("two secrets give two candidates in configured order") {
  const RestCredentialStore store = MakeStore({"s3cret", "other"});
  CredentialCandidates found =
      store.Find("1700000000:bob", kRealm, kBeforeExpiry);
  REQUIRE(found.size() == 2);
  CHECK(found[0].username == "1700000000:bob");
  CHECK(found[1].username == "1700000000:bob");
  CHECK(found[0].password == "iqOUFv+P824wi/aW3liW77QZa80=");
  CHECK(found[1].password == "WJOb8MYAmgEYmAxcF11G6yGVLk4=");  // openssl

  const RestCredentialStore reversed = MakeStore({"other", "s3cret"});
  CredentialCandidates swapped =
      reversed.Find("1700000000:bob", kRealm, kBeforeExpiry);
  REQUIRE(swapped.size() == 2);
  CHECK(swapped[0].password == found[1].password);
  CHECK(swapped[1].password == found[0].password);
}

TEST_CASE("another realm finds nothing") {
  const RestCredentialStore store = MakeStore({"s3cret"});
  CHECK(store.Find("1700000000:bob", "example.net", kBeforeExpiry).empty());
  CHECK(store.Find("1700000000:bob", "", kBeforeExpiry).empty());
}

TEST_CASE("usernames that do not start with a decimal expiry find nothing") {
  const RestCredentialStore store = MakeStore({"s3cret"});
  // Far in the past so that every well-formed expiry would still be valid.
  const absl::Time early = absl::FromUnixSeconds(0);
  for (const char* username : {
           "",
           ":bob",
           "abc:bob",
           "bob",
           "99999999999999999999999:x",  // overflows int64
           "9223372036854775808:x",      // INT64_MAX + 1, 19 digits
           "+1700000000:bob",
           "-1700000000:bob",
           " 1700000000:bob",
           "1700000000 :bob",
           "1700000000x:bob",
           "0x6553F100:bob",
           "1.7e9:bob",
       }) {
    CAPTURE(username);
    CHECK(store.Find(username, kRealm, early).empty());
    CHECK_FALSE(RestCredentialStore::ExpiryOf(username).has_value());
  }
}

TEST_CASE("ExpiryOf reads the leading seconds, up to the int64 maximum") {
  CHECK(RestCredentialStore::ExpiryOf("1700000000:bob") ==
        absl::FromUnixSeconds(kExpiry));
  CHECK(RestCredentialStore::ExpiryOf("0001700000000") ==
        absl::FromUnixSeconds(kExpiry));
  CHECK(RestCredentialStore::ExpiryOf("0:x") == absl::UnixEpoch());
  CHECK(RestCredentialStore::ExpiryOf("9223372036854775807:x") ==
        absl::FromUnixSeconds(INT64_MAX));
  // The far future is a valid, if unwise, expiry.
  const RestCredentialStore store = MakeStore({"s3cret"});
  CHECK(store.Find("9223372036854775807:x", kRealm, kBeforeExpiry).size() == 1);
}

TEST_CASE("USERHASH finds no REST user") {
  const RestCredentialStore store = MakeStore({"s3cret"});
  const std::vector<uint8_t> hash(32, 0xab);
  CHECK(store.FindByUserhash(hash, kRealm, kBeforeExpiry).empty());
}

TEST_CASE("Create refuses no secret and an empty secret") {
  absl::StatusOr<RestCredentialStore> none =
      RestCredentialStore::Create(std::string(kRealm), {});
  REQUIRE_FALSE(none.ok());
  CHECK(absl::IsInvalidArgument(none.status()));
  CHECK(FromAbsl(none.status().message()) ==
        "rest-secret: give at least one shared secret");

  absl::StatusOr<RestCredentialStore> empty =
      RestCredentialStore::Create(std::string(kRealm), {"s3cret", ""});
  REQUIRE_FALSE(empty.ok());
  CHECK(absl::IsInvalidArgument(empty.status()));
  CHECK(FromAbsl(empty.status().message()) ==
        "rest-secret: a secret is empty; remove it or set a value");
}

TEST_CASE(
    "a credential valid for longer than the maximum lifetime is refused") {
  absl::StatusOr<RestCredentialStore> store = RestCredentialStore::Create(
      std::string(kRealm), {"s3cret"}, absl::Hours(1));
  REQUIRE(store.ok());
  const absl::Time now = absl::FromUnixSeconds(kExpiry) - absl::Hours(1);
  // Exactly the maximum ahead: accepted; a second more: refused, as if the
  // user did not exist.
  CHECK(store->Find("1700000000:bob", kRealm, now).size() == 1);
  CHECK(store->Find("1700000001:bob", kRealm, now).empty());
  CHECK(store->Find("9999999999:bob", kRealm, now).empty());
  // The same credential is fine once it is close enough to its expiry.
  CHECK(store->Find("1700000001:bob", kRealm, now + absl::Seconds(1)).size() ==
        1);
}

TEST_CASE("the maximum REST lifetime must be positive") {
  for (absl::Duration bad : {absl::ZeroDuration(), -absl::Seconds(1)}) {
    const absl::StatusOr<RestCredentialStore> store =
        RestCredentialStore::Create(std::string(kRealm), {"s3cret"}, bad);
    REQUIRE_FALSE(store.ok());
    CHECK(store.status().message().find("rest-max-lifetime") !=
          absl::string_view::npos);
  }
}

}  // namespace
}  // namespace turnpike::core::auth
