// The one table of configuration options: name, short alias, value, default,
// help, and how a value is applied. Flags, the configuration file, the
// environment, --help and docs/configuration.md are all read off it, so a
// new option is one row here.
#ifndef TURNPIKE_CLI_OPTION_TABLE_H_
#define TURNPIKE_CLI_OPTION_TABLE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace turnpike::cli {

struct LoadState;  // cli/load_state.h

enum class OptionKind : uint8_t {
  kScalar,  // one value; the last one given in the winning source counts
  kList,    // every value of the winning source, in order
  kSwitch,  // a boolean: a bare --name (or a bare `name` line) means true
};

// Where an option may be given.
enum OptionSource : uint8_t {
  kFromFlag = 1,
  kFromEnv = 2,
  kFromFile = 4,
  kFromAnywhere = kFromFlag | kFromEnv | kFromFile,
};

// Applies one value. Fails with InvalidArgument saying what is wrong with
// the value and how to fix it; the caller prefixes where it came from.
using ApplyFn = absl::Status (*)(std::string_view value, LoadState& state);

struct OptionSpec {
  std::string_view name;         // "max-port": --max-port, `max-port = ...`
  std::string_view short_alias;  // "-f", or empty
  std::string_view value_name;   // "PORT"; "BOOL" for switches
  std::string_view default_text;
  std::string_view help;  // sentences; lines separated by '\n'
  OptionKind kind;
  uint8_t sources;  // OptionSource bits
  // Takes effect on SIGHUP without a restart.
  bool reloadable;
  ApplyFn apply;
};

absl::Span<const OptionSpec> OptionTable();

// By long name without dashes ("max-port"), or nullptr.
const OptionSpec* FindOption(std::string_view name);
// By short alias with its dash ("-f"), or nullptr.
const OptionSpec* FindShortOption(std::string_view alias);

// "TURNPIKE_MAX_PORT" for "max-port".
std::string EnvName(const OptionSpec& spec);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_OPTION_TABLE_H_
