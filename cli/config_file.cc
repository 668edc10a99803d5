#include "cli/config_file.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli {
namespace {

bool IsKeyCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

}  // namespace

absl::StatusOr<std::vector<ConfigFileEntry>> ParseConfigFile(
    std::string_view text, std::string_view path) {
  std::vector<ConfigFileEntry> entries;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(ToAbsl(text), '\n')) {
    ++line_number;
    // StripAsciiWhitespace also drops the '\r' of CRLF files.
    const std::string_view line = FromAbsl(absl::StripAsciiWhitespace(raw));
    if (line.empty() || line.front() == '#') continue;
    const size_t equals = line.find('=');
    const std::string_view key = FromAbsl(
        absl::StripTrailingAsciiWhitespace(ToAbsl(line.substr(0, equals))));
    // A name starts with a letter, so "--realm = x" (a flag pasted into
    // the file) is refused here with the fix.
    bool key_ok = !key.empty() && key.front() >= 'a' && key.front() <= 'z';
    for (char c : key) key_ok = key_ok && IsKeyCharacter(c);
    if (!key_ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          ToAbsl(path), ":", line_number, ": '", ToAbsl(key.substr(0, 40)),
          "' is not an option name; write `name = value` with a lower-case "
          "name such as max-port (see turnpike --help), or start the line "
          "with # to make it a comment"));
    }
    ConfigFileEntry entry{std::string(key), std::nullopt, line_number};
    if (equals != line.npos) {
      entry.value = std::string(
          absl::StripLeadingAsciiWhitespace(ToAbsl(line.substr(equals + 1))));
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace turnpike::cli
