#include "cli/process_inputs.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

extern char** environ;  // POSIX: declared by no standard header

namespace turnpike::cli {

Environment ProcessEnvironment() {
  Environment env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const size_t equals = text.find('=');
    if (equals == text.npos) continue;
    env.emplace(std::string(text.substr(0, equals)),
                std::string(text.substr(equals + 1)));
  }
  return env;
}

absl::StatusOr<std::string> ReadFileFromDisk(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    const int error = errno;
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(error),
                     "; check the path and that turnpike's user may read it"));
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path, ": read error"));
  }
  return std::move(text).str();
}

}  // namespace turnpike::cli
