// turnpike: load the settings, start one worker, serve until SIGINT/SIGTERM.
#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/help_text.h"
#include "cli/process_inputs.h"
#include "cli/settings.h"
#include "core/auth/credential_chain.h"
#include "core/auth/rest_credential_store.h"
#include "core/auth/static_credential_store.h"
#include "core/deps.h"
#include "core/policy/local_quota_ledger.h"
#include "core/util/absl_compat.h"
#include "runtime/log.h"
#include "runtime/system_random.h"
#include "runtime/worker.h"

namespace {

// Exit statuses, as documented in --help.
constexpr int kExitOk = 0;
constexpr int kExitStartupFailed = 1;
constexpr int kExitBadConfig = 2;

}  // namespace

int main(int argc, char** argv) {
  using turnpike::runtime::LogError;
  using turnpike::runtime::LogInfo;

  const std::vector<std::string_view> args(argv + 1, argv + argc);
  absl::StatusOr<turnpike::cli::Settings> settings =
      turnpike::cli::LoadSettings(args, turnpike::cli::ProcessEnvironment(),
                                  &turnpike::cli::ReadFileFromDisk);
  if (!settings.ok()) {
    LogError(turnpike::FromAbsl(settings.status().message()));
    return kExitBadConfig;
  }
  if (settings->help) {
    std::fputs(turnpike::cli::HelpText().c_str(), stdout);
    return kExitOk;
  }
  if (settings->version) {
    std::fputs("turnpike " TURNPIKE_VERSION "\n", stdout);
    return kExitOk;
  }
  if (settings->check_config) {
    // LoadSettings has run every check it can without sockets; binding the
    // listeners is left to a real start.
    std::fputs(absl::StrCat(turnpike::cli::Summarize(*settings), "\n").c_str(),
               stdout);
    return kExitOk;
  }

  // The core's collaborators. With neither users nor REST secrets the chain
  // finds no one, so every TURN request is refused (401) and the relay never
  // runs open. LoadSettings has already built both stores once, so these
  // cannot fail for a configuration it accepted; the checks stay anyway.
  const std::string& realm = settings->worker.server.realm;
  absl::StatusOr<turnpike::core::auth::StaticCredentialStore> users =
      turnpike::core::auth::StaticCredentialStore::Create(
          realm, std::move(settings->users));
  if (!users.ok()) {
    LogError(turnpike::FromAbsl(users.status().message()));
    return kExitBadConfig;
  }
  std::vector<const turnpike::core::CredentialStore*> stores = {&*users};
  std::optional<turnpike::core::auth::RestCredentialStore> rest;
  if (!settings->rest_secrets.empty()) {
    absl::StatusOr<turnpike::core::auth::RestCredentialStore> created =
        turnpike::core::auth::RestCredentialStore::Create(
            realm, std::move(settings->rest_secrets));
    if (!created.ok()) {
      LogError(turnpike::FromAbsl(created.status().message()));
      return kExitBadConfig;
    }
    rest = *std::move(created);
    stores.push_back(&*rest);
  }
  const turnpike::core::auth::CredentialChain credentials(std::move(stores));
  turnpike::runtime::SystemRandom random;
  turnpike::core::HmacAuthenticator authenticator;
  turnpike::core::LocalQuotaLedger quotas(settings->quotas);
  absl::StatusOr<std::unique_ptr<turnpike::runtime::Worker>> worker =
      turnpike::runtime::Worker::Create(
          std::move(settings->worker),
          turnpike::core::Deps{&random, &credentials, &authenticator, &quotas});
  if (!worker.ok()) {
    LogError(turnpike::FromAbsl(worker.status().message()));
    return absl::IsInvalidArgument(worker.status()) ? kExitBadConfig
                                                    : kExitStartupFailed;
  }
  LogInfo("version " TURNPIKE_VERSION
          "; serving STUN Binding (RFC 8489); TURN requests are "
          "authenticated by the core but relay sockets are not opened yet");
  if (absl::Status status = (*worker)->Run(); !status.ok()) {
    LogError(turnpike::FromAbsl(status.message()));
    return kExitStartupFailed;
  }
  return kExitOk;
}
