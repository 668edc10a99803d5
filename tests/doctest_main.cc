// The doctest runner for the unit-test executables: doctest's own main, plus
// the guard that fails a run which executed no test case
// (tests/doctest_run_guard.h).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "tests/doctest_run_guard.h"

REGISTER_LISTENER("turnpike_run_counter", 1, turnpike::testing::RunCounter);

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  return turnpike::testing::GuardedExitCode(context.run());
}
