#include "cli/credential_snapshot.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/auth/credential_chain.h"
#include "core/auth/rest_credential_store.h"
#include "core/auth/static_credential_store.h"

namespace turnpike::cli {
namespace {

// Owns the stores the chain borrows.
class Snapshot final : public core::CredentialStore {
 public:
  Snapshot(core::auth::StaticCredentialStore users,
           std::optional<core::auth::RestCredentialStore> rest)
      : users_(std::move(users)), rest_(std::move(rest)), chain_(Stores()) {}

  core::CredentialCandidates Find(std::string_view username,
                                  std::string_view realm,
                                  absl::Time wall) const override {
    return chain_.Find(username, realm, wall);
  }
  core::CredentialCandidates FindByUserhash(absl::Span<const uint8_t> userhash,
                                            std::string_view realm,
                                            absl::Time wall) const override {
    return chain_.FindByUserhash(userhash, realm, wall);
  }

 private:
  std::vector<const core::CredentialStore*> Stores() const {
    std::vector<const core::CredentialStore*> stores = {&users_};
    if (rest_) stores.push_back(&*rest_);
    return stores;
  }

  core::auth::StaticCredentialStore users_;
  std::optional<core::auth::RestCredentialStore> rest_;
  core::auth::CredentialChain chain_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<core::CredentialStore>> BuildCredentialSnapshot(
    const std::string& realm, std::vector<core::Credential> users,
    std::vector<std::string> rest_secrets,
    std::chrono::seconds rest_max_lifetime) {
  absl::StatusOr<core::auth::StaticCredentialStore> static_users =
      core::auth::StaticCredentialStore::Create(realm, std::move(users));
  if (!static_users.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("user / users-file: ", static_users.status().message()));
  }
  std::optional<core::auth::RestCredentialStore> rest;
  if (!rest_secrets.empty()) {
    absl::StatusOr<core::auth::RestCredentialStore> created =
        core::auth::RestCredentialStore::Create(
            realm, std::move(rest_secrets),
            absl::FromChrono(rest_max_lifetime));
    if (!created.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("rest-secret: ", created.status().message()));
    }
    rest = *std::move(created);
  }
  return std::make_unique<Snapshot>(*std::move(static_users), std::move(rest));
}

}  // namespace turnpike::cli
