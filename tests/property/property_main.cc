// Runner for the rapidcheck properties, which live inside doctest cases.
//
// Each property must run at least 1000 cases (CTest also sets RC_PARAMS, see
// tests/CMakeLists.txt). rapidcheck reads RC_PARAMS once, on first use, so
// setting a default here, before any property runs, makes a bare run of this
// binary as thorough as the CTest one. An RC_PARAMS already in the
// environment (e.g. "seed=... max_success=1000" to reproduce a failure) wins.
// A run that executed no test case fails (tests/doctest_run_guard.h).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

#include "tests/doctest_run_guard.h"

REGISTER_LISTENER("turnpike_run_counter", 1, turnpike::testing::RunCounter);

int main(int argc, char** argv) {
  setenv("RC_PARAMS", "max_success=1000", /*overwrite=*/0);
  doctest::Context context(argc, argv);
  return turnpike::testing::GuardedExitCode(context.run());
}
