#include "core/auth/static_credential_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/stun/integrity.h"
#include "core/stun/opaque_string.h"
#include "core/util/absl_compat.h"

namespace turnpike::core::auth {

absl::StatusOr<StaticCredentialStore> StaticCredentialStore::Create(
    std::string realm, std::vector<Credential> users) {
  StaticCredentialStore store;
  store.realm_ = std::move(realm);
  for (Credential& user : users) {
    auto name = stun::PrepareOpaqueString(user.username);
    if (!name.ok() || name->empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "user \"", absl::CHexEscape(ToAbsl(user.username)),
          "\": the name must be non-empty printable Unicode (RFC 8265 "
          "OpaqueString); fix or remove it"));
    }
    if (user.key_algorithm) {
      // RFC 8489 §9.2.2: MD5 keys are 16 bytes, SHA-256 keys 32.
      const size_t expected =
          *user.key_algorithm == stun::PasswordAlgorithmId::kMd5 ? 16 : 32;
      if (user.key.size() != expected) {
        return absl::InvalidArgumentError(
            absl::StrCat("user \"", *name, "\": the key must be ", expected,
                         " bytes for its algorithm; write it again"));
      }
    } else {
      auto password = stun::PrepareOpaqueString(user.password);
      if (!password.ok() || password->empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "user \"", *name,
            "\": the password must be non-empty printable Unicode (RFC 8265 "
            "OpaqueString); set one"));
      }
      user.password = std::move(*password);
    }
    if (store.users_.contains(*name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("user \"", *name, "\" is given twice; keep one"));
    }
    store.names_by_userhash_.emplace(stun::ComputeUserhash(*name, store.realm_),
                                     *name);
    user.username = *name;
    user.expires = std::nullopt;
    store.users_.emplace(*name, std::move(user));
  }
  return store;
}

CredentialCandidates StaticCredentialStore::Find(std::string_view username,
                                                 std::string_view realm,
                                                 absl::Time) const {
  CredentialCandidates out;
  if (realm != realm_) return out;
  auto it = users_.find(ToAbsl(username));
  if (it != users_.end()) out.push_back(it->second);
  return out;
}

CredentialCandidates StaticCredentialStore::FindByUserhash(
    absl::Span<const uint8_t> userhash, std::string_view realm,
    absl::Time wall) const {
  if (realm != realm_ || userhash.size() != stun::kUserhashSize) return {};
  Userhash key;
  std::copy(userhash.begin(), userhash.end(), key.begin());
  auto it = names_by_userhash_.find(key);
  if (it == names_by_userhash_.end()) return {};
  return Find(it->second, realm, wall);
}

}  // namespace turnpike::core::auth
