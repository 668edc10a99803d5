#include "cli/users_file.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/value_parsers.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli {

absl::StatusOr<std::vector<core::Credential>> ParseUsersFile(
    std::string_view text, std::string_view path) {
  std::vector<core::Credential> users;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(ToAbsl(text), '\n')) {
    ++line_number;
    const std::string_view line = FromAbsl(absl::StripAsciiWhitespace(raw));
    if (line.empty() || line.front() == '#') continue;
    absl::StatusOr<core::Credential> user = ParseUserEntry(line);
    if (!user.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          ToAbsl(path), ":", line_number, ": ", user.status().message()));
    }
    users.push_back(*std::move(user));
  }
  return users;
}

}  // namespace turnpike::cli
