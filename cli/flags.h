// The command line, turned into a validated WorkerConfig. A small table of
// options (flags.cc) rather than absl flags: the table grows into the config
// system (file and environment) with one source for names, defaults and help.
#ifndef TURNPIKE_CLI_FLAGS_H_
#define TURNPIKE_CLI_FLAGS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/worker.h"

namespace turnpike::cli {

struct Options {
  runtime::WorkerConfig worker;
  bool help = false;
  bool version = false;
};

// Parses the arguments after the program name. Fails with InvalidArgument
// whose message starts with the offending flag and says how to fix it.
absl::StatusOr<Options> ParseFlags(absl::Span<const std::string_view> args);

// The --help text: every flag with its value, meaning and default.
std::string HelpText();

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_FLAGS_H_
