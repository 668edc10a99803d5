// How `turnpike probe` prints its verdicts: one line per step, so a person
// reads it and a script can grep "^  FAIL".
//   PASS  Allocate A                0.8 ms  relayed 192.0.2.1:50000 ...
#ifndef TURNPIKE_CLI_PROBE_REPORT_H_
#define TURNPIKE_CLI_PROBE_REPORT_H_

#include <string>
#include <vector>

#include "cli/probe/probe_url.h"
#include "cli/probe/steps.h"

namespace turnpike::cli::probe {

// "probe turn:host?transport=udp (udp)\n"
std::string FormatHeading(const ProbeUrl& url);
std::string FormatStep(const StepResult& step);
// "turn:...: PASS, 13 steps" or "turn:...: FAIL at Allocate A".
std::string FormatSummary(const ProbeUrl& url,
                          const std::vector<StepResult>& steps);
// True when every step passed (and there was at least one).
bool AllPassed(const std::vector<StepResult>& steps);

}  // namespace turnpike::cli::probe

#endif  // TURNPIKE_CLI_PROBE_REPORT_H_
