// `turnpike users` and `turnpike rest-credential` (cli/admin_commands.h):
// the users file edited in place with its comments kept, keys that the
// server's own store accepts, and REST credentials that the server's own
// RestCredentialStore verifies.
#include "cli/admin_commands.h"

#include <doctest/doctest.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "cli/users_file.h"
#include "core/auth/rest_credential_store.h"
#include "core/auth/static_credential_store.h"
#include "core/stun/integrity.h"

namespace turnpike::cli {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

// Runs a subcommand with stdin `input`; returns {status, stdout}.
std::pair<int, std::string> Run(std::vector<std::string_view> args,
                                const std::string& input = "") {
  std::FILE* in =
      fmemopen(const_cast<char*>(input.data()), input.size() + 1, "r");
  char* out_buffer = nullptr;
  size_t out_size = 0;
  std::FILE* out = open_memstream(&out_buffer, &out_size);
  std::FILE* err = std::fopen("/dev/null", "w");
  const int status = RunAdminCommand(args, kNow, in, out, err);
  std::fclose(in);
  std::fclose(out);
  std::fclose(err);
  std::string printed(out_buffer, out_size);
  free(out_buffer);
  return {status, printed};
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_CASE("users add and remove edit the file and keep its comments") {
  char pattern[] = "/tmp/turnpike-users-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  const std::string dir = pattern;
  const std::string path = dir + "/users";
  std::ofstream(path) << "# staff\nalice:wonderland\n# bots\n";
  REQUIRE(chmod(path.c_str(), 0640) == 0);

  auto [added, printed] = Run({"users", "add", "ninefingers", "--users-file",
                               path, "--realm", "north.gov"},
                              "youhavetoberealistic\n");
  CHECK(added == 0);
  CHECK(printed == "ninefingers:0xbc807ee29df3c9ffa736523fb2c4e8ee\n");
  CHECK(Slurp(path) ==
        "# staff\nalice:wonderland\n# bots\n"
        "ninefingers:0xbc807ee29df3c9ffa736523fb2c4e8ee\n");
  struct stat info {};
  REQUIRE(stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0640);

  // Adding again replaces the line where it is; --sha256 stores SHA-256.
  auto [again, sha_line] =
      Run({"users", "add", "alice", "--sha256", "--users-file", path, "--realm",
           "north.gov", "--password", "new"});
  CHECK(again == 0);
  const std::string text = Slurp(path);
  CHECK(text.rfind("# staff\nalice:sha256:0x", 0) == 0);
  // The server's store accepts what was written, with the right key.
  auto users = ParseUsersFile(text, path);
  REQUIRE(users.ok());
  auto store = core::auth::StaticCredentialStore::Create("north.gov", *users);
  REQUIRE(store.ok());
  auto alice = store->Find("alice", "north.gov", kNow);
  REQUIRE(alice.size() == 1);
  CHECK(alice[0].key == stun::LongTermKey(stun::PasswordAlgorithmId::kSha256,
                                          "alice", "north.gov", "new"));

  auto [listed, list] = Run({"users", "list", "--users-file", path});
  CHECK(listed == 0);
  CHECK(list == "alice\tsha256 key\nninefingers\tmd5 key\n");

  CHECK(Run({"users", "remove", "alice", "--users-file", path}).first == 0);
  CHECK(Slurp(path) ==
        "# staff\n# bots\nninefingers:0xbc807ee29df3c9ffa736523fb2c4e8ee\n");
  CHECK(Run({"users", "remove", "alice", "--users-file", path}).first == 2);
  CHECK(Run({"users", "add", "bob", "--users-file", path}).first == 2);
  unlink(path.c_str());
  rmdir(dir.c_str());
}

TEST_CASE("rest-credential mints what the server's REST store verifies") {
  auto [status, printed] = Run({"rest-credential", "--secret", "logen",
                                "--user", "alice", "--ttl", "3600"});
  CHECK(status == 0);
  const std::string username = "1700003600:alice";
  REQUIRE(printed.rfind("username: " + username + "\npassword: ", 0) == 0);
  std::string password = printed.substr(printed.find("password: ") + 10);
  password.pop_back();  // the newline
  auto store =
      core::auth::RestCredentialStore::Create("r", {"logen"}, absl::Hours(24));
  REQUIRE(store.ok());
  auto found = store->Find(username, "r", kNow);
  REQUIRE(found.size() == 1);
  CHECK(found[0].password == password);
  CHECK(password.size() == 28);  // base64 of 20 bytes, padded
  // Another secret does not verify it.
  auto other = core::auth::RestCredentialStore::Create("r", {"north"});
  REQUIRE(other.ok());
  CHECK(other->Find(username, "r", kNow)[0].password != password);
}

}  // namespace
}  // namespace turnpike::cli
