// Several credential sources asked in order (static users, then REST
// secrets); every candidate of every source is offered to the integrity
// check.
#ifndef TURNPIKE_CORE_AUTH_CREDENTIAL_CHAIN_H_
#define TURNPIKE_CORE_AUTH_CREDENTIAL_CHAIN_H_

#include <vector>

#include "core/deps.h"

namespace turnpike::core::auth {

class CredentialChain final : public CredentialStore {
 public:
  // Borrowed; each must outlive the chain.
  explicit CredentialChain(std::vector<const CredentialStore*> stores)
      : stores_(std::move(stores)) {}

  CredentialCandidates Find(std::string_view username, std::string_view realm,
                            absl::Time wall) const override {
    CredentialCandidates out;
    for (const CredentialStore* store : stores_) {
      for (Credential& c : store->Find(username, realm, wall)) {
        out.push_back(std::move(c));
      }
    }
    return out;
  }
  CredentialCandidates FindByUserhash(absl::Span<const uint8_t> userhash,
                                      std::string_view realm,
                                      absl::Time wall) const override {
    CredentialCandidates out;
    for (const CredentialStore* store : stores_) {
      for (Credential& c : store->FindByUserhash(userhash, realm, wall)) {
        out.push_back(std::move(c));
      }
    }
    return out;
  }

 private:
  std::vector<const CredentialStore*> stores_;
};

}  // namespace turnpike::core::auth

#endif  // TURNPIKE_CORE_AUTH_CREDENTIAL_CHAIN_H_
