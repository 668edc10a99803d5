#include "cli/reload.h"

#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

namespace turnpike::cli {

absl::StatusOr<std::string> Reload(const ReloadContext& context,
                                   runtime::Worker& worker) {
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
  std::vector<core::Credential> credentials = std::move(settings->users);
  if (credentials.empty() && secrets == 0 && context.generated) {
    credentials.push_back(*context.generated);
  }
  absl::StatusOr<std::unique_ptr<core::CredentialStore>> snapshot =
      BuildCredentialSnapshot(context.realm, std::move(credentials),
                              std::move(settings->rest_secrets));
  if (!snapshot.ok()) return snapshot.status();
  // Nothing can fail from here on: apply all of it or none.
  context.credentials->Replace(*std::move(snapshot));
  context.quotas->SetLimits(settings->quotas);
  const core::PeerFilterRules& rules = settings->worker.server.peer_rules;
  const std::string summary = absl::StrCat(
      users, " users, ", secrets, " REST secrets, quotas ",
      settings->quotas.total, "/", settings->quotas.per_user, "/",
      settings->quotas.per_client_ip, " (total/user/ip, 0 = none), ",
      rules.allow.size(), " peer-allow and ", rules.deny.size(),
      " peer-deny rules", notes);
  worker.SetPeerRules(rules);
  return summary;
}

}  // namespace turnpike::cli
