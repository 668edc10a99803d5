// Issue 13: settings that are fine one at a time but not together are
// refused by the configuration check (and so by --check-config), and the
// authentication hardening options (password-algorithms,
// rest-max-lifetime) parse and refuse bad values with the fix.
#include <doctest/doctest.h>

#include <string>

#include "core/stun/constants.h"
#include "tests/cli/fake_inputs.h"

namespace turnpike::cli {
namespace {

using testing::ErrorOf;
using testing::Load;

TEST_CASE("realm and software that fit alone but not together are refused") {
  const std::string realm(stun::kMaxRealmBytes, 'r');
  const std::string longest_software(stun::kMaxSoftwareBytes, 's');
  // Each alone at its RFC 8489 maximum is accepted.
  CHECK(Load({"--realm", realm}).ok());
  CHECK(Load({"--software", longest_software}).ok());
  // Together a 401 would not fit: the error names both and the fix.
  const std::string error =
      ErrorOf(Load({"--realm", realm, "--software", longest_software}));
  CAPTURE(error);
  CHECK(error.rfind("realm and software: ", 0) == 0);
  CHECK(error.find("1280-byte limit") != std::string::npos);
  CHECK(error.find("shorten realm or software") != std::string::npos);
  // The longest SOFTWARE beside the longest realm (RFC 8489 padding makes
  // 389 to 392 bytes take the same room).
  const std::string fits(392, 's');
  CHECK(Load({"--realm", realm, "--software", fits}).ok());
  CHECK_FALSE(Load({"--realm", realm, "--software", fits + "s"}).ok());
}

TEST_CASE("password-algorithms takes sha256 or md5 or both in order") {
  using stun::PasswordAlgorithmId;
  auto algorithms = [](std::string_view value) {
    absl::StatusOr<Settings> loaded = Load({"--password-algorithms", value});
    REQUIRE_MESSAGE(loaded.ok(), ErrorOf(loaded));
    return loaded->worker.server.password_algorithms;
  };
  CHECK(algorithms("sha256") ==
        std::vector<PasswordAlgorithmId>{PasswordAlgorithmId::kSha256});
  CHECK(algorithms("md5, SHA256") ==
        std::vector<PasswordAlgorithmId>{PasswordAlgorithmId::kMd5,
                                         PasswordAlgorithmId::kSha256});
  // The default offers both, SHA-256 first.
  CHECK(Load({})->worker.server.password_algorithms ==
        std::vector<PasswordAlgorithmId>{PasswordAlgorithmId::kSha256,
                                         PasswordAlgorithmId::kMd5});
  CHECK(ErrorOf(Load({"--password-algorithms", "sha1"})) ==
        "--password-algorithms: 'sha1' is not a password algorithm; write "
        "sha256, md5, or both separated by a comma in order of preference "
        "(sha256,md5)");
  CHECK(ErrorOf(Load({"--password-algorithms", "md5,md5"})) ==
        "--password-algorithms: 'md5' is given twice; name each algorithm "
        "once");
}

TEST_CASE(
    "rest-max-lifetime bounds how far ahead a REST credential may "
    "expire") {
  absl::StatusOr<Settings> loaded =
      Load({"--rest-max-lifetime", "3600", "--rest-secret", "s3cret"});
  REQUIRE_MESSAGE(loaded.ok(), ErrorOf(loaded));
  CHECK(loaded->rest_max_lifetime == std::chrono::seconds(3600));
  CHECK(Load({})->rest_max_lifetime == std::chrono::seconds(86400));
  CHECK(ErrorOf(Load({"--rest-max-lifetime", "0"}))
            .rfind(
                "--rest-max-lifetime: '0' is not a number of seconds from 1 to "
                "2592000",
                0) == 0);
}

}  // namespace
}  // namespace turnpike::cli
