// The user database the core reads on the packet path: an in-memory
// snapshot built from the settings (static users first, then TURN REST API
// secrets), behind one pointer that the credential reloader swaps
// (cli/credential_reloader.h). The core holds the ReloadableCredentials for
// its whole life.
#ifndef TURNPIKE_CLI_CREDENTIAL_SNAPSHOT_H_
#define TURNPIKE_CLI_CREDENTIAL_SNAPSHOT_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/deps.h"

namespace turnpike::cli {

// Fails with InvalidArgument, starting "user / users-file: " or
// "rest-secret: " and naming the user or secret, when a store refuses its
// input (an unpreparable name, a name given twice, an empty secret).
absl::StatusOr<std::unique_ptr<core::CredentialStore>> BuildCredentialSnapshot(
    const std::string& realm, std::vector<core::Credential> users,
    std::vector<std::string> rest_secrets,
    std::chrono::seconds rest_max_lifetime);

// The snapshot behind one atomic pointer (C++20
// std::atomic<std::shared_ptr>): the credential reloader's thread swaps a
// whole new snapshot in while workers read; a lookup loads the pointer once
// and keeps that snapshot alive until it returns, so a request never sees
// two snapshots.
class ReloadableCredentials final : public core::CredentialStore {
 public:
  explicit ReloadableCredentials(
      std::shared_ptr<const core::CredentialStore> first)
      : current_(std::move(first)) {}
  // Safe from any thread.
  void Replace(std::shared_ptr<const core::CredentialStore> next) {
    current_.store(std::move(next));
  }

  core::CredentialCandidates Find(std::string_view username,
                                  std::string_view realm,
                                  absl::Time wall) const override {
    return current_.load()->Find(username, realm, wall);
  }
  core::CredentialCandidates FindByUserhash(absl::Span<const uint8_t> userhash,
                                            std::string_view realm,
                                            absl::Time wall) const override {
    return current_.load()->FindByUserhash(userhash, realm, wall);
  }

 private:
  std::atomic<std::shared_ptr<const core::CredentialStore>> current_;
};

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_CREDENTIAL_SNAPSHOT_H_
