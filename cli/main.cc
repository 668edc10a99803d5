// turnpike: parse flags, start one worker, serve until SIGINT/SIGTERM.
#include <cstdio>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/flags.h"
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
  absl::StatusOr<turnpike::cli::Options> options =
      turnpike::cli::ParseFlags(args);
  if (!options.ok()) {
    LogError(turnpike::FromAbsl(options.status().message()));
    return kExitBadConfig;
  }
  if (options->help) {
    std::fputs(turnpike::cli::HelpText().c_str(), stdout);
    return kExitOk;
  }
  if (options->version) {
    std::fputs("turnpike " TURNPIKE_VERSION "\n", stdout);
    return kExitOk;
  }

  // The core's collaborators. Users and quotas come with the configuration
  // options of the runtime issue; until then the store is empty, so every
  // TURN request is refused (401) and the relay never runs open.
  absl::StatusOr<turnpike::core::auth::StaticCredentialStore> users =
      turnpike::core::auth::StaticCredentialStore::Create(
          options->worker.server.realm, {});
  if (!users.ok()) {
    LogError(turnpike::FromAbsl(users.status().message()));
    return kExitBadConfig;
  }
  turnpike::runtime::SystemRandom random;
  turnpike::core::HmacAuthenticator authenticator;
  turnpike::core::LocalQuotaLedger quotas;
  absl::StatusOr<std::unique_ptr<turnpike::runtime::Worker>> worker =
      turnpike::runtime::Worker::Create(
          std::move(options->worker),
          turnpike::core::Deps{&random, &*users, &authenticator, &quotas});
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
