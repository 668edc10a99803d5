// Several credential sources asked in order (the caller puts the static
// users first, then the REST secrets); every candidate of every source is
// offered to the integrity check, which picks the one the client holds.
#ifndef TURNPIKE_CORE_AUTH_CREDENTIAL_CHAIN_H_
#define TURNPIKE_CORE_AUTH_CREDENTIAL_CHAIN_H_

#include <string_view>
#include <utility>
#include <vector>

#include "core/deps.h"

namespace turnpike::core::auth {

class CredentialChain final : public CredentialStore {
 public:
  // Borrowed and non-null; each must outlive the chain.
  explicit CredentialChain(std::vector<const CredentialStore*> stores)
      : stores_(std::move(stores)) {}

  // The concatenation of every store's candidates, in store order.
  CredentialCandidates Find(std::string_view username, std::string_view realm,
                            absl::Time wall) const override;
  CredentialCandidates FindByUserhash(absl::Span<const uint8_t> userhash,
                                      std::string_view realm,
                                      absl::Time wall) const override;

 private:
  std::vector<const CredentialStore*> stores_;
};

}  // namespace turnpike::core::auth

#endif  // TURNPIKE_CORE_AUTH_CREDENTIAL_CHAIN_H_
