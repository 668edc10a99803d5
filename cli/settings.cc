#include "cli/settings.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/config_file.h"
#include "cli/coturn_sqlite.h"
#include "cli/credential_snapshot.h"
#include "cli/load_state.h"
#include "cli/more_relay_addresses.h"
#include "cli/option_table.h"
#include "cli/tls_settings.h"
#include "core/response_budget.h"
#include "core/server.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli {
namespace {

// The IANA port for STUN and TURN over UDP (RFC 8489 §18.7).
constexpr uint16_t kDefaultPort = 3478;

// Highest precedence first.
enum SourceRank : size_t { kFlagRank = 0, kEnvRank = 1, kFileRank = 2 };
constexpr size_t kSourceCount = 3;

struct Occurrence {
  std::string value;
  // Where it came from, as error messages start: "--max-port",
  // "TURNPIKE_MAX_PORT", "turnpike.conf:12: max-port".
  std::string label;
};

// Indexed by option (table order), then by SourceRank.
using Occurrences =
    std::vector<std::array<std::vector<Occurrence>, kSourceCount>>;

size_t IndexOf(const OptionSpec& spec) {
  return static_cast<size_t>(&spec - OptionTable().data());
}

absl::Status Labelled(std::string_view label, const absl::Status& status) {
  return absl::InvalidArgumentError(
      absl::StrCat(ToAbsl(label), ": ", status.message()));
}

absl::Status CollectFlags(absl::Span<const std::string_view> args,
                          Occurrences& out) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", ToAbsl(arg),
          "': turnpike takes no positional arguments; every setting is a "
          "flag (see turnpike --help)"));
    }
    // "--name=value", "--name value", "-f value".
    const size_t equals = arg.find('=');
    const std::string_view name = arg.substr(0, equals);
    const OptionSpec* spec = absl::StartsWith(ToAbsl(name), "--")
                                 ? FindOption(name.substr(2))
                                 : FindShortOption(name);
    if (spec == nullptr || (spec->sources & kFromFlag) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          ToAbsl(name), ": unknown flag; see turnpike --help for the list"));
    }
    std::string value;
    if (equals != arg.npos) {
      value = std::string(arg.substr(equals + 1));
    } else if (spec->kind == OptionKind::kSwitch) {
      // A bare switch never takes the next argument: "--nat-discovery
      // --listen ..." must not read "--listen" as its value.
      value = "true";
    } else if (i + 1 < args.size()) {
      value = std::string(args[++i]);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(name), ": needs a value: --", ToAbsl(spec->name),
                       " ", ToAbsl(spec->value_name)));
    }
    out[IndexOf(*spec)][kFlagRank].push_back(
        {std::move(value), std::string(name)});
  }
  return absl::OkStatus();
}

const OptionSpec* FindByEnvName(std::string_view variable) {
  for (const OptionSpec& spec : OptionTable()) {
    if (EnvName(spec) == variable) return &spec;
  }
  return nullptr;
}

absl::Status CollectEnvironment(const Environment& env, Occurrences& out) {
  for (const auto& [variable, value] : env) {
    if (!absl::StartsWith(variable, "TURNPIKE_")) continue;
    const OptionSpec* spec = FindByEnvName(variable);
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          variable,
          ": unknown variable; turnpike reads TURNPIKE_ followed by an "
          "option name in upper case with _ for - (e.g. TURNPIKE_MAX_PORT; "
          "see turnpike --help). Check the spelling, or unset it"));
    }
    if ((spec->sources & kFromEnv) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(variable, ": ", ToAbsl(spec->name),
                       " is a command-line flag only; pass --",
                       ToAbsl(spec->name), " instead"));
    }
    std::vector<Occurrence>& slot = out[IndexOf(*spec)][kEnvRank];
    if (spec->kind != OptionKind::kList) {
      slot.push_back({value, variable});
      continue;
    }
    int item_number = 0;
    for (absl::string_view item : absl::StrSplit(value, ',')) {
      ++item_number;
      item = absl::StripAsciiWhitespace(item);
      if (item.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            variable, ": item ", item_number,
            " is empty; separate the values with single commas (a, b)"));
      }
      slot.push_back({std::string(item), variable});
    }
  }
  return absl::OkStatus();
}

