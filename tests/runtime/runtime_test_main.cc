// doctest runner for the runtime tests: like doctest's own main, except that
// a run in which a case was skipped (and nothing failed) exits with
// kSkipExitCode so CTest reports the skip, and a run that executed no test
// case fails (tests/doctest_run_guard.h).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "tests/doctest_run_guard.h"
#include "tests/runtime/skip.h"

namespace turnpike::testing {
namespace {
bool skipped = false;
}  // namespace

void MarkSkipped() { skipped = true; }
bool AnySkipped() { return skipped; }

}  // namespace turnpike::testing

REGISTER_LISTENER("turnpike_run_counter", 1, turnpike::testing::RunCounter);

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int result = turnpike::testing::GuardedExitCode(context.run());
  if (context.shouldExit() || result != 0) return result;
  return turnpike::testing::AnySkipped() ? turnpike::testing::kSkipExitCode : 0;
}
