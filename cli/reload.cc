#include "cli/reload.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/util/absl_compat.h"
#include "core/util/check.h"
#include "runtime/log.h"

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

namespace {

bool SameListeners(const std::vector<runtime::ListenerSpec>& a,
                   const std::vector<runtime::ListenerSpec>& b) {
  return std::equal(
      a.begin(), a.end(), b.begin(), b.end(),
      [](const runtime::ListenerSpec& x, const runtime::ListenerSpec& y) {
        return x.transport == y.transport && x.address == y.address;
      });
}

std::string DescribeListeners(const std::vector<runtime::ListenerSpec>& all) {
  return absl::StrJoin(
      all, ", ", [](std::string* out, const runtime::ListenerSpec& spec) {
        absl::StrAppend(out, ToAbsl(core::TransportName(spec.transport)), "://",
                        spec.address.ToString());
      });
}

}  // namespace

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
  if (settings->log.destination == runtime::LogDestination::kSyslog) {
    absl::StatusOr<int> facility =
        runtime::ParseSyslogFacility(settings->log.syslog_facility);
    if (!facility.ok()) return facility.status();
  }
  // The listeners first: the one change here that can still fail (a port
  // taken), and then nothing else changes either.
  const std::vector<runtime::ListenerSpec> listening_before =
      workers.listening();
  absl::StatusOr<std::vector<runtime::ListenerSpec>> listening =
      workers.ReplaceListeners(settings->worker.listeners);
  if (!listening.ok()) return listening.status();
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
  TURNPIKE_CHECK(runtime::ConfigureLogging(settings->log).ok(),
                 "a log configuration whose facility parsed must apply");
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
  absl::StrAppend(&summary, ", log level ",
                  ToAbsl(runtime::LogLevelName(settings->log.level)));
  if (!SameListeners(listening_before, *listening)) {
    absl::StrAppend(&summary, ", listening on ", DescribeListeners(*listening),
                    " (retired UDP and DTLS sockets close after their last "
                    "allocation)");
  }
  for (const std::string& note : settings->credential_notes) {
    absl::StrAppend(&summary, "; skipped ", note);
  }
  workers.PostToAll(
      [rules](runtime::Worker& loop) { loop.SetPeerRules(rules); });
  // Sessions already open keep the context they started on.
  if (context.tls != nullptr && settings->tls_context != nullptr) {
    context.tls->Swap(settings->tls_context);
    absl::StrAppend(&summary, ", certificate reloaded");
  }
  return summary;
}

}  // namespace turnpike::cli
