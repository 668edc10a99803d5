// Every error names where the bad value came from and how to fix it.
#include <doctest/doctest.h>

#include <string>

#include "tests/cli/fake_inputs.h"

namespace turnpike::cli {
namespace {

using testing::ErrorOf;
using testing::FakeFiles;
using testing::Load;

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.rfind(prefix, 0) == 0;
}

TEST_CASE("a bad value names its source: file line, flag or variable") {
  const std::string port_problem =
      "'70000' is not a port (1-65535); write a decimal number";
  const FileReader read =
      FakeFiles({{"turnpike.conf", "realm = x\n\n# c\nmax-port = 70000\n"}});
  CHECK(ErrorOf(Load({"-f", "turnpike.conf"}, {}, read)) ==
        "turnpike.conf:4: max-port: " + port_problem);
  CHECK(ErrorOf(Load({"--max-port", "70000"})) ==
        "--max-port: " + port_problem);
  CHECK(ErrorOf(Load({"--max-port=70000"})) == "--max-port: " + port_problem);
  CHECK(ErrorOf(Load({}, {{"TURNPIKE_MAX_PORT", "70000"}})) ==
        "TURNPIKE_MAX_PORT: " + port_problem);
}

TEST_CASE("a bad value in a lower source is reported only if it counts") {
  // The flag replaces the file's value, so the file's typo is not applied.
  const FileReader read = FakeFiles({{"t.conf", "max-port = lots\n"}});
  CHECK(Load({"-f", "t.conf", "--max-port", "60000"}, {}, read).ok());
  CHECK(ErrorOf(Load({"-f", "t.conf"}, {}, read)) ==
        "t.conf:1: max-port: 'lots' is not a port (1-65535); write a decimal "
        "number");
}

TEST_CASE("each item of an environment list is checked") {
  const std::string error =
      ErrorOf(Load({}, {{"TURNPIKE_PEER_DENY", "10.0.0.0/8,10.1.0.0/8"}}));
  CHECK(StartsWith(error,
                   "TURNPIKE_PEER_DENY: '10.1.0.0/8' is not an "
                   "address prefix"));
  CHECK(ErrorOf(Load({}, {{"TURNPIKE_LISTEN", "127.0.0.1:1,,127.0.0.1:2"}})) ==
        "TURNPIKE_LISTEN: item 2 is empty; separate the values with single "
        "commas (a, b)");
}

TEST_CASE("unknown names are errors in every source") {
  CHECK(ErrorOf(Load({"--max-prot", "1"})) ==
        "--max-prot: unknown flag; see turnpike --help for the list");
  CHECK(StartsWith(ErrorOf(Load({}, {{"TURNPIKE_MAX_PROT", "1"}})),
                   "TURNPIKE_MAX_PROT: unknown variable;"));
  const FileReader read = FakeFiles({{"t.conf", "\nmax-prot = 1\n"}});
  CHECK(ErrorOf(Load({"-f", "t.conf"}, {}, read)) ==
        "t.conf:2: max-prot: unknown option; check the spelling against "
        "turnpike --help");
}

TEST_CASE("command-line-only options are refused elsewhere, with the fix") {
  CHECK(ErrorOf(Load({}, {{"TURNPIKE_HELP", "1"}})) ==
        "TURNPIKE_HELP: help is a command-line flag only; pass --help "
        "instead");
  const FileReader read = FakeFiles(
      {{"t.conf", "check-config\n"}, {"u.conf", "config = other.conf\n"}});
  CHECK(ErrorOf(Load({"-f", "t.conf"}, {}, read)) ==
        "t.conf:1: check-config: cannot be set in the configuration file; "
        "give --check-config on the command line");
  CHECK(ErrorOf(Load({"-f", "u.conf"}, {}, read)) ==
        "u.conf:1: config: cannot be set in the configuration file; give "
        "--config on the command line or set TURNPIKE_CONFIG");
}

TEST_CASE("command-line syntax errors") {
  CHECK(ErrorOf(Load({"extra"})) ==
        "'extra': turnpike takes no positional arguments; every setting is "
        "a flag (see turnpike --help)");
  CHECK(ErrorOf(Load({"--listen"})) ==
        "--listen: needs a value: --listen [SCHEME://]ADDR:PORT");
  CHECK(ErrorOf(Load({"-f"})) == "-f: needs a value: --config FILE");
}

TEST_CASE("file syntax errors name the line") {
  const FileReader read = FakeFiles(
      {{"t.conf", "realm = x\nMax Port 5\n"}, {"v.conf", "# ok\nmax-port\n"}});
  CHECK(StartsWith(ErrorOf(Load({"-f", "t.conf"}, {}, read)),
                   "t.conf:2: 'Max Port 5' is not an option name;"));
  CHECK(ErrorOf(Load({"-f", "v.conf"}, {}, read)) ==
        "v.conf:2: max-port: needs a value; write `max-port = PORT`");
}

TEST_CASE("an unreadable config file names the option that named it") {
  CHECK(ErrorOf(Load({"--config", "nope.conf"})) ==
        "--config: cannot read nope.conf: No such file or directory");
  CHECK(ErrorOf(Load({}, {{"TURNPIKE_CONFIG", "nope.conf"}})) ==
        "TURNPIKE_CONFIG: cannot read nope.conf: No such file or directory");
}

TEST_CASE("relay ports: privileged ports and min above max") {
  CHECK(StartsWith(ErrorOf(Load({"--min-port", "80"})),
                   "--min-port: '80' is a privileged port; use 1024 or "
                   "above"));
  const FileReader read = FakeFiles({{"t.conf", "max-port = 50000\n"}});
  CHECK(ErrorOf(Load({"-f", "t.conf", "--min-port", "60000"}, {}, read)) ==
        "min-port (60000, from --min-port) is above max-port (50000, from "
        "t.conf:1: max-port); make min-port at most max-port");
  CHECK(ErrorOf(Load({"--min-port", "65535"})).empty());  // equal is fine
}

TEST_CASE("lifetimes: default above max names both options") {
  CHECK(ErrorOf(Load({"--default-lifetime", "4000"})) ==
        "default-lifetime (4000, from --default-lifetime) is above "
        "max-lifetime (3600, the default); lower default-lifetime or raise "
        "max-lifetime");
  CHECK(StartsWith(ErrorOf(Load({"--max-lifetime", "0"})),
                   "--max-lifetime: '0' is not a number of seconds from 1 "
                   "to 86400"));
  CHECK(StartsWith(ErrorOf(Load({"--nonce-lifetime", "10m"})),
                   "--nonce-lifetime: '10m' is not a number of seconds"));
}

TEST_CASE("values with their own limits") {
  CHECK(StartsWith(ErrorOf(Load({"--software="})),
                   "--software: the value is empty;"));
  CHECK(StartsWith(ErrorOf(Load({"--software", std::string(764, 'x')})),
                   "--software: the value is 764 bytes; RFC 8489 §14.14"));
  CHECK(StartsWith(ErrorOf(Load({"--realm="})), "--realm: the value is empty"));
  CHECK(StartsWith(ErrorOf(Load({"--udp-receive-buffer", "lots"})),
                   "--udp-receive-buffer: 'lots' is not a size"));
  CHECK(StartsWith(ErrorOf(Load({"--user-quota", "-1"})),
                   "--user-quota: '-1' is not a whole number from 0 to "
                   "4294967295"));
  CHECK(StartsWith(ErrorOf(Load({"--bandwidth", "fast"})),
                   "--bandwidth: 'fast' is not a rate"));
  CHECK(ErrorOf(Load({"--log-level", "verbose"})) ==
        "--log-level: 'verbose' is not a level; write error, warning, info "
        "or debug");
  CHECK(ErrorOf(Load({"--log-destination", "file"})) ==
        "--log-destination: 'file' is not a destination; write stderr or "
        "syslog");
  CHECK(StartsWith(ErrorOf(Load({"--syslog-facility", "local8"})),
                   "--syslog-facility: 'local8' is not a syslog facility"));
  CHECK(StartsWith(ErrorOf(Load({"--event-output="})),
                   "--event-output: the value is empty"));
  CHECK(ErrorOf(Load({"--listen", "127.0.0.1:1", "--listen", "127.0.0.1:1"})) ==
        "--listen: udp://127.0.0.1:1 is given twice; give each address once");
}

}  // namespace
}  // namespace turnpike::cli
