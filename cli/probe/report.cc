#include "cli/probe/report.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli::probe {
namespace {

// Text from the server (reason phrases) may hold anything: only printable
// ASCII reaches the operator's terminal.
std::string Printable(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    out += (c >= 0x20 && c < 0x7F) ? c : '?';
  }
  return out;
}

}  // namespace

std::string FormatHeading(const ProbeUrl& url) {
  return absl::StrCat("probe ", Printable(url.text), " (",
                      ToAbsl(TransportName(url.transport)), ")\n");
}

std::string FormatStep(const StepResult& step) {
  std::string rtt = "";
  if (step.rtt) {
    const double ms =
        std::chrono::duration<double, std::milli>(*step.rtt).count();
    rtt = absl::StrFormat("%.1f ms", ms);
  }
  return absl::StrFormat("  %s  %-24s %10s  %s\n",
                         step.passed ? "PASS" : "FAIL", step.name, rtt,
                         Printable(step.detail));
}

bool AllPassed(const std::vector<StepResult>& steps) {
  if (steps.empty()) return false;
  for (const StepResult& step : steps) {
    if (!step.passed) return false;
  }
  return true;
}

std::string FormatSummary(const ProbeUrl& url,
                          const std::vector<StepResult>& steps) {
  if (AllPassed(steps)) {
    return absl::StrCat(Printable(url.text), ": PASS, ", steps.size(),
                        steps.size() == 1 ? " step\n" : " steps\n");
  }
  for (const StepResult& step : steps) {
    if (!step.passed) {
      return absl::StrCat(Printable(url.text), ": FAIL at ", step.name, ": ",
                          Printable(step.detail), "\n");
    }
  }
  return absl::StrCat(Printable(url.text), ": FAIL, nothing ran\n");
}

}  // namespace turnpike::cli::probe