absl::Status CollectFile(const std::vector<ConfigFileEntry>& entries,
                         std::string_view path, Occurrences& out) {
  for (const ConfigFileEntry& entry : entries) {
    const std::string label =
        absl::StrCat(ToAbsl(path), ":", entry.line, ": ", entry.key);
    const OptionSpec* spec = FindOption(entry.key);
    if (spec == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(label,
                       ": unknown option; check the spelling against turnpike "
                       "--help"));
    }
    if ((spec->sources & kFromFile) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          label, ": cannot be set in the configuration file; give --",
          entry.key, " on the command line",
          (spec->sources & kFromEnv) != 0
              ? absl::StrCat(" or set ", EnvName(*spec))
              : ""));
    }
    std::string value;
    if (entry.value) {
      value = *entry.value;
    } else if (spec->kind == OptionKind::kSwitch) {
      value = "true";
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(label, ": needs a value; write `", entry.key, " = ",
                       ToAbsl(spec->value_name), "`"));
    }
    out[IndexOf(*spec)][kFileRank].push_back({std::move(value), label});
  }
  return absl::OkStatus();
}

// The occurrences that count for one option: every value of the highest
// source that gives any (a list is replaced, not merged), or for a scalar
// the last of them. Empty when no source gives the option.
absl::Span<const Occurrence> Winners(
    const OptionSpec& spec,
    const std::array<std::vector<Occurrence>, kSourceCount>& by_source) {
  for (const std::vector<Occurrence>& occurrences : by_source) {
    if (occurrences.empty()) continue;
    if (spec.kind == OptionKind::kList) return occurrences;
    return absl::MakeConstSpan(&occurrences.back(), 1);
  }
  return {};
}

absl::Status ApplyWinners(const OptionSpec& spec,
                          absl::Span<const Occurrence> winners,
                          LoadState& state) {
  for (const Occurrence& occurrence : winners) {
    if (absl::Status status = spec.apply(occurrence.value, state);
        !status.ok()) {
      return Labelled(occurrence.label, status);
    }
  }
  return absl::OkStatus();
}

// "max-port (50000, from --max-port)" or "max-port (65535, the default)".
using Provenance = std::vector<std::string>;  // by option index; "" = default
std::string Describe(std::string_view name, std::string_view value,
                     const Provenance& provenance) {
  const std::string& where = provenance[IndexOf(*FindOption(name))];
  return absl::StrCat(ToAbsl(name), " (", ToAbsl(value), ", ",
                      where.empty() ? "the default" : "from " + where, ")");
}

absl::Status CheckPorts(const LoadState& state, const Provenance& provenance) {
  const runtime::RelayOptions& relay = state.settings.worker.relay;
  if (relay.min_port <= relay.max_port) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      Describe("min-port", std::to_string(relay.min_port), provenance),
      " is above ",
      Describe("max-port", std::to_string(relay.max_port), provenance),
      "; make min-port at most max-port"));
}

absl::Status CheckLifetimes(const LoadState& state,
                            const Provenance& provenance) {
  const core::ServerConfig& server = state.settings.worker.server;
  if (server.default_lifetime <= server.max_lifetime) {
    return absl::OkStatus();
  }
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  return absl::InvalidArgumentError(absl::StrCat(
      Describe("default-lifetime",
               std::to_string(
                   duration_cast<seconds>(server.default_lifetime).count()),
               provenance),
      " is above ",
      Describe(
          "max-lifetime",
          std::to_string(duration_cast<seconds>(server.max_lifetime).count()),
          provenance),
      "; lower default-lifetime or raise max-lifetime"));
}

