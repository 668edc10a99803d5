// TURNPIKE_CHECK: a broken internal invariant ends the process after saying
// what broke (file, line, the condition and why it must hold), never a bare
// trap (DESIGN.md "Invariants say what broke"). Only for bugs: nothing a
// packet or a configuration the config check accepts can reach fails one.
#ifndef TURNPIKE_CORE_UTIL_CHECK_H_
#define TURNPIKE_CORE_UTIL_CHECK_H_

#include "absl/base/optimization.h"

namespace turnpike {

// Prints "file:line: CHECK failed: condition: message" to stderr and
// aborts. Allocates nothing, so it is safe wherever the invariant broke.
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              const char* message);

}  // namespace turnpike

#define TURNPIKE_CHECK(condition, message)                              \
  do {                                                                  \
    if (ABSL_PREDICT_FALSE(!(condition))) {                             \
      ::turnpike::CheckFailed(__FILE__, __LINE__, #condition, message); \
    }                                                                   \
  } while (0)

#endif  // TURNPIKE_CORE_UTIL_CHECK_H_
