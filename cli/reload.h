// SIGHUP: load the settings again from the same flags, environment and
// file, and apply what may change while the relay runs — users, users
// file, REST secrets, quotas and peer policy — without touching any
// allocation. A configuration that does not load changes nothing.
#ifndef TURNPIKE_CLI_RELOAD_H_
#define TURNPIKE_CLI_RELOAD_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/credential_snapshot.h"
#include "cli/settings.h"
#include "runtime/shared_quota_ledger.h"
#include "runtime/supervisor.h"
#include "runtime/transport/tls_context.h"

namespace turnpike::cli {

// What a reload needs to know about the running process.
struct ReloadContext {
  std::vector<std::string> args;  // the command line, after argv[0]
  Environment env;
  FileReader read;
  // The realm is fixed for the process (nonces and keys depend on it).
  std::string realm;
  // The embedded default's credential, kept while nothing replaces it.
  std::optional<core::Credential> generated;
  ReloadableCredentials* credentials = nullptr;
  // Shared by every worker.
  runtime::SharedQuotaLedger* quotas = nullptr;
  // max-allocations as derived at start-up: kept when a reload leaves
  // max-allocations unset (the host has not changed).
  uint32_t derived_max_allocations = 0;
  // Likewise max-connections-per-ip.
  uint32_t derived_connections_per_ip = 0;
  // The certificate new TLS and DTLS sessions take; nullptr without TLS.
  runtime::TlsContextHolder* tls = nullptr;
};

// The credential snapshot to serve with `settings`: the one LoadSettings
// built, unless it was built for another realm than the running one, or
// nothing is configured and the embedded default's `generated` credential
// stands in.
absl::StatusOr<std::shared_ptr<const core::CredentialStore>> ServingCredentials(
    const Settings& settings, const std::string& realm,
    const std::optional<core::Credential>& generated);

// Runs on the credential reloader's thread (cli/credential_reloader.h),
// never on a loop: it reads files and databases. Swaps the credential
// snapshot, the quotas, the connection limit and the certificate at once
// (each is shared by every worker and thread-safe) and posts the peer
// rules to every worker's loop.
// Returns the error that kept the old configuration, or a summary of what
// now applies.
absl::StatusOr<std::string> Reload(const ReloadContext& context,
                                   runtime::Supervisor& workers);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_RELOAD_H_
