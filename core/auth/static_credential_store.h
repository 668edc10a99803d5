// Users from the configuration (coturn's `user=name:password`), held in
// memory: lookups on the packet path never wait on I/O (DESIGN.md).
#ifndef TURNPIKE_CORE_AUTH_STATIC_CREDENTIAL_STORE_H_
#define TURNPIKE_CORE_AUTH_STATIC_CREDENTIAL_STORE_H_

#include <array>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/deps.h"

namespace turnpike::core::auth {

class StaticCredentialStore final : public CredentialStore {
 public:
  // Prepares every name and password with OpaqueString (RFC 8265 §4.2, as
  // RFC 8489 §9.2.2 requires) and indexes USERHASH for `realm`. Fails,
  // naming the user, on an empty or unpreparable name or password and on a
  // name given twice. A user given as a key (Credential::key_algorithm)
  // keeps it as is and must have its algorithm's key size.
  static absl::StatusOr<StaticCredentialStore> Create(
      std::string realm, std::vector<Credential> users);

  CredentialCandidates Find(std::string_view username, std::string_view realm,
                            absl::Time wall) const override;
  CredentialCandidates FindByUserhash(absl::Span<const uint8_t> userhash,
                                      std::string_view realm,
                                      absl::Time wall) const override;

  size_t size() const { return users_.size(); }

 private:
  using Userhash = std::array<uint8_t, stun::kUserhashSize>;
  StaticCredentialStore() = default;

  std::string realm_;
  // By prepared name; passwords prepared too.
  absl::flat_hash_map<std::string, Credential> users_;
  absl::flat_hash_map<Userhash, std::string> names_by_userhash_;
};

}  // namespace turnpike::core::auth

#endif  // TURNPIKE_CORE_AUTH_STATIC_CREDENTIAL_STORE_H_
