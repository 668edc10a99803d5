// turnpike: load the settings, start the supervisor and its workers
// (runtime/supervisor.h), serve until SIGINT/SIGTERM; SIGHUP, or a change
// to a credential file, reloads users, secrets, quotas and peer policy on a
// background thread.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/admin_commands.h"
#include "cli/admin_endpoint.h"
#include "cli/credential_reloader.h"
#include "cli/credential_snapshot.h"
#include "cli/derived_limits.h"
#include "cli/event_output.h"
#include "cli/generated_credential.h"
#include "cli/help_text.h"
#include "cli/probe/probe_command.h"
#include "cli/process_inputs.h"
#include "cli/relay_addresses.h"
#include "cli/reload.h"
#include "cli/secure_sessions.h"
#include "cli/settings.h"
#include "cli/systemd_service.h"
#include "cli/worker_count.h"
#include "core/deps.h"
#include "core/util/absl_compat.h"
#include "runtime/host_addresses.h"
#include "runtime/log.h"
#include "runtime/open_files.h"
#include "runtime/queued_event_sink.h"
#include "runtime/shared_quota_ledger.h"
#include "runtime/supervisor.h"
#include "runtime/system_random.h"
#include "runtime/worker.h"

namespace {

using turnpike::FromAbsl;
using turnpike::runtime::LogError;
using turnpike::runtime::LogInfo;

// Exit statuses, as documented in --help.
constexpr int kExitOk = 0;
constexpr int kExitStartupFailed = 1;
constexpr int kExitBadConfig = 2;

// Where clients reach us: each listening address, with a wildcard replaced
// by the advertised relay address of its family (the host's, or the public
// one behind 1:1 NAT).
std::vector<turnpike::cli::ClientFacingListener> ClientFacingListeners(
    const turnpike::runtime::Worker& worker,
    const turnpike::runtime::RelayOptions& relay) {
  const std::vector<turnpike::TransportAddress> addresses =
      worker.listening_addresses();
  const std::vector<turnpike::core::Transport> transports =
      worker.listening_transports();
  std::vector<turnpike::cli::ClientFacingListener> out;
  for (size_t i = 0; i < addresses.size(); ++i) {
    turnpike::TransportAddress address = addresses[i];
    if (address.ip.IsUnspecified()) {
      const auto& family = address.ip.is_v4() ? relay.ipv4 : relay.ipv6;
      if (!family) continue;
      address.ip = family->external.value_or(family->bind);
    }
    out.emplace_back(transports[i], address);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> arg_strings(argv + 1, argv + argc);
  const std::vector<std::string_view> args(arg_strings.begin(),
                                           arg_strings.end());
  if (!args.empty() && turnpike::cli::IsAdminCommand(args.front())) {
    return turnpike::cli::RunAdminCommand(args, absl::Now(), stdin, stdout,
                                          stderr);
  }
  if (!args.empty() && turnpike::cli::probe::IsProbeCommand(args.front())) {
    return turnpike::cli::probe::RunProbeCommand(args, absl::Now(), stdin,
                                                 stdout, stderr);
  }
  const turnpike::cli::Environment env = turnpike::cli::ProcessEnvironment();
  absl::StatusOr<turnpike::cli::Settings> settings =
      turnpike::cli::LoadSettings(args, env, &turnpike::cli::ReadFileFromDisk);
  if (!settings.ok()) {
    LogError(FromAbsl(settings.status().message()));
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
  if (absl::Status s = turnpike::runtime::ConfigureLogging(settings->log);
      !s.ok()) {
    LogError(FromAbsl(s.message()));
    return kExitBadConfig;
  }
  absl::StatusOr<std::vector<turnpike::runtime::InterfaceAddress>> host =
      turnpike::runtime::ListInterfaceAddresses();
  if (!host.ok()) {
    LogError(FromAbsl(host.status().message()));
    return kExitStartupFailed;
  }
  if (absl::Status s = turnpike::cli::ResolveRelayAddresses(*host, *settings);
      !s.ok()) {
    LogError(FromAbsl(s.message()));
    return kExitStartupFailed;
  }
  // Limits that hold on this host (docs/security.md): the total follows
  // the relay ports and the open-file limit, raised to its hard limit first.
  const turnpike::runtime::OpenFileLimit open_files =
      turnpike::runtime::RaiseOpenFileLimit();
  const turnpike::cli::EffectiveLimits limits =
      turnpike::cli::ApplyDerivedLimits(*settings, open_files.now);
  if (settings->check_config) {
    // Every check that needs no socket has run; binding is left to a start.
    std::fputs(absl::StrCat(turnpike::cli::Summarize(*settings), "\n").c_str(),
               stdout);
    return kExitOk;
  }

  turnpike::runtime::SystemRandom random;
  // The embedded default never runs open (README): no user and no secret
  // means a credential made up for this run.
  std::optional<turnpike::core::Credential> generated;
  if (settings->users.empty() && settings->rest_secrets.empty()) {
    generated = turnpike::cli::GenerateCredential(random);
  }
  const std::string realm = settings->worker.server.realm;
  absl::StatusOr<std::shared_ptr<const turnpike::core::CredentialStore>>
      snapshot = turnpike::cli::ServingCredentials(*settings, realm, generated);
  if (!snapshot.ok()) {
    LogError(FromAbsl(snapshot.status().message()));
    return kExitBadConfig;
  }
  turnpike::cli::ReloadableCredentials credentials(*std::move(snapshot));
  turnpike::core::HmacAuthenticator authenticator;
  turnpike::runtime::SharedQuotaLedger quotas(settings->quotas);

  // Declared before the supervisor, so it outlives the workers and writes
  // the events of the shutdown.
  std::unique_ptr<turnpike::runtime::QueuedEventSink> events;
  if (settings->event_output) {
    auto opened = turnpike::cli::OpenEventOutput(*settings->event_output);
    if (!opened.ok()) {
      LogError(FromAbsl(opened.status().message()));
      return kExitStartupFailed;
    }
    events = *std::move(opened);
    settings->worker.events = events.get();
  }

  turnpike::cli::ReloadContext reload{
      arg_strings,  env,    &turnpike::cli::ReadFileFromDisk, realm, generated,
      &credentials, &quotas, limits.derived_max_allocations,
      limits.derived_connections_per_ip};
  const std::unique_ptr<turnpike::runtime::TlsContextHolder> tls =
      turnpike::cli::WireSecureSessions(settings->tls_context,
                                        settings->worker);
  reload.tls = tls.get();
  // SIGHUP and changes to the credential files are handled by a thread of
  // their own, so no loop ever waits on a file or a database.
  // Made now, so it records the credential files as they were loaded.
  turnpike::runtime::Supervisor* running = nullptr;
  // READY=1, RELOADING=1, STOPPING=1 and the watchdog (Type=notify).
  turnpike::cli::SystemdService systemd;
  turnpike::cli::CredentialReloader reloader(
      settings->credential_files, absl::Seconds(1),
      [&reload, &running, &systemd] {
        systemd.Reloading();
        absl::StatusOr<std::string> applied =
            turnpike::cli::Reload(reload, *running);
        systemd.Reloaded(applied);
        return applied;
      },
      [](const absl::StatusOr<std::string>& applied, bool changed) {
        const char* why = changed ? "a credential file changed; " : "";
        if (applied.ok()) {
          LogInfo(absl::StrCat(why, "reloaded: ", *applied));
        } else {
          LogError(absl::StrCat(why,
                                "reload refused, the running configuration "
                                "stays: ",
                                applied.status().message()));
        }
      });
  const int worker_count = settings->workers != 0
                               ? settings->workers
                               : turnpike::cli::DefaultWorkerCount();
  // The admin endpoint reads each worker's stats snapshot (one slot per
  // worker); a worker publishes only when someone reads.
  std::vector<std::unique_ptr<turnpike::runtime::StatsSlot>> stats_slots;
  if (turnpike::cli::AdminWanted(settings->admin)) {
    for (int i = 0; i < worker_count; ++i) {
      stats_slots.push_back(std::make_unique<turnpike::runtime::StatsSlot>());
    }
    settings->worker.stats_options.per_user = settings->admin.metrics_per_user;
  }
  for (const std::string& note : settings->credential_notes) {
    LogInfo(absl::StrCat("userdb-sqlite: skipped ", note));
  }
  const turnpike::runtime::RelayOptions relay = settings->worker.relay;
  turnpike::runtime::SupervisorConfig config;
  config.worker = std::move(settings->worker);
  config.workers = worker_count;
  for (const auto& slot : stats_slots) config.stats_slots.push_back(slot.get());
  config.on_reload = [&reloader] { reloader.Trigger(); };
  absl::StatusOr<std::unique_ptr<turnpike::runtime::Supervisor>> supervisor =
      turnpike::runtime::Supervisor::Create(
          std::move(config),
          turnpike::core::Deps{&random, &credentials, &authenticator, &quotas});
  if (!supervisor.ok()) {
    LogError(FromAbsl(supervisor.status().message()));
    return absl::IsInvalidArgument(supervisor.status()) ? kExitBadConfig
                                                        : kExitStartupFailed;
  }
  std::vector<std::string> relayed;
  std::vector<std::optional<turnpike::runtime::RelayAddress>> addresses = {
      relay.ipv4, relay.ipv6};
  addresses.insert(addresses.end(), relay.more.begin(), relay.more.end());
  for (const auto& family : addresses) {
    if (!family) continue;
    relayed.push_back(family->bind.ToString());
    if (family->external) {
      relayed.back() += " (advertised as " + family->external->ToString() + ")";
    }
  }
  LogInfo(absl::StrCat("version " TURNPIKE_VERSION "; relaying on ",
                       absl::StrJoin(relayed, ", "), " ports ", relay.min_port,
                       "-", relay.max_port));
  if (open_files.now > open_files.before) {
    LogInfo(absl::StrCat("open-file limit raised from ", open_files.before,
                         " to ", open_files.now));
  }
  LogInfo(limits.summary);
  if (generated) {
    const std::string banner = turnpike::cli::CredentialBanner(
        *generated,
        ClientFacingListeners((*supervisor)->worker(0), relay));
    std::fputs(banner.c_str(), stdout);
    std::fflush(stdout);
  }
  std::vector<turnpike::runtime::StatsSlot*> slots;
  for (const auto& slot : stats_slots) slots.push_back(slot.get());
  // POST /reload does what SIGHUP does, POST /drain what SIGUSR1 does.
  absl::StatusOr<std::unique_ptr<turnpike::cli::AdminEndpoint>> admin =
      turnpike::cli::AdminEndpoint::Start(
          settings->admin, slots,
          {TURNPIKE_VERSION, absl::Now(),
           [&reloader] {
             reloader.Trigger();
             return absl::OkStatus();
           },
           // POST /drain does what SIGUSR1 does.
           [&supervisor] {
             (*supervisor)->Drain();
             return absl::OkStatus();
           }});
  if (!admin.ok()) {
    LogError(FromAbsl(admin.status().message()));
    return absl::IsInvalidArgument(admin.status()) ? kExitBadConfig
                                                   : kExitStartupFailed;
  }
  running = supervisor->get();
  reloader.Start();
  std::vector<turnpike::runtime::PostToLoop> loops;
  for (size_t i = 0; i < (*supervisor)->worker_count(); ++i) {
    loops.push_back(turnpike::cli::PostTo((*supervisor)->worker(i)));
  }
  systemd.Serving(turnpike::cli::ServingStatus((*supervisor)->worker(0)),
                  std::move(loops));
  const absl::Status status = (*supervisor)->Run();
  systemd.Stopping();  // before the workers its watchdog posts to go away
  admin->reset();      // no reload from /reload once the reloader stops
  reloader.Stop();     // before the workers it posts to go away
  if (!status.ok()) {
    LogError(FromAbsl(status.message()));
    return kExitStartupFailed;
  }
  return kExitOk;
}
