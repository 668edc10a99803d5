// Everything turnpike is configured with, loaded from three sources with
// one precedence: command-line flags, then TURNPIKE_* environment
// variables, then the configuration file, then the defaults. The option
// table (option_table.h) is the one list of names, defaults and help.
//
// LoadSettings has no side effects beyond calling the FileReader it is
// given, so the runtime can call it again on SIGHUP to reload.
#ifndef TURNPIKE_CLI_SETTINGS_H_
#define TURNPIKE_CLI_SETTINGS_H_

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "cli/admin_settings.h"
#include "cli/default_limits.h"
#include "core/deps.h"
#include "core/policy/local_quota_ledger.h"
#include "runtime/log.h"
#include "runtime/transport/tls_context.h"
#include "runtime/worker.h"

namespace turnpike::cli {

struct Settings {
  runtime::WorkerConfig worker;
  // Relay threads (runtime/supervisor.h); 0 for `auto`, the default: one
  // per CPU the process may run on (cli/worker_count.h).
  int workers = 0;
  // Static users (user and users-file) and TURN REST API secrets
  // (rest-secret); either may be empty. With neither, every TURN request is
  // refused, so the relay never runs open.
  std::vector<core::Credential> users;
  std::vector<std::string> rest_secrets;
  // A REST credential whose expiry is further ahead than this is refused.
  std::chrono::seconds rest_max_lifetime{86400};
  // userdb-sqlite: coturn's SQLite database, whose users and secrets of
  // the realm are added to the above when the snapshot is built.
  std::optional<std::string> userdb_sqlite;
  // The credential source files (users-file, userdb-sqlite and its WAL):
  // a change to any of them rebuilds the snapshot without a SIGHUP.
  std::vector<std::string> credential_files;
  // Rows of that database that were skipped, one note each, for the log.
  std::vector<std::string> credential_notes;
  // Both, prepared and indexed for lookups (cli/credential_snapshot.h).
  std::shared_ptr<const core::CredentialStore> credentials;
  // max-allocations is derived from the host at start-up unless given
  // (cli/derived_limits.h); the others have fixed defaults.
  core::LocalQuotaLedger::Limits quotas{0, kDefaultUserQuota, kDefaultIpQuota};
  bool max_allocations_given = false;
  // max-connections-per-ip, likewise derived unless given.
  bool max_connections_per_ip_given = false;
  // Built from worker.transport.tls when tls-cert is given (cli/tls_settings.h).
  std::shared_ptr<const runtime::TlsContext> tls_context;
  // Validated with the runtime's own parsers, so a configuration that
  // loads is one runtime::ConfigureLogging accepts.
  runtime::LogConfig log;
  // Where lifecycle events go as JSON lines: "-" for stdout, else a file
  // path; nullopt drops them.
  std::optional<std::string> event_output;
  // The admin endpoint and the UDP status (cli/admin_settings.h).
  AdminSettings admin;
  // No relay-ip was given and no external-ip named a local address: the
  // runtime picks the host's addresses. worker.relay.ipv4 / ipv6 may then
  // still be set by external-ip alone, holding the public address in
  // `external` and the unspecified address (0.0.0.0 or ::) in `bind` for
  // the runtime to replace with the address it picks.
  bool relay_auto = true;
  bool help = false;
  bool version = false;
  bool check_config = false;
  // The configuration file read, if any (from --config/-f or
  // TURNPIKE_CONFIG).
  std::optional<std::string> config_file;
};

// Every environment variable of the process (name to value). Only names
// starting with TURNPIKE_ are looked at.
using Environment = std::map<std::string, std::string, std::less<>>;

// Reads a whole file, or fails with a message naming the path and the
// reason (the configuration file and the users file both go through it).
using FileReader =
    std::function<absl::StatusOr<std::string>(const std::string& path)>;

// `args` are the arguments after the program name. Fails with
// InvalidArgument whose message starts with where the bad value came from
// ("--max-port", "TURNPIKE_MAX_PORT", "turnpike.conf:12: max-port") and
// says how to fix it. With --help or --version only the flags are parsed,
// so help works whatever the file and environment hold.
absl::StatusOr<Settings> LoadSettings(absl::Span<const std::string_view> args,
                                      const Environment& env,
                                      const FileReader& read);

// One line for --check-config: listeners, relay, users, realm.
std::string Summarize(const Settings& settings);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_SETTINGS_H_