// RFC 5780 §4.1: NAT behaviour discovery answers from a second IP and a
// second port, and names them (OTHER-ADDRESS, RESPONSE-ORIGIN), so it
// needs explicit listen addresses: two IPs, each on the same two ports.
absl::Status CheckNatDiscovery(const LoadState& state,
                               const Provenance& provenance) {
  const runtime::WorkerConfig& worker = state.settings.worker;
  if (!worker.server.nat_discovery) return absl::OkStatus();
  const std::string what = Describe("nat-discovery", "true", provenance);
  constexpr std::string_view kExample =
      "two IPs, each on the same two ports, e.g. --listen 192.0.2.1:3478 "
      "--listen 192.0.2.1:3479 --listen 192.0.2.2:3478 --listen "
      "192.0.2.2:3479";
  std::vector<core::ListenerConfig> listeners;
  for (const runtime::ListenerSpec& spec : worker.listeners) {
    if (spec.address.ip.IsUnspecified() || spec.address.port == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " needs listen addresses it can name to clients, but ",
          spec.address.ToString(),
          spec.address.port == 0 ? " has no fixed port" : " is a wildcard",
          "; RFC 5780 §4.1 needs ", ToAbsl(kExample)));
    }
    listeners.push_back(
        {core::ListenerId{static_cast<uint16_t>(listeners.size())},
         spec.transport, spec.address});
  }
  if (absl::Status s = core::CheckNatDiscoveryListeners(listeners); !s.ok()) {
    // The core names the setting too: say it once.
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": ", absl::StripPrefix(s.message(), "nat-discovery: ")));
  }
  return absl::OkStatus();
}

// relay-ip and external-ip of one family into worker.relay.
absl::Status ResolveRelayFamily(const std::optional<IpAddress>& relay_ip,
                                const std::optional<ExternalIp>& external,
                                const IpAddress& unspecified, bool relay_auto,
                                std::optional<runtime::RelayAddress>& out) {
  std::optional<IpAddress> bind = relay_ip;
  if (external && external->local) {
    if (bind && *bind != *external->local) {
      return absl::InvalidArgumentError(absl::StrCat(
          "external-ip ", external->external.ToString(), "/",
          external->local->ToString(), " maps to local address ",
          external->local->ToString(), " but relay-ip is ", bind->ToString(),
          "; make them the same address, or drop /LOCAL from external-ip"));
    }
    bind = external->local;
  }
  if (bind) {
    out = runtime::RelayAddress{*bind, std::nullopt};
  } else if (external && relay_auto) {
    // The runtime puts the host's address in place of `unspecified`.
    out = runtime::RelayAddress{unspecified, std::nullopt};
  } else if (external) {
    return absl::InvalidArgumentError(absl::StrCat(
        "external-ip ", external->external.ToString(),
        " has no relay address of its family to stand for: relay-ip names "
        "only the other family; add a relay-ip of this family or write "
        "external-ip EXTERNAL/LOCAL"));
  }
  if (out && external) out->external = external->external;
  return absl::OkStatus();
}

absl::Status ResolveRelay(LoadState& state) {
  Settings& settings = state.settings;
  const bool local_given =
      (state.external_ipv4 && state.external_ipv4->local) ||
      (state.external_ipv6 && state.external_ipv6->local);
  settings.relay_auto = !state.relay_ipv4 && !state.relay_ipv6 && !local_given;
  runtime::RelayOptions& relay = settings.worker.relay;
  if (absl::Status s = ResolveRelayFamily(state.relay_ipv4, state.external_ipv4,
                                          IpAddress::V4(0u),
                                          settings.relay_auto, relay.ipv4);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ResolveRelayFamily(state.relay_ipv6, state.external_ipv6,
                                          IpAddress::V6({}),
                                          settings.relay_auto, relay.ipv6);
      !s.ok()) {
    return s;
  }
  return ResolveMoreRelayAddresses(state);
}

