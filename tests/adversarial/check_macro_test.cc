// TURNPIKE_CHECK (core/util/check.h) says what broke before it ends the
// process: file, line, the condition and the message (DESIGN.md
// "Invariants say what broke"), where a bare trap said nothing.
#include <doctest/doctest.h>
#include <signal.h>

#include <memory>
#include <optional>
#include <string>

#include "tests/runtime/subprocess.h"
#include "tests/runtime/turnpike_process.h"

namespace turnpike::testing {
namespace {

TEST_CASE(
    "a failed CHECK prints file and line and condition and message "
    "then aborts") {
  std::unique_ptr<Subprocess> probe =
      Subprocess::Start(TURNPIKE_CHECK_PROBE, {});
  REQUIRE(probe);
  std::optional<ExitInfo> exit = probe->WaitForExit(kExitTimeout);
  REQUIRE(exit.has_value());
  CHECK(exit->ToString() == ExitInfo{false, -1, SIGABRT}.ToString());
  const std::string output = probe->Output();
  CAPTURE(output);
  CHECK(output.find("check_failure_probe.cc : 6]") != std::string::npos);
  CHECK(output.find("CHECK failed: argc > 100") != std::string::npos);
  CHECK(output.find("the probe's invariant broke on purpose") !=
        std::string::npos);
}

}  // namespace
}  // namespace turnpike::testing
