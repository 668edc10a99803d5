#include "cli/user_key.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/stun/integrity.h"
#include "core/stun/opaque_string.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli {
namespace {

bool HasHexPrefix(std::string_view value) {
  return value.size() >= 2 && value[0] == '0' &&
         (value[1] == 'x' || value[1] == 'X');
}

bool AllHex(std::string_view digits) {
  for (char c : digits) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

bool LooksLikeKey(std::string_view value) {
  return HasHexPrefix(value) ||
         absl::StartsWith(ToAbsl(value), ToAbsl(kSha256KeyPrefix));
}

absl::Status ParseUserKey(std::string_view value, core::Credential& user) {
  const bool sha256 = absl::StartsWith(ToAbsl(value), ToAbsl(kSha256KeyPrefix));
  if (sha256) value.remove_prefix(kSha256KeyPrefix.size());
  const size_t digits = sha256 ? 64 : 32;
  if (!HasHexPrefix(value) || value.size() != 2 + digits ||
      !AllHex(value.substr(2))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "user '", ToAbsl(user.username), "': ",
        sha256 ? "a SHA-256 key is written sha256:0x followed by 64 hex digits"
               : "a value starting 0x is an MD5 key (turnadmin -k) and needs "
                 "exactly 32 hex digits after it",
        "; print one with `turnpike users add`",
        sha256 ? "" : ", or write sha256:0x<64 hex digits> for SHA-256"));
  }
  const std::string bytes = absl::HexStringToBytes(ToAbsl(value.substr(2)));
  user.key_algorithm = sha256 ? stun::PasswordAlgorithmId::kSha256
                              : stun::PasswordAlgorithmId::kMd5;
  user.key.assign(bytes.begin(), bytes.end());
  user.password.clear();
  return absl::OkStatus();
}

absl::StatusOr<std::string> FormatUserKey(std::string_view name,
                                          std::string_view realm,
                                          std::string_view password,
                                          bool sha256) {
  auto prepared_name = stun::PrepareOpaqueString(name);
  auto prepared_password = stun::PrepareOpaqueString(password);
  if (!prepared_name.ok() || prepared_name->empty() ||
      !prepared_password.ok() || prepared_password->empty() || realm.empty()) {
    return absl::InvalidArgumentError(
        "the name and password must each be non-empty printable Unicode "
        "(RFC 8265 OpaqueString), and the realm non-empty");
  }
  const stun::HmacKey key = stun::LongTermKey(
      sha256 ? stun::PasswordAlgorithmId::kSha256
             : stun::PasswordAlgorithmId::kMd5,
      // The server hashes the realm as the client sends it, unprepared.
      *prepared_name, realm, *prepared_password);
  const std::string hex = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
  return absl::StrCat(sha256 ? ToAbsl(kSha256KeyPrefix) : "", "0x", hex);
}

}  // namespace turnpike::cli
