#include "core/util/check.h"

#include <cstdlib>

#include "absl/base/internal/raw_logging.h"
#include "absl/base/log_severity.h"

namespace turnpike {

void CheckFailed(const char* file, int line, const char* condition,
                 const char* message) {
  // Abseil's raw logger writes to stderr with one system call and no heap:
  // the core's only console output, and only on the way out (it aborts on a
  // fatal severity; the abort below keeps [[noreturn]] honest).
  absl::raw_logging_internal::RawLog(absl::LogSeverity::kFatal, file, line,
                                     "CHECK failed: %s: %s", condition,
                                     message);
  std::abort();
}

}  // namespace turnpike
