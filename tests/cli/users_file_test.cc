// The users file and inline users: plain passwords, MD5 keys as coturn's
// `turnadmin -k` prints them, SHA-256 keys (cli/user_key.h), and errors
// that name the line and the fix without repeating a secret.
#include "cli/users_file.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "absl/strings/escaping.h"
#include "cli/user_key.h"
#include "core/stun/integrity.h"
#include "core/util/absl_compat.h"
#include "tests/cli/fake_inputs.h"

namespace turnpike::cli {
namespace {

std::string Hex(const stun::HmacKey& key) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

std::string ErrorOf(std::string_view text) {
  auto parsed = ParseUsersFile(text, "/etc/turnpike/users");
  REQUIRE_FALSE(parsed.ok());
  return std::string(FromAbsl(parsed.status().message()));
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

TEST_CASE("the users file mixes passwords, MD5 keys and SHA-256 keys") {
  const std::string md5 = "0xbc807ee29df3c9ffa736523fb2c4e8ee";
  const std::string sha256 =
      "sha256:0x" + Hex(stun::LongTermKey(stun::PasswordAlgorithmId::kSha256,
                                          "carol", "north.gov", "pw"));
  auto users =
      ParseUsersFile("# comment\nalice:wonderland\n\nninefingers:" + md5 +
                         "\ncarol:" + sha256 + "\n",
                     "users");
  REQUIRE(users.ok());
  REQUIRE(users->size() == 3);
  CHECK((*users)[0].password == "wonderland");
  CHECK_FALSE((*users)[0].key_algorithm.has_value());
  CHECK((*users)[1].username == "ninefingers");
  CHECK((*users)[1].password.empty());
  CHECK((*users)[1].key_algorithm == stun::PasswordAlgorithmId::kMd5);
  CHECK(Hex((*users)[1].key) == md5.substr(2));
  CHECK((*users)[2].key_algorithm == stun::PasswordAlgorithmId::kSha256);
  CHECK(Hex((*users)[2].key) ==
        Hex(stun::LongTermKey(stun::PasswordAlgorithmId::kSha256, "carol",
                              "north.gov", "pw")));
}

TEST_CASE("FormatUserKey matches the key coturn's turnadmin -k prints") {
  // coturn's README: turnadmin -k -u ninefingers -r north.gov
  //   -p youhavetoberealistic
  auto key =
      FormatUserKey("ninefingers", "north.gov", "youhavetoberealistic", false);
  REQUIRE(key.ok());
  CHECK(*key == "0xbc807ee29df3c9ffa736523fb2c4e8ee");
  auto sha =
      FormatUserKey("ninefingers", "north.gov", "youhavetoberealistic", true);
  REQUIRE(sha.ok());
  CHECK(sha->size() == 7 + 2 + 64);
  core::Credential parsed{"ninefingers", ""};
  REQUIRE(ParseUserKey(*sha, parsed).ok());
  CHECK(parsed.key == stun::LongTermKey(stun::PasswordAlgorithmId::kSha256,
                                        "ninefingers", "north.gov",
                                        "youhavetoberealistic"));
}

TEST_CASE("a malformed key names the line and how to write one") {
  const std::string short_md5 = ErrorOf("alice:pw\nbob:0x1234abcd\n");
  CHECK(Contains(short_md5, "/etc/turnpike/users:2:"));
  CHECK(Contains(short_md5, "32 hex digits"));
  CHECK_FALSE(Contains(short_md5, "1234abcd"));
  const std::string not_hex =
      ErrorOf("bob:0xzz807ee29df3c9ffa736523fb2c4e8ee\n");
  CHECK(Contains(not_hex, ":1:"));
  const std::string bad_sha = ErrorOf("\n\ncarol:sha256:0xabc\n");
  CHECK(Contains(bad_sha, "/etc/turnpike/users:3:"));
  CHECK(Contains(bad_sha, "64 hex digits"));
  // An MD5-length key under the SHA-256 prefix is refused, not truncated.
  CHECK(Contains(ErrorOf("carol:sha256:0xbc807ee29df3c9ffa736523fb2c4e8ee\n"),
                 "64 hex digits"));
}

TEST_CASE("a stored key whose algorithm is not offered fails the load") {
  const std::string md5 = "--user=bob:0xbc807ee29df3c9ffa736523fb2c4e8ee";
  CHECK(testing::Load({md5.c_str()}).ok());
  const std::string error = testing::ErrorOf(
      testing::Load({md5.c_str(), "--password-algorithms", "sha256"}));
  CHECK(Contains(error, "user 'bob' is stored as an MD5 key"));
  CHECK(Contains(error, "add md5 to password-algorithms"));
}

}  // namespace
}  // namespace turnpike::cli