// The snapshot the core will read, built here so that --check-config
// catches a duplicate user or an unpreparable password, and built once.
absl::Status BuildCredentials(Settings& settings) {
  if (settings.userdb_sqlite) {
    absl::StatusOr<CoturnDatabase> db = ReadCoturnDatabase(
        *settings.userdb_sqlite, settings.worker.server.realm);
    if (!db.ok()) return db.status();
    for (core::Credential& user : db->users) {
      settings.users.push_back(std::move(user));
    }
    for (std::string& secret : db->rest_secrets) {
      settings.rest_secrets.push_back(std::move(secret));
    }
    settings.credential_notes = std::move(db->skipped);
  }
  // A stored key answers only its own algorithm: one the server never
  // offers would lock its user out.
  const auto& offered = settings.worker.server.password_algorithms;
  for (const core::Credential& user : settings.users) {
    if (user.key_algorithm && std::find(offered.begin(), offered.end(),
                                        *user.key_algorithm) == offered.end()) {
      const bool md5 = *user.key_algorithm == stun::PasswordAlgorithmId::kMd5;
      return absl::InvalidArgumentError(absl::StrCat(
          "user '", user.username, "' is stored as a",
          md5 ? "n MD5" : " SHA-256",
          " key, which password-algorithms does not offer; add ",
          md5 ? "md5" : "sha256", " to password-algorithms or store the user ",
          md5 ? "with --sha256" : "as an MD5 key"));
    }
  }
  absl::StatusOr<std::unique_ptr<core::CredentialStore>> snapshot =
      BuildCredentialSnapshot(settings.worker.server.realm, settings.users,
                              settings.rest_secrets,
                              settings.rest_max_lifetime);
  if (!snapshot.ok()) return snapshot.status();
  settings.credentials = *std::move(snapshot);
  return absl::OkStatus();
}

