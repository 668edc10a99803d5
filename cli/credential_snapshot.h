// The user database the core reads on the packet path: an in-memory
// snapshot built from the settings (static users first, then TURN REST API
// secrets), behind one pointer that the credential reloader swaps
// (cli/credential_reloader.h). The core holds the ReloadableCredentials for
// its whole life.
#ifndef TURNPIKE_CLI_CREDENTIAL_SNAPSHOT_H_
#define TURNPIKE_CLI_CREDENTIAL_SNAPSHOT_H_

#include <chrono>
#include <memory>
#include <mutex>
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

// The snapshot behind one pointer: the credential reloader's thread swaps a
// whole new snapshot in while every worker reads; a lookup copies the
// pointer once and keeps that snapshot alive until it returns, so a request
// never sees two snapshots. The pointer is guarded by a mutex held only to
// copy or swap it (once per authenticated request, never per relayed
// packet), not by std::atomic<std::shared_ptr>: GCC 12's load() releases
// its internal lock with a relaxed store, so a concurrent store() races
// with the reader under the C++ memory model (ThreadSanitizer reports it
// in tests/runtime/multiworker_process_test.cc).
class ReloadableCredentials final : public core::CredentialStore {
 public:
  explicit ReloadableCredentials(
      std::shared_ptr<const core::CredentialStore> first)
      : current_(std::move(first)) {}
  // Safe from any thread.
  void Replace(std::shared_ptr<const core::CredentialStore> next) {
    std::lock_guard<std::mutex> lock(mutex_);
    current_.swap(next);
    // The old snapshot is freed here, outside no lock a reader waits on
    // for long: `next` goes at the end of the scope, after the unlock.
  }

  core::CredentialCandidates Find(std::string_view username,
                                  std::string_view realm,
                                  absl::Time wall) const override {
    return Current()->Find(username, realm, wall);
  }
  core::CredentialCandidates FindByUserhash(absl::Span<const uint8_t> userhash,
                                            std::string_view realm,
                                            absl::Time wall) const override {
    return Current()->FindByUserhash(userhash, realm, wall);
  }

 private:
  std::shared_ptr<const core::CredentialStore> Current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return current_;
  }

  mutable std::mutex mutex_;
  std::shared_ptr<const core::CredentialStore> current_;  // under mutex_
};

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_CREDENTIAL_SNAPSHOT_H_
