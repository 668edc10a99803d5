#include "runtime/log.h"

#include <syslog.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/util/absl_compat.h"
#include "runtime/clock.h"
#include "runtime/json_text.h"

namespace turnpike::runtime {
namespace {

constexpr std::array<std::pair<std::string_view, int>, 12> kFacilities = {{
    {"daemon", LOG_DAEMON},
    {"user", LOG_USER},
    {"auth", LOG_AUTH},
    {"authpriv", LOG_AUTHPRIV},
    {"local0", LOG_LOCAL0},
    {"local1", LOG_LOCAL1},
    {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3},
    {"local4", LOG_LOCAL4},
    {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6},
    {"local7", LOG_LOCAL7},
}};

constexpr std::array<LogLevel, 4> kLevels = {
    LogLevel::kError, LogLevel::kWarning, LogLevel::kInfo, LogLevel::kDebug};

// Destination and format are atomics like the threshold so a late
// ConfigureLogging() cannot tear a read on another thread; each line reads
// them once.
std::atomic<LogDestination> destination{LogDestination::kStderr};
std::atomic<LogFormat> format{LogFormat::kText};
// Whether openlog() is in effect, so moving back to stderr closes it.
std::atomic<bool> syslog_open{false};

std::string_view TextPrefix(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error: ";
    case LogLevel::kWarning:
      return "warning: ";
    case LogLevel::kInfo:
      return "";
    case LogLevel::kDebug:
      return "debug: ";
  }
  return "";
}

int SyslogPriority(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return LOG_ERR;
    case LogLevel::kWarning:
      return LOG_WARNING;
    case LogLevel::kInfo:
      return LOG_INFO;
    case LogLevel::kDebug:
      return LOG_DEBUG;
  }
  return LOG_INFO;
}

// write(2) until the whole line is out; stderr is a pipe or terminal, where a
// line shorter than PIPE_BUF goes out in one atomic write.
void WriteToStderr(std::string_view line) {
  while (!line.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report a failing stderr
    }
    line.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "?";
}

absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name) {
  for (LogLevel level : kLevels) {
    if (LogLevelName(level) == name) return level;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level \"", ToAbsl(name),
                   "\"; use one of error, warning, info, debug"));
}

absl::StatusOr<int> ParseSyslogFacility(std::string_view name) {
  for (const auto& [facility_name, value] : kFacilities) {
    if (facility_name == name) return value;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown syslog facility \"", ToAbsl(name), "\"; use one of ",
      absl::StrJoin(kFacilities, ", ", [](std::string* out, const auto& f) {
        out->append(f.first);
      })));
}

absl::Status ConfigureLogging(const LogConfig& config) {
  if (config.destination == LogDestination::kSyslog) {
    absl::StatusOr<int> facility = ParseSyslogFacility(config.syslog_facility);
    if (!facility.ok()) return facility.status();
    // The ident must outlive every syslog() call: a string literal does.
    openlog("turnpike", LOG_PID, *facility);
    syslog_open.store(true);
  } else if (syslog_open.exchange(false)) {
    closelog();
  }
  format.store(config.format);
  destination.store(config.destination);
  log_internal::threshold.store(static_cast<int>(config.level));
  return absl::OkStatus();
}

std::string FormatLogLine(LogDestination to, LogFormat as, LogLevel level,
                          absl::Time wall, std::string_view message) {
  std::string line;
  if (as == LogFormat::kJson) {
    Json object = Json::object();
    object["ts"] = Rfc3339Millis(wall);
    object["level"] = std::string(LogLevelName(level));
    object["msg"] = std::string(message);
    line = DumpJson(object);
    return line;
  }
  if (to == LogDestination::kSyslog) {
    return std::string(message);
  }
  const std::string_view prefix = TextPrefix(level);
  line.reserve(10 + prefix.size() + message.size());
  line.append("turnpike: ").append(prefix).append(message);
  return line;
}

namespace log_internal {

void Write(LogLevel level, std::string_view message) {
  const LogDestination to = destination.load(std::memory_order_relaxed);
  const LogFormat as = format.load(std::memory_order_relaxed);
  // Only JSON lines carry a timestamp (stderr text is stamped by whatever
  // collects it, syslog by syslogd), so only they read the clock.
  const absl::Time wall =
      as == LogFormat::kJson ? WallNow() : absl::UnixEpoch();
  std::string line = FormatLogLine(to, as, level, wall, message);
  if (to == LogDestination::kSyslog) {
    // "%.*s": the message is data, never a format string.
    syslog(SyslogPriority(level), "%.*s", static_cast<int>(line.size()),
           line.data());
    return;
  }
  line.push_back('\n');
  WriteToStderr(line);
}

}  // namespace log_internal
}  // namespace turnpike::runtime
