// The real inputs of LoadSettings: the process environment and files on
// disk. Tests pass their own instead.
#ifndef TURNPIKE_CLI_PROCESS_INPUTS_H_
#define TURNPIKE_CLI_PROCESS_INPUTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "cli/settings.h"

namespace turnpike::cli {

// A copy of environ(7).
Environment ProcessEnvironment();

// The whole file, or a message "cannot read PATH: REASON; ..." with the fix.
absl::StatusOr<std::string> ReadFileFromDisk(const std::string& path);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_PROCESS_INPUTS_H_
