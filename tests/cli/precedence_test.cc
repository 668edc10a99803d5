// Flags beat the environment, which beats the file, which beats the
// default; a list comes whole from the highest source that sets it.
#include <doctest/doctest.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "core/util/absl_compat.h"

#include "tests/cli/fake_inputs.h"

namespace turnpike::cli {
namespace {

using testing::FakeFiles;
using testing::Load;

std::vector<std::string> ListenText(const Settings& settings) {
  std::vector<std::string> text;
  for (const runtime::ListenerSpec& spec : settings.worker.listeners) {
    text.push_back(spec.address.ToString());
  }
  return text;
}

std::vector<std::string> ListenWithScheme(const Settings& settings) {
  std::vector<std::string> text;
  for (const runtime::ListenerSpec& spec : settings.worker.listeners) {
    text.push_back(absl::StrCat(ToAbsl(core::TransportName(spec.transport)),
                                "://", spec.address.ToString()));
  }
  return text;
}

const FileReader kConfFile = FakeFiles({{"t.conf",
                                         "# a comment\n"
                                         "\n"
                                         "max-port = 60000\n"
                                         "min-port = 50000\n"
                                         "listen = 127.0.0.1:1000\n"
                                         "listen = 127.0.0.1:1001\n"
                                         "realm = from-file\n"}});

TEST_CASE("defaults when no source sets anything") {
  absl::StatusOr<Settings> s = Load({});
  REQUIRE(s.ok());
  CHECK(s->worker.relay.min_port == 49152);
  CHECK(s->worker.relay.max_port == 65535);
  CHECK(s->worker.server.realm == "turnpike");
  CHECK(s->worker.server.nonce_lifetime == std::chrono::seconds(600));
  // UDP and TCP on both families, as coturn listens (RFC 8656 §3.1).
  CHECK(ListenWithScheme(*s) ==
        std::vector<std::string>{"udp://0.0.0.0:3478", "udp://[::]:3478",
                                 "tcp://0.0.0.0:3478", "tcp://[::]:3478"});
  CHECK_FALSE(s->worker.listeners[0].skip_if_unavailable);
  CHECK(s->worker.listeners[1].skip_if_unavailable);
  CHECK_FALSE(s->worker.listeners[2].skip_if_unavailable);
  CHECK(s->worker.listeners[3].skip_if_unavailable);
  CHECK(s->relay_auto);
  CHECK_FALSE(s->worker.relay.ipv4.has_value());
  CHECK(s->users.empty());
  CHECK(s->log.level == runtime::LogLevel::kInfo);
  CHECK(s->log.destination == runtime::LogDestination::kStderr);
  CHECK(s->log.syslog_facility == "daemon");
  CHECK_FALSE(s->config_file.has_value());
  CHECK_FALSE(s->event_output.has_value());
}

TEST_CASE("scalar: file over default, env over file, flag over env") {
  const Environment env = {{"TURNPIKE_MAX_PORT", "61000"}};
  absl::StatusOr<Settings> file_only = Load({"-f", "t.conf"}, {}, kConfFile);
  REQUIRE(file_only.ok());
  CHECK(file_only->worker.relay.max_port == 60000);
  CHECK(file_only->worker.relay.min_port == 50000);
  CHECK(file_only->worker.server.realm == "from-file");
  CHECK(file_only->config_file == "t.conf");

  absl::StatusOr<Settings> with_env = Load({"-f", "t.conf"}, env, kConfFile);
  REQUIRE(with_env.ok());
  CHECK(with_env->worker.relay.max_port == 61000);
  CHECK(with_env->worker.relay.min_port == 50000);  // still from the file

  absl::StatusOr<Settings> with_flag =
      Load({"--config=t.conf", "--max-port", "62000"}, env, kConfFile);
  REQUIRE(with_flag.ok());
  CHECK(with_flag->worker.relay.max_port == 62000);
}

TEST_CASE("scalar given twice in one source: the last one counts") {
  absl::StatusOr<Settings> s = Load({"--realm", "first", "--realm=second"});
  REQUIRE(s.ok());
  CHECK(s->worker.server.realm == "second");
}

TEST_CASE("list: the highest source replaces the lower ones entirely") {
  absl::StatusOr<Settings> file_only = Load({"-f", "t.conf"}, {}, kConfFile);
  REQUIRE(file_only.ok());
  CHECK(ListenText(*file_only) ==
        std::vector<std::string>{"127.0.0.1:1000", "127.0.0.1:1001"});

  const Environment env = {{"TURNPIKE_LISTEN", "127.0.0.2:2000, [::1]:2001"}};
  absl::StatusOr<Settings> with_env = Load({"-f", "t.conf"}, env, kConfFile);
  REQUIRE(with_env.ok());
  CHECK(ListenText(*with_env) ==
        std::vector<std::string>{"127.0.0.2:2000", "[::1]:2001"});

  absl::StatusOr<Settings> with_flags =
      Load({"-f", "t.conf", "--listen", "127.0.0.3:3000", "--listen",
            "127.0.0.3:3001"},
           env, kConfFile);
  REQUIRE(with_flags.ok());
  CHECK(ListenText(*with_flags) ==
        std::vector<std::string>{"127.0.0.3:3000", "127.0.0.3:3001"});
  // An address the operator names must bind.
  CHECK_FALSE(with_flags->worker.listeners[1].skip_if_unavailable);
}

TEST_CASE("the config file can be named by TURNPIKE_CONFIG and -f wins") {
  const FileReader read = FakeFiles({{"env.conf", "realm = env-file\n"},
                                     {"flag.conf", "realm = flag-file\n"}});
  const Environment env = {{"TURNPIKE_CONFIG", "env.conf"}};
  absl::StatusOr<Settings> from_env = Load({}, env, read);
  REQUIRE(from_env.ok());
  CHECK(from_env->worker.server.realm == "env-file");
  absl::StatusOr<Settings> from_flag = Load({"-f", "flag.conf"}, env, read);
  REQUIRE(from_flag.ok());
  CHECK(from_flag->worker.server.realm == "flag-file");
}

TEST_CASE("environment variables without the TURNPIKE_ prefix are ignored") {
  const Environment env = {
      {"PATH", "/bin"}, {"MAX_PORT", "nonsense"}, {"TURNPIKEX", "1"}};
  CHECK(Load({}, env).ok());
}

TEST_CASE("--help and --version need no valid file or environment") {
  const Environment broken = {{"TURNPIKE_NO_SUCH", "1"}};
  absl::StatusOr<Settings> help = Load({"-h", "-f", "missing.conf"}, broken);
  REQUIRE(help.ok());
  CHECK(help->help);
  absl::StatusOr<Settings> version = Load({"--version"}, broken);
  REQUIRE(version.ok());
  CHECK(version->version);
}

TEST_CASE("LoadSettings is repeatable: a second load reads the file again") {
  // SIGHUP calls LoadSettings again with the same args and environment.
  std::string contents = "user = alice:one\n";
  const FileReader read = [&contents](const std::string&) {
    return absl::StatusOr<std::string>(contents);
  };
  absl::StatusOr<Settings> first = Load({"-f", "t.conf"}, {}, read);
  contents = "user = bob:two\nuser = carol:three\n";
  absl::StatusOr<Settings> second = Load({"-f", "t.conf"}, {}, read);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  REQUIRE(first->users.size() == 1);
  CHECK(first->users[0].username == "alice");
  REQUIRE(second->users.size() == 2);
  CHECK(second->users[1].username == "carol");
  CHECK(second->users[1].password == "three");
}

}  // namespace
}  // namespace turnpike::cli
