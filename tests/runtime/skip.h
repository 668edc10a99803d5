// Visible skips for CTest: a test case that cannot run on this host calls
// MarkSkipped() (after a doctest MESSAGE saying why); the runner then exits
// with kSkipExitCode, which CMake registers as SKIP_RETURN_CODE, so the skip
// shows up as "Skipped" instead of a silent pass.
#ifndef TURNPIKE_TESTS_RUNTIME_SKIP_H_
#define TURNPIKE_TESTS_RUNTIME_SKIP_H_

namespace turnpike::testing {

inline constexpr int kSkipExitCode = 77;

void MarkSkipped();
bool AnySkipped();

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_RUNTIME_SKIP_H_
