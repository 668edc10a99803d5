#include "cli/reload.h"

#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

namespace turnpike::cli {

absl::StatusOr<std::shared_ptr<const core::CredentialStore>> ServingCredentials(
    const Settings& settings, const std::string& realm,
    const std::optional<core::Credential>& generated) {
  const bool stand_in =
      generated && settings.users.empty() && settings.rest_secrets.empty();
  if (settings.worker.server.realm == realm && !stand_in) {
    return settings.credentials;
  }
  std::vector<core::Credential> users = settings.users;
  if (stand_in) users.push_back(*generated);
  absl::StatusOr<std::unique_ptr<core::CredentialStore>> built =
      BuildCredentialSnapshot(realm, std::move(users), settings.rest_secrets,
                              settings.rest_max_lifetime);
  if (!built.ok()) return built.status();
  return std::shared_ptr<const core::CredentialStore>(*std::move(built));
}

absl::StatusOr<std::string> Reload(const ReloadContext& context,
                                   runtime::Supervisor& workers) {
  const std::vector<std::string_view> args(context.args.begin(),
                                           context.args.end());
  absl::StatusOr<Settings> settings =
      LoadSettings(args, context.env, context.read);
  if (!settings.ok()) return settings.status();
  std::string notes;
  if (settings->worker.server.realm != context.realm) {
    absl::StrAppend(&notes, "; realm stays '", context.realm,
                    "' until a restart");
  }
  const size_t users = settings->users.size();
  const size_t secrets = settings->rest_secrets.size();
  absl::StatusOr<std::shared_ptr<const core::CredentialStore>> snapshot =
      ServingCredentials(*settings, context.realm, context.generated);
  if (!snapshot.ok()) return snapshot.status();
  if (!settings->max_allocations_given) {
    settings->quotas.total = context.derived_max_allocations;
  }
  const uint32_t connections_per_ip =
      settings->max_connections_per_ip_given
          ? settings->worker.transport.max_connections_per_ip
          : context.derived_connections_per_ip;
  // Nothing can fail from here on: apply all of it or none. The snapshot,
  // the quota ledger, the connection limiter and the certificate holder
  // are shared by every worker and swapped from this thread (each is
  // thread-safe); the peer rules belong to each worker's loop.
  context.credentials->Replace(*std::move(snapshot));
  context.quotas->SetLimits(settings->quotas);
  workers.SetConnectionsPerIp(connections_per_ip);
  const core::PeerFilterRules& rules = settings->worker.server.peer_rules;
  std::string summary = absl::StrCat(
      users, " users, ", secrets, " REST secrets, quotas ",
      settings->quotas.total, "/", settings->quotas.per_user, "/",
      settings->quotas.per_client_ip, " (total/user/ip, 0 = none), ",
      rules.allow.size(), " peer-allow and ", rules.deny.size(),
      " peer-deny rules, max-connections-per-ip ", connections_per_ip,
      " (0 = none; existing connections kept)", notes);
  for (const std::string& note : settings->credential_notes) {
    absl::StrAppend(&summary, "; skipped ", note);
  }
  workers.PostToAll([rules](runtime::Worker& loop) { loop.SetPeerRules(rules); });
  // Sessions already open keep the context they started on.
  if (context.tls != nullptr && settings->tls_context != nullptr) {
    context.tls->Swap(settings->tls_context);
    absl::StrAppend(&summary, ", certificate reloaded");
  }
  return summary;
}

}  // namespace turnpike::cli
