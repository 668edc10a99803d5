// In-memory stand-ins for the process environment and the file system, so
// the cli tests read no real file and no real variable.
#ifndef TURNPIKE_TESTS_CLI_FAKE_INPUTS_H_
#define TURNPIKE_TESTS_CLI_FAKE_INPUTS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cli/settings.h"

namespace turnpike::cli::testing {

// Files by path; reading any other path fails like a missing file.
inline FileReader FakeFiles(std::map<std::string, std::string> files) {
  return [files = std::move(files)](
             const std::string& path) -> absl::StatusOr<std::string> {
    auto it = files.find(path);
    if (it == files.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read ", path, ": No such file or directory"));
    }
    return it->second;
  };
}

// LoadSettings over string literals.
inline absl::StatusOr<Settings> Load(std::vector<std::string_view> args,
                                     const Environment& env = {},
                                     const FileReader& read = FakeFiles({})) {
  return LoadSettings(args, env, read);
}

// The error message of a load that must fail ("" when it succeeded, which
// makes the comparisons in the tests fail visibly).
inline std::string ErrorOf(const absl::StatusOr<Settings>& loaded) {
  return loaded.ok() ? std::string() : std::string(loaded.status().message());
}

}  // namespace turnpike::cli::testing

#endif  // TURNPIKE_TESTS_CLI_FAKE_INPUTS_H_
