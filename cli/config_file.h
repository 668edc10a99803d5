// The syntax of turnpike.conf, without its meaning: one `name = value` per
// line, a bare `name` for a switch, blank lines, and `#` comment lines.
// Which names exist and what values mean is the option table's business.
#ifndef TURNPIKE_CLI_CONFIG_FILE_H_
#define TURNPIKE_CLI_CONFIG_FILE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace turnpike::cli {

struct ConfigFileEntry {
  std::string key;
  // nullopt for a bare `name` line (a switch turned on).
  std::optional<std::string> value;
  int line = 0;  // 1-based
};

// Fails with InvalidArgument "PATH:LINE: ..." on a line that is not an
// entry, a comment or blank. `#` starts a comment only at the start of a
// line (after blanks): passwords and secrets may contain '#'.
absl::StatusOr<std::vector<ConfigFileEntry>> ParseConfigFile(
    std::string_view text, std::string_view path);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_CONFIG_FILE_H_
