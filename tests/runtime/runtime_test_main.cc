// doctest runner for the runtime tests: like doctest's own main, except that
// a run in which a case was skipped (and nothing failed) exits with
// kSkipExitCode so CTest reports the skip.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "tests/runtime/skip.h"

namespace turnpike::testing {
namespace {
bool skipped = false;
}  // namespace

void MarkSkipped() { skipped = true; }
bool AnySkipped() { return skipped; }

}  // namespace turnpike::testing

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int result = context.run();
  if (context.shouldExit() || result != 0) return result;
  return turnpike::testing::AnySkipped() ? turnpike::testing::kSkipExitCode : 0;
}
