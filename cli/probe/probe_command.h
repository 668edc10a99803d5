// `turnpike probe URL... [--user U [--password P] | --rest-secret S [--user U]]
//                  [--timeout SECONDS] [--insecure | --ca FILE]`
// The operator's self-test of a deployment: runs the steps of steps.h
// against each URL in turn (the udp, tcp and tls URLs of one deployment,
// say), prints each step's verdict, and exits 0 only when all passed.
#ifndef TURNPIKE_CLI_PROBE_PROBE_COMMAND_H_
#define TURNPIKE_CLI_PROBE_PROBE_COMMAND_H_

#include <cstdio>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

namespace turnpike::cli::probe {

bool IsProbeCommand(std::string_view first_argument);

// `args` is argv after argv[0] ("probe" first). Exit status: 0 every step
// of every URL passed, 1 a step failed, 2 the command line is wrong. With
// --user and neither --password nor --rest-secret, the password is read
// from `in` (one line), so it stays out of the process list.
int RunProbeCommand(const std::vector<std::string_view>& args, absl::Time now,
                    std::FILE* in, std::FILE* out, std::FILE* err);

}  // namespace turnpike::cli::probe

#endif  // TURNPIKE_CLI_PROBE_PROBE_COMMAND_H_
