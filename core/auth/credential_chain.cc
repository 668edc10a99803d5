#include "core/auth/credential_chain.h"

#include <utility>

namespace turnpike::core::auth {

namespace {

void Append(CredentialCandidates found, CredentialCandidates& out) {
  for (Credential& credential : found) out.push_back(std::move(credential));
}

}  // namespace

CredentialCandidates CredentialChain::Find(std::string_view username,
                                           std::string_view realm,
                                           absl::Time wall) const {
  CredentialCandidates out;
  for (const CredentialStore* store : stores_) {
    Append(store->Find(username, realm, wall), out);
  }
  return out;
}

CredentialCandidates CredentialChain::FindByUserhash(
    absl::Span<const uint8_t> userhash, std::string_view realm,
    absl::Time wall) const {
  CredentialCandidates out;
  for (const CredentialStore* store : stores_) {
    Append(store->FindByUserhash(userhash, realm, wall), out);
  }
  return out;
}

}  // namespace turnpike::core::auth
