// The two file formats on their own: turnpike.conf and the users file.
#include <doctest/doctest.h>

#include "cli/config_file.h"
#include "cli/users_file.h"

namespace turnpike::cli {
namespace {

TEST_CASE(
    "config file: entries, bare switches, comments, CRLF, '#' in values") {
  absl::StatusOr<std::vector<ConfigFileEntry>> entries = ParseConfigFile(
      "# comment\r\n"
      "   \n"
      "  realm=example.org  \r\n"
      "rest-secret = a#b = c\n"
      "nat-discovery\n"
      "software =\n",
      "t.conf");
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 4);
  CHECK((*entries)[0].key == "realm");
  CHECK((*entries)[0].value == "example.org");
  CHECK((*entries)[0].line == 3);
  CHECK((*entries)[1].value == "a#b = c");
  CHECK((*entries)[2].key == "nat-discovery");
  CHECK_FALSE((*entries)[2].value.has_value());
  CHECK((*entries)[3].value == "");
  CHECK((*entries)[3].line == 6);
}

TEST_CASE("config file: a line that is not an entry names its line") {
  absl::StatusOr<std::vector<ConfigFileEntry>> entries =
      ParseConfigFile("realm = x\n= value\n", "/etc/t.conf");
  REQUIRE_FALSE(entries.ok());
  CHECK(entries.status().message() ==
        "/etc/t.conf:2: '' is not an option name; write `name = value` with "
        "a lower-case name such as max-port (see turnpike --help), or start "
        "the line with # to make it a comment");
  CHECK_FALSE(ParseConfigFile("--realm = x\n", "t").ok());
  CHECK_FALSE(ParseConfigFile("Realm = x\n", "t").ok());
}

TEST_CASE("users file: lines, comments, blanks, ':' inside passwords") {
  absl::StatusOr<std::vector<core::Credential>> users =
      ParseUsersFile("#c\n\nalice:a:b\r\nbob:pw\n", "users");
  REQUIRE(users.ok());
  REQUIRE(users->size() == 2);
  CHECK((*users)[0].username == "alice");
  CHECK((*users)[0].password == "a:b");
  CHECK((*users)[1].password == "pw");
  CHECK(ParseUsersFile("", "users")->empty());
}

TEST_CASE("users file: a bad line is named and its password not shown") {
  absl::StatusOr<std::vector<core::Credential>> users =
      ParseUsersFile("alice:a\nsecretpassword\n", "users");
  REQUIRE_FALSE(users.ok());
  const std::string message(users.status().message());
  CHECK(message.rfind("users:2: has no ':'", 0) == 0);
  CHECK(message.find("secretpassword") == std::string::npos);
}

}  // namespace
}  // namespace turnpike::cli
