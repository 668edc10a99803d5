// Users stored as keys instead of passwords (RFC 8489 §9.2.2): the value
// of a `user` or users-file entry may be
//   0x<32 hex digits>         the MD5 key md5(name:realm:password), as
//                             coturn's `turnadmin -k` prints it and
//                             restund's filedb stores it;
//   sha256:0x<64 hex digits>  the SHA-256 key sha256(name:realm:password).
// Anything else is a plain password. A key is bound to the realm it was
// made for and answers only its own PASSWORD-ALGORITHM.
#ifndef TURNPIKE_CLI_USER_KEY_H_
#define TURNPIKE_CLI_USER_KEY_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/deps.h"

namespace turnpike::cli {

// The prefix that marks a SHA-256 key.
inline constexpr std::string_view kSha256KeyPrefix = "sha256:";

// True when `value` is written as a key (starts "0x", "0X" or "sha256:"),
// whether or not the key is well formed.
bool LooksLikeKey(std::string_view value);

// Sets `user.key_algorithm` and `user.key` from a value LooksLikeKey
// accepts; the error says what a well-formed key looks like and never
// repeats the value.
absl::Status ParseUserKey(std::string_view value, core::Credential& user);

// The value to store for `name` with `password` in `realm`: "0x<md5 hex>",
// or "sha256:0x<sha256 hex>" when `sha256`. Fails, naming the fix, when the
// name or password is not valid OpaqueString (RFC 8265 §4.2).
absl::StatusOr<std::string> FormatUserKey(std::string_view name,
                                          std::string_view realm,
                                          std::string_view password,
                                          bool sha256);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_USER_KEY_H_
