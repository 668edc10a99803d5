// The operator's subcommands that need no running relay:
//   turnpike users add|remove|list --users-file FILE --realm REALM
//            [--sha256] [NAME] [--password PASSWORD]
//   turnpike rest-credential --secret SECRET --user USER [--ttl SECONDS]
// `users` edits the users file (cli/users_file.h) in place, keeping its
// comments and the other lines, and writes it whole to a temporary file
// that is renamed over the old one, so a running turnpike (which reloads a
// changed users file) never reads half of it. `rest-credential` mints what
// a web service hands out under the TURN REST API
// (draft-uberti-behave-turn-rest-00).
#ifndef TURNPIKE_CLI_ADMIN_COMMANDS_H_
#define TURNPIKE_CLI_ADMIN_COMMANDS_H_

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace turnpike::cli {

// True when argv[1] names a subcommand RunAdminCommand handles.
bool IsAdminCommand(std::string_view first_argument);

// Runs the subcommand in `args` (argv after argv[0]); prints results to
// `out` and returns the exit status (0, or 2 with the error on `err`).
// A password not given with --password is read from `in` (one line), so
// it stays out of the process list.
int RunAdminCommand(const std::vector<std::string_view>& args, absl::Time now,
                    std::FILE* in, std::FILE* out, std::FILE* err);

// `text` (a users file) with `name` set to `value` (its line replaced where
// it was, or appended), or removed when `value` is empty. Fails when
// removing a name the file does not have.
absl::StatusOr<std::string> EditUsersText(std::string_view text,
                                          std::string_view name,
                                          std::string_view value);

struct RestCredential {
  std::string username;  // "<unix expiry>:<user>"
  std::string password;  // base64(HMAC-SHA1(secret, username))
};
RestCredential MintRestCredential(std::string_view secret,
                                  std::string_view user, absl::Duration ttl,
                                  absl::Time now);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_ADMIN_COMMANDS_H_