// Defaults that depend on whether an option was given, then the checks
// that involve more than one option.
absl::Status Finish(LoadState& state, const Provenance& provenance) {
  Settings& settings = state.settings;
  const bool listen_given = !provenance[IndexOf(*FindOption("listen"))].empty();
  if (!listen_given) {
    // Both families on the STUN port. IPv6 is best effort here only: an
    // address the operator names must bind or start-up fails.
    settings.worker.listeners = {
        {TransportAddress{IpAddress::V4(0u), kDefaultPort},
         /*skip_if_unavailable=*/false},
        {TransportAddress{IpAddress::V6({}), kDefaultPort},
         /*skip_if_unavailable=*/true},
        // RFC 8656 §3.1: TCP on the same port, as coturn listens by default
        // (clients behind UDP-blocking firewalls).
        {TransportAddress{IpAddress::V4(0u), kDefaultPort},
         /*skip_if_unavailable=*/false, core::Transport::kTcp},
        {TransportAddress{IpAddress::V6({}), kDefaultPort},
         /*skip_if_unavailable=*/true, core::Transport::kTcp},
    };
  }
  if (state.debug) settings.log.level = runtime::LogLevel::kDebug;
  for (absl::Status status :
       {CheckPorts(state, provenance), CheckLifetimes(state, provenance),
        CheckNatDiscovery(state, provenance),
        core::CheckResponseBudget(settings.worker.server), ResolveRelay(state),
        BuildCredentials(settings), FinishTls(state, listen_given),
        CheckAdminSettings(settings.admin)}) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Settings> LoadSettings(absl::Span<const std::string_view> args,
                                      const Environment& env,
                                      const FileReader& read) {
  const absl::Span<const OptionSpec> table = OptionTable();
  Occurrences occurrences(table.size());
  LoadState state;
  state.read = &read;
  // The cli's defaults where they differ from the core's (docs/security.md).
  state.settings.worker.server.bandwidth_bytes_per_second =
      kDefaultBandwidthBytesPerSecond;
  state.settings.worker.server.unauthenticated_rate =
      kDefaultUnauthenticatedRate;
  state.settings.worker.server.unauthenticated_burst =
      kDefaultUnauthenticatedRate * kUnauthenticatedBurstSeconds;

  if (absl::Status s = CollectFlags(args, occurrences); !s.ok()) return s;
  // Help and version need nothing else, so a broken file or environment
  // cannot stand between the operator and the help text.
  for (std::string_view name : {"help", "version"}) {
    const OptionSpec& spec = *FindOption(name);
    absl::Status s =
        ApplyWinners(spec, Winners(spec, occurrences[IndexOf(spec)]), state);
    if (!s.ok()) return s;
  }
  if (state.settings.help || state.settings.version) {
    return std::move(state.settings);
  }

  if (absl::Status s = CollectEnvironment(env, occurrences); !s.ok()) return s;

  const OptionSpec& config = *FindOption("config");
  absl::Span<const Occurrence> config_winner =
      Winners(config, occurrences[IndexOf(config)]);
  if (absl::Status s = ApplyWinners(config, config_winner, state); !s.ok()) {
    return s;
  }
  if (state.settings.config_file) {
    const std::string& path = *state.settings.config_file;
    absl::StatusOr<std::string> text = read(path);
    if (!text.ok()) return Labelled(config_winner.back().label, text.status());
    absl::StatusOr<std::vector<ConfigFileEntry>> entries =
        ParseConfigFile(*text, path);
    if (!entries.ok()) return entries.status();
    if (absl::Status s = CollectFile(*entries, path, occurrences); !s.ok()) {
      return s;
    }
  }

  Provenance provenance(table.size());
  for (const OptionSpec& spec : table) {
    const size_t index = IndexOf(spec);
    absl::Span<const Occurrence> winners = Winners(spec, occurrences[index]);
    if (winners.empty()) continue;
    provenance[index] = winners.back().label;
    if (&spec == &config) continue;  // applied above
    if (absl::Status s = ApplyWinners(spec, winners, state); !s.ok()) return s;
  }
  if (absl::Status s = Finish(state, provenance); !s.ok()) return s;
  return std::move(state.settings);
}

std::string Summarize(const Settings& settings) {
  const runtime::WorkerConfig& worker = settings.worker;
  std::vector<std::string> listeners;
  for (const runtime::ListenerSpec& spec : worker.listeners) {
    listeners.push_back(
        spec.transport == core::Transport::kUdp
            ? spec.address.ToString()
            : absl::StrCat(ToAbsl(core::TransportName(spec.transport)), "://",
                           spec.address.ToString()));
  }
  std::vector<std::string> relays;
  for (const std::optional<runtime::RelayAddress>* relay :
       {&worker.relay.ipv4, &worker.relay.ipv6}) {
    if (!*relay) continue;
    std::string text = (*relay)->bind.ToString();
    if ((*relay)->external) {
      absl::StrAppend(&text, " (external ", (*relay)->external->ToString(),
                      ")");
    }
    relays.push_back(std::move(text));
  }
  for (const runtime::RelayAddress& more : worker.relay.more) {
    relays.push_back(more.external
                         ? absl::StrCat(more.bind.ToString(), " (external ",
                                        more.external->ToString(), ")")
                         : more.bind.ToString());
  }
  std::string relay_text = absl::StrJoin(relays, ", ");
  if (settings.relay_auto) {
    relay_text = relays.empty()
                     ? "the host's addresses"
                     : absl::StrCat("the host's addresses, ", relay_text);
  }
  return absl::StrCat(
      "configuration OK: listen ", absl::StrJoin(listeners, ", "), "; relay ",
      relay_text, ", ports ", worker.relay.min_port, "-", worker.relay.max_port,
      "; realm ", worker.server.realm, "; users ", settings.users.size(),
      ", REST secrets ", settings.rest_secrets.size(), "; config file ",
      settings.config_file ? *settings.config_file : "none");
}

}  // namespace turnpike::cli
