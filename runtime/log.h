// Operator-facing log lines, one line per call, to stderr or syslog, as plain
// text or JSON lines. Process-wide: ConfigureLogging() is called once at
// startup (before worker threads start); until then lines go to stderr as
// text at level info.
//
// Plain stderr text is "turnpike: [debug: |warning: |error: ]message", the
// format tests and scripts match on. JSON is one object per line:
//   {"ts":"2026-12-02T15:38:47.123Z","level":"info","msg":"..."}
// Every line is written with one write(2) (stderr) or one syslog(3) call, so
// lines from several threads never interleave mid-line.
#ifndef TURNPIKE_RUNTIME_LOG_H_
#define TURNPIKE_RUNTIME_LOG_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace turnpike::runtime {

// Ordered by verbosity: a line is written when its level <= the threshold.
enum class LogLevel : int { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };
enum class LogDestination : uint8_t { kStderr, kSyslog };
enum class LogFormat : uint8_t { kText, kJson };

struct LogConfig {
  LogLevel level = LogLevel::kInfo;
  LogDestination destination = LogDestination::kStderr;
  // syslog(3) facility by name; read only when destination is kSyslog.
  std::string syslog_facility = "daemon";
  LogFormat format = LogFormat::kText;
};

// "error", "warning", "info", "debug".
std::string_view LogLevelName(LogLevel level);
// Inverse of LogLevelName; the error lists the valid names.
absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name);
// "daemon", "user", "auth", "authpriv", "local0".."local7" to the LOG_*
// facility value for openlog(3); the error lists the valid names.
absl::StatusOr<int> ParseSyslogFacility(std::string_view name);

// Applies `config` to every later log call. For syslog it calls
// openlog("turnpike", LOG_PID, facility); switching back to stderr calls
// closelog(). On error nothing changes.
absl::Status ConfigureLogging(const LogConfig& config);

namespace log_internal {
// The threshold as an int so the inline check below is one relaxed load and
// a compare. Constant-initialised: valid before main().
inline std::atomic<int> threshold{static_cast<int>(LogLevel::kInfo)};
void Write(LogLevel level, std::string_view message);
}  // namespace log_internal

// Whether a line at `level` would be written. Guard expensive message
// building with it:  if (LogEnabled(LogLevel::kDebug)) LogDebug(StrCat(...));
inline bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) <=
         log_internal::threshold.load(std::memory_order_relaxed);
}

inline void LogError(std::string_view message) {
  if (LogEnabled(LogLevel::kError)) {
    log_internal::Write(LogLevel::kError, message);
  }
}
inline void LogWarning(std::string_view message) {
  if (LogEnabled(LogLevel::kWarning)) {
    log_internal::Write(LogLevel::kWarning, message);
  }
}
inline void LogInfo(std::string_view message) {
  if (LogEnabled(LogLevel::kInfo)) {
    log_internal::Write(LogLevel::kInfo, message);
  }
}
inline void LogDebug(std::string_view message) {
  if (LogEnabled(LogLevel::kDebug)) {
    log_internal::Write(LogLevel::kDebug, message);
  }
}

// The text one call produces for `destination` and `format`, without
// the trailing newline stderr gets. For syslog in text format it is the bare
// message: syslog adds the ident, pid and priority itself. Exposed so tests
// can check exact lines at a fixed time.
std::string FormatLogLine(LogDestination destination, LogFormat format,
                          LogLevel level, absl::Time wall,
                          std::string_view message);

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_LOG_H_
