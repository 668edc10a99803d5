// The users file (--users-file): one `name:password` or `name:KEY` (see
// cli/user_key.h) per line, blank lines
// and `#` comment lines ignored. Kept apart from turnpike.conf so that the
// secrets can have their own owner and mode.
#ifndef TURNPIKE_CLI_USERS_FILE_H_
#define TURNPIKE_CLI_USERS_FILE_H_

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/deps.h"

namespace turnpike::cli {

// Fails with InvalidArgument "PATH:LINE: ..." naming the first bad line;
// the message never repeats a password.
absl::StatusOr<std::vector<core::Credential>> ParseUsersFile(
    std::string_view text, std::string_view path);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_USERS_FILE_H_
