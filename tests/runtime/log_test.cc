// The process-wide logger (runtime/log.h): names, line formats, the level
// threshold and where lines go. Each case that reconfigures the logger puts
// the default back (RestoreDefaultLogging) so cases stay independent.
#include "runtime/log.h"

#include <doctest/doctest.h>
#include <syslog.h>

#include <string>

#include "absl/time/time.h"
#include "tests/runtime/temp_files.h"

namespace turnpike::runtime {
namespace {

using testing::StderrCapture;
using testing::TempDir;

// Puts the logger back to its startup state when a case ends.
struct RestoreDefaultLogging {
  ~RestoreDefaultLogging() { CHECK(ConfigureLogging(LogConfig{}).ok()); }
};

const absl::Time kWall = absl::FromUnixMillis(1764689927123);

TEST_CASE(
    "log level names round-trip and an unknown name lists the valid ones") {
  for (LogLevel level : {LogLevel::kError, LogLevel::kWarning, LogLevel::kInfo,
                         LogLevel::kDebug}) {
    auto parsed = ParseLogLevel(LogLevelName(level));
    REQUIRE(parsed.ok());
    CHECK(*parsed == level);
  }
  auto bad = ParseLogLevel("verbose");
  REQUIRE_FALSE(bad.ok());
  CHECK(std::string(bad.status().message()) ==
        "unknown log level \"verbose\"; use one of error, warning, info, "
        "debug");
  CHECK_FALSE(ParseLogLevel("Info").ok());  // names are lower case
}

TEST_CASE("syslog facility names map to the LOG_* values") {
  CHECK(*ParseSyslogFacility("daemon") == LOG_DAEMON);
  CHECK(*ParseSyslogFacility("user") == LOG_USER);
  CHECK(*ParseSyslogFacility("auth") == LOG_AUTH);
  CHECK(*ParseSyslogFacility("authpriv") == LOG_AUTHPRIV);
  CHECK(*ParseSyslogFacility("local0") == LOG_LOCAL0);
  CHECK(*ParseSyslogFacility("local3") == LOG_LOCAL3);
  CHECK(*ParseSyslogFacility("local7") == LOG_LOCAL7);
  CHECK_FALSE(ParseSyslogFacility("local8").ok());
  CHECK_FALSE(ParseSyslogFacility("DAEMON").ok());
  auto bad = ParseSyslogFacility("kern");
  REQUIRE_FALSE(bad.ok());
  CHECK(std::string(bad.status().message()) ==
        "unknown syslog facility \"kern\"; use one of daemon, user, auth, "
        "authpriv, local0, local1, local2, local3, local4, local5, local6, "
        "local7");
}

TEST_CASE("a bad facility is refused and leaves the logger as it was") {
  RestoreDefaultLogging restore;
  LogConfig config;
  config.level = LogLevel::kDebug;
  config.destination = LogDestination::kSyslog;
  config.syslog_facility = "mail";
  const absl::Status status = ConfigureLogging(config);
  CHECK(absl::IsInvalidArgument(status));
  CHECK_FALSE(LogEnabled(LogLevel::kDebug));  // still the default, info

  TempDir dir;
  StderrCapture capture(dir);
  LogInfo("still on stderr");
  CHECK(capture.Take() == "turnpike: still on stderr\n");
}

TEST_CASE("text lines: the stderr prefixes current users match on") {
  const auto text = [](LogLevel level, std::string_view message) {
    return FormatLogLine(LogDestination::kStderr, LogFormat::kText, level,
                         kWall, message);
  };
  CHECK(text(LogLevel::kInfo, "listening on udp 0.0.0.0:3478") ==
        "turnpike: listening on udp 0.0.0.0:3478");
  CHECK(text(LogLevel::kWarning, "w") == "turnpike: warning: w");
  CHECK(text(LogLevel::kError, "e") == "turnpike: error: e");
  CHECK(text(LogLevel::kDebug, "d") == "turnpike: debug: d");
  // syslog adds ident, pid and priority itself: the message goes bare.
  CHECK(FormatLogLine(LogDestination::kSyslog, LogFormat::kText,
                      LogLevel::kError, kWall, "e") == "e");
}

TEST_CASE("json lines: ts, level and escaped msg, the same for syslog") {
  for (LogDestination to : {LogDestination::kStderr, LogDestination::kSyslog}) {
    CHECK(FormatLogLine(to, LogFormat::kJson, LogLevel::kWarning, kWall,
                        "bad \"user\"\n\xff") ==
          R"({"ts":"2025-12-02T15:38:47.123Z","level":"warning",)"
          R"("msg":"bad \"user\"\n)"
          "\xef\xbf\xbd\"}");
  }
  CHECK(FormatLogLine(LogDestination::kStderr, LogFormat::kJson,
                      LogLevel::kDebug, kWall, "") ==
        R"({"ts":"2025-12-02T15:38:47.123Z","level":"debug","msg":""})");
}

TEST_CASE("the threshold drops lines above it, debug included") {
  RestoreDefaultLogging restore;
  TempDir dir;

  // Default: info.
  CHECK(LogEnabled(LogLevel::kInfo));
  CHECK_FALSE(LogEnabled(LogLevel::kDebug));

  LogConfig config;
  config.level = LogLevel::kWarning;
  REQUIRE(ConfigureLogging(config).ok());
  CHECK(LogEnabled(LogLevel::kError));
  CHECK(LogEnabled(LogLevel::kWarning));
  CHECK_FALSE(LogEnabled(LogLevel::kInfo));
  {
    StderrCapture capture(dir);
    LogDebug("d");
    LogInfo("i");
    LogWarning("w");
    LogError("e");
    CHECK(capture.Take() == "turnpike: warning: w\nturnpike: error: e\n");
  }

  config.level = LogLevel::kDebug;
  REQUIRE(ConfigureLogging(config).ok());
  {
    StderrCapture capture(dir);
    LogDebug("d");
    LogInfo("i");
    CHECK(capture.Take() == "turnpike: debug: d\nturnpike: i\n");
  }

  config.level = LogLevel::kError;
  REQUIRE(ConfigureLogging(config).ok());
  {
    StderrCapture capture(dir);
    LogWarning("w");
    LogError("e");
    CHECK(capture.Take() == "turnpike: error: e\n");
  }
}

TEST_CASE("json format on stderr: one object per line with a current stamp") {
  RestoreDefaultLogging restore;
  TempDir dir;
  LogConfig config;
  config.format = LogFormat::kJson;
  REQUIRE(ConfigureLogging(config).ok());
  StderrCapture capture(dir);
  LogInfo("hello");
  const std::string out = capture.Take();
  // The stamp is the wall clock's; check its shape, then the rest exactly.
  const std::string prefix = R"({"ts":")";
  REQUIRE(out.size() > prefix.size() + 24);
  CHECK(out.substr(0, prefix.size()) == prefix);
  const std::string stamp = out.substr(prefix.size(), 24);
  CHECK(stamp[4] == '-');
  CHECK(stamp[10] == 'T');
  CHECK(stamp[19] == '.');
  CHECK(stamp[23] == 'Z');
  CHECK(out.substr(prefix.size() + 24) == R"(","level":"info","msg":"hello"})"
                                          "\n");
}

TEST_CASE("switching to syslog and back to stderr") {
  RestoreDefaultLogging restore;
  LogConfig config;
  config.destination = LogDestination::kSyslog;
  config.syslog_facility = "local5";
  REQUIRE(ConfigureLogging(config).ok());
  // Nothing is logged while on syslog: a test must not write to the host's
  // journal. Back on stderr, lines arrive there again.
  REQUIRE(ConfigureLogging(LogConfig{}).ok());
  TempDir dir;
  StderrCapture capture(dir);
  LogError("back");
  CHECK(capture.Take() == "turnpike: error: back\n");
}

}  // namespace
}  // namespace turnpike::runtime
