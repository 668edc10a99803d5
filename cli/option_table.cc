#include "cli/option_table.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/drain_options.h"
#include "cli/load_state.h"
#include "cli/more_relay_addresses.h"
#include "cli/tls_settings.h"
#include "cli/users_file.h"
#include "cli/value_parsers.h"
#include "core/stun/constants.h"
#include "core/util/absl_compat.h"
#include "runtime/supervisor.h"

namespace turnpike::cli {
namespace {

// Upper bounds that keep a typo from meaning "forever": a day for a
// lifetime, and the width of the ledger's counters.
constexpr int64_t kMaxLifetimeSeconds = 86400;
// TURN REST credentials may be minted for longer than an allocation lives
// (a week-long session token), but not for more than 30 days.
constexpr int64_t kMaxRestLifetimeSeconds = 30 * 86400;
constexpr uint64_t kMaxQuota = UINT32_MAX;
// Far above any legitimate need; keeps burst (5 x rate) within 32 bits.
constexpr uint64_t kMaxUnauthenticatedRate = 1'000'000;
// A cap on permissions or channels per allocation: a channel number is one
// of 16384 (RFC 5766 §11), and more permissions than that is no cap.
constexpr uint64_t kMaxPerAllocation = 16384;
// Relay ports below this are privileged or belong to well-known services.
constexpr uint16_t kMinRelayPort = 1024;

// Wraps a parser's StatusOr so an apply function reads as one line. `lhs`
// names the variable it declares, so it cannot be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define TURNPIKE_ASSIGN_OR_RETURN(lhs, expr)    \
  auto lhs##_or = (expr);                       \
  if (!lhs##_or.ok()) return lhs##_or.status(); \
  auto lhs = *std::move(lhs##_or)
// NOLINTEND(bugprone-macro-parentheses)

absl::Status NonEmpty(std::string_view value, std::string_view what) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("the value is empty; give ", ToAbsl(what)));
}

// --- General -----------------------------------------------------------------

absl::Status ApplyConfig(std::string_view value, LoadState& state) {
  if (absl::Status s = NonEmpty(value, "the path of the file"); !s.ok()) {
    return s;
  }
  state.settings.config_file = std::string(value);
  return absl::OkStatus();
}

absl::Status ApplyCheckConfig(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(on, ParseBool(value));
  state.settings.check_config = on;
  return absl::OkStatus();
}

absl::Status ApplyHelp(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(on, ParseBool(value));
  state.settings.help = on;
  return absl::OkStatus();
}

absl::Status ApplyVersion(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(on, ParseBool(value));
  state.settings.version = on;
  return absl::OkStatus();
}

absl::Status ApplyForeground(std::string_view value, LoadState&) {
  // restund's -n: turnpike never daemonizes, so the value only has to be a
  // boolean.
  return ParseBool(value).status();
}

absl::Status ApplyWorkers(std::string_view value, LoadState& state) {
  if (absl::EqualsIgnoreCase(ToAbsl(value), "auto")) {
    state.settings.workers = 0;  // cli/worker_count.h at start-up
    return absl::OkStatus();
  }
  uint64_t count = 0;
  const bool digits =
      !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      });
  if (!digits || !absl::SimpleAtoi(ToAbsl(value), &count) || count < 1 ||
      count > runtime::kMaxWorkers) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", ToAbsl(value), "' is not a worker count: give a whole number "
        "from 1 to ", runtime::kMaxWorkers, ", or auto for one per CPU"));
  }
  state.settings.workers = static_cast<int>(count);
  return absl::OkStatus();
}

// --- Listening ---------------------------------------------------------------

// [SCHEME://]ADDR:PORT, udp:// when no scheme is given (RFC 8656 §3.1:
// UDP, TCP and TLS-over-TCP; RFC 7350: DTLS).
absl::Status ApplyListen(std::string_view value, LoadState& state) {
  core::Transport transport = core::Transport::kUdp;
  static constexpr std::pair<std::string_view, core::Transport> kSchemes[] = {
      {"udp://", core::Transport::kUdp},
      {"tcp://", core::Transport::kTcp},
      {"tls://", core::Transport::kTls},
      {"dtls://", core::Transport::kDtls},
  };
  std::string_view rest = value;
  for (const auto& [scheme, scheme_transport] : kSchemes) {
    if (absl::StartsWithIgnoreCase(ToAbsl(value), ToAbsl(scheme))) {
      transport = scheme_transport;
      rest = value.substr(scheme.size());
    }
  }
  if (rest == value && absl::StrContains(ToAbsl(value), "://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", ToAbsl(value),
        "' has an unknown scheme; use udp://, tcp://, tls:// or dtls:// "
        "(or none, for UDP)"));
  }
  TURNPIKE_ASSIGN_OR_RETURN(address, ParseListenAddress(rest));
  std::vector<runtime::ListenerSpec>& listeners =
      state.settings.worker.listeners;
  for (const runtime::ListenerSpec& spec : listeners) {
    if (spec.address == address && address.port != 0 &&
        spec.transport == transport) {
      return absl::InvalidArgumentError(absl::StrCat(
          ToAbsl(core::TransportName(transport)), "://", address.ToString(),
          " is given twice; give each address once"));
    }
  }
  listeners.push_back({address, /*skip_if_unavailable=*/false, transport});
  return absl::OkStatus();
}

absl::Status ApplySoftware(std::string_view value, LoadState& state) {
  if (value.empty()) {
    return absl::InvalidArgumentError(
        "the value is empty; leave the option out to send no SOFTWARE "
        "attribute");
  }
  // RFC 8489 §14.14: fewer than 128 characters, at most 763 bytes.
  if (value.size() > stun::kMaxSoftwareBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the value is ", value.size(),
                     " bytes; RFC 8489 §14.14 allows at most ",
                     stun::kMaxSoftwareBytes, ", so shorten it"));
  }
  state.settings.worker.server.software = std::string(value);
  return absl::OkStatus();
}

absl::Status ApplyReceiveBuffer(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(bytes, ParseBufferSize(value));
  state.settings.worker.udp.receive_buffer_bytes = bytes;
  return absl::OkStatus();
}

absl::Status ApplySendBuffer(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(bytes, ParseBufferSize(value));
  state.settings.worker.udp.send_buffer_bytes = bytes;
  return absl::OkStatus();
}

absl::Status ApplyNatDiscovery(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(on, ParseBool(value));
  state.settings.worker.server.nat_discovery = on;
  return absl::OkStatus();
}

// --- Relay -------------------------------------------------------------------

absl::Status ApplyRelayIp(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(ip, ParseIp(value));
  if (ip == IpAddress::V4(0u) || ip == IpAddress::V6({})) {
    return absl::InvalidArgumentError(absl::StrCat(
        ip.ToString(),
        " is a wildcard, but a relayed address must be one peers can send "
        "to (RFC 8656 §7.2 XOR-RELAYED-ADDRESS); give this host's own "
        "address, or leave relay-ip out to let turnpike pick it"));
  }
  std::optional<IpAddress>& slot =
      ip.is_v4() ? state.relay_ipv4 : state.relay_ipv6;
  if (slot) return AddMoreRelayIp(ip, state);  // issue 10
  slot = ip;
  return absl::OkStatus();
}

absl::Status ApplyExternalIp(std::string_view value, LoadState& state) {
  const size_t slash = value.find('/');
  TURNPIKE_ASSIGN_OR_RETURN(external, ParseIp(value.substr(0, slash)));
  ExternalIp entry{external, std::nullopt};
  if (slash != value.npos) {
    TURNPIKE_ASSIGN_OR_RETURN(local, ParseIp(value.substr(slash + 1)));
    if (local.family() != external.family()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", ToAbsl(value),
          "' mixes IPv4 and IPv6; EXTERNAL/LOCAL must be one family"));
    }
    entry.local = local;
  }
  std::optional<ExternalIp>& slot =
      external.is_v4() ? state.external_ipv4 : state.external_ipv6;
  if (slot) return AddMoreExternalIp(entry, state);  // issue 10
  slot = entry;
  return absl::OkStatus();
}

absl::Status ApplyMinPort(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(port, ParsePort(value, kMinRelayPort));
  state.settings.worker.relay.min_port = port;
  return absl::OkStatus();
}

absl::Status ApplyMaxPort(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(port, ParsePort(value, kMinRelayPort));
  state.settings.worker.relay.max_port = port;
  return absl::OkStatus();
}

// --- Authentication ----------------------------------------------------------

absl::Status ApplyRealm(std::string_view value, LoadState& state) {
  if (absl::Status s = NonEmpty(value, "a realm such as example.org");
      !s.ok()) {
    return s;
  }
  // RFC 8489 §14.9: fewer than 128 characters, at most 763 bytes.
  if (value.size() > stun::kMaxRealmBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the realm is ", value.size(), " bytes; RFC 8489 §14.9 allows at most ",
        stun::kMaxRealmBytes, ", so shorten it"));
  }
  state.settings.worker.server.realm = std::string(value);
  return absl::OkStatus();
}

absl::Status ApplyUser(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(user, ParseUserEntry(value));
  state.settings.users.push_back(std::move(user));
  return absl::OkStatus();
}

absl::Status ApplyUsersFile(std::string_view value, LoadState& state) {
  if (absl::Status s = NonEmpty(value, "the path of the users file"); !s.ok()) {
    return s;
  }
  const std::string path(value);
  TURNPIKE_ASSIGN_OR_RETURN(text, (*state.read)(path));
  TURNPIKE_ASSIGN_OR_RETURN(users, ParseUsersFile(text, path));
  state.settings.credential_files.push_back(path);
  for (core::Credential& user : users) {
    state.settings.users.push_back(std::move(user));
  }
  return absl::OkStatus();
}

absl::Status ApplyUserdbSqlite(std::string_view value, LoadState& state) {
  if (absl::Status s = NonEmpty(value, "the path of coturn's SQLite database");
      !s.ok()) {
    return s;
  }
  state.settings.userdb_sqlite = std::string(value);
  state.settings.credential_files.emplace_back(value);
  // In WAL mode a write lands in FILE-wal until a checkpoint.
  state.settings.credential_files.push_back(
      absl::StrCat(ToAbsl(value), "-wal"));
  return absl::OkStatus();
}

absl::Status ApplyRestSecret(std::string_view value, LoadState& state) {
  if (absl::Status s = NonEmpty(value,
                                "the secret shared with your web "
                                "service");
      !s.ok()) {
    return s;
  }
  state.settings.rest_secrets.emplace_back(value);
  return absl::OkStatus();
}

absl::Status ApplyRestMaxLifetime(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(seconds,
                            ParseSeconds(value, kMaxRestLifetimeSeconds));
  state.settings.rest_max_lifetime = seconds;
  return absl::OkStatus();
}

absl::Status ApplyPasswordAlgorithms(std::string_view value, LoadState& state) {
  // RFC 8489 §14.11: offered in order of preference, each once.
  std::vector<stun::PasswordAlgorithmId> algorithms;
  for (absl::string_view item : absl::StrSplit(ToAbsl(value), ',')) {
    const std::string name =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(item));
    stun::PasswordAlgorithmId id;
    if (name == "sha256") {
      id = stun::PasswordAlgorithmId::kSha256;
    } else if (name == "md5") {
      id = stun::PasswordAlgorithmId::kMd5;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", name,
          "' is not a password algorithm; write sha256, md5, or both "
          "separated by a comma in order of preference (sha256,md5)"));
    }
    if (std::find(algorithms.begin(), algorithms.end(), id) !=
        algorithms.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", name, "' is given twice; name each algorithm once"));
    }
    algorithms.push_back(id);
  }
  state.settings.worker.server.password_algorithms = std::move(algorithms);
  return absl::OkStatus();
}

absl::Status ApplyNonceLifetime(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(seconds, ParseSeconds(value, kMaxLifetimeSeconds));
  state.settings.worker.server.nonce_lifetime = seconds;
  return absl::OkStatus();
}

// --- Allocations and limits --------------------------------------------------

absl::Status ApplyDefaultLifetime(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(seconds, ParseSeconds(value, kMaxLifetimeSeconds));
  state.settings.worker.server.default_lifetime = seconds;
  return absl::OkStatus();
}

absl::Status ApplyMaxLifetime(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(seconds, ParseSeconds(value, kMaxLifetimeSeconds));
  state.settings.worker.server.max_lifetime = seconds;
  return absl::OkStatus();
}

absl::Status ApplyMaxAllocations(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(count, ParseLimit(value, kMaxQuota));
  state.settings.quotas.total = static_cast<uint32_t>(count);
  state.settings.max_allocations_given = true;
  return absl::OkStatus();
}

absl::Status ApplyMaxConnectionsPerIp(std::string_view value,
                                      LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(count, ParseLimit(value, kMaxQuota));
  state.settings.worker.transport.max_connections_per_ip =
      static_cast<uint32_t>(count);
  state.settings.max_connections_per_ip_given = true;
  return absl::OkStatus();
}

absl::Status ApplyIdleTimeout(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(seconds, ParseSeconds(value, 86400));
  state.settings.worker.transport.idle_timeout = seconds;
  return absl::OkStatus();
}

absl::Status ApplyUserQuota(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(count, ParseLimit(value, kMaxQuota));
  state.settings.quotas.per_user = static_cast<uint32_t>(count);
  return absl::OkStatus();
}

absl::Status ApplyIpQuota(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(count, ParseLimit(value, kMaxQuota));
  state.settings.quotas.per_client_ip = static_cast<uint32_t>(count);
  return absl::OkStatus();
}

absl::Status ApplyMaxPermissions(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(count, ParseLimit(value, kMaxPerAllocation));
  state.settings.worker.server.max_permissions_per_allocation =
      static_cast<uint32_t>(count);
  return absl::OkStatus();
}

absl::Status ApplyMaxChannels(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(count, ParseLimit(value, kMaxPerAllocation));
  state.settings.worker.server.max_channels_per_allocation =
      static_cast<uint32_t>(count);
  return absl::OkStatus();
}

absl::Status ApplyBandwidth(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(rate, ParseRate(value));
  state.settings.worker.server.bandwidth_bytes_per_second = rate;
  return absl::OkStatus();
}

absl::Status ApplyUnauthenticatedRate(std::string_view value,
                                      LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(rate, ParseLimit(value, kMaxUnauthenticatedRate));
  core::ServerConfig& server = state.settings.worker.server;
  server.unauthenticated_rate = static_cast<uint32_t>(rate);
  server.unauthenticated_burst =
      static_cast<uint32_t>(rate) * kUnauthenticatedBurstSeconds;
  return absl::OkStatus();
}

// --- Peer policy -------------------------------------------------------------

absl::Status ApplyPeerAllow(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(cidr, ParseCidr(value));
  state.settings.worker.server.peer_rules.allow.push_back(cidr);
  return absl::OkStatus();
}

absl::Status ApplyPeerDeny(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(cidr, ParseCidr(value));
  state.settings.worker.server.peer_rules.deny.push_back(cidr);
  return absl::OkStatus();
}

// --- Logging and events ------------------------------------------------------

absl::Status ApplyLogLevel(std::string_view value, LoadState& state) {
  const std::string lower = absl::AsciiStrToLower(ToAbsl(value));
  absl::StatusOr<runtime::LogLevel> level = runtime::ParseLogLevel(lower);
  if (!level.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", ToAbsl(value),
                     "' is not a level; write error, warning, info or debug"));
  }
  state.settings.log.level = *level;
  return absl::OkStatus();
}

absl::Status ApplyDebug(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(on, ParseBool(value));
  state.debug = on;
  return absl::OkStatus();
}

absl::Status ApplyLogDestination(std::string_view value, LoadState& state) {
  const std::string lower = absl::AsciiStrToLower(ToAbsl(value));
  if (lower == "stderr") {
    state.settings.log.destination = runtime::LogDestination::kStderr;
  } else if (lower == "syslog") {
    state.settings.log.destination = runtime::LogDestination::kSyslog;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", ToAbsl(value), "' is not a destination; write stderr or syslog"));
  }
  return absl::OkStatus();
}

absl::Status ApplySyslogFacility(std::string_view value, LoadState& state) {
  const std::string lower = absl::AsciiStrToLower(ToAbsl(value));
  if (!runtime::ParseSyslogFacility(lower).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", ToAbsl(value),
                     "' is not a syslog facility; write daemon, user, auth, "
                     "authpriv or local0 to local7"));
  }
  state.settings.log.syslog_facility = lower;
  return absl::OkStatus();
}

absl::Status ApplyLogJson(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(on, ParseBool(value));
  state.settings.log.format =
      on ? runtime::LogFormat::kJson : runtime::LogFormat::kText;
  return absl::OkStatus();
}

absl::Status ApplyEventOutput(std::string_view value, LoadState& state) {
  if (absl::Status s = NonEmpty(value, "- for stdout or a file path");
      !s.ok()) {
    return s;
  }
  state.settings.event_output = std::string(value);
  return absl::OkStatus();
}

absl::Status ApplyAdminListen(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(address, ParseListenAddress(value));
  state.settings.admin.listen = address;
  return absl::OkStatus();
}

absl::Status ApplyAdminToken(std::string_view value, LoadState& state) {
  if (absl::Status s = NonEmpty(value, "a long random token"); !s.ok()) {
    return s;
  }
  state.settings.admin.token = std::string(value);
  return absl::OkStatus();
}

absl::Status ApplyAdminTokenFile(std::string_view value, LoadState& state) {
  if (absl::Status s = NonEmpty(value, "the path of the token file");
      !s.ok()) {
    return s;
  }
  TURNPIKE_ASSIGN_OR_RETURN(text, (*state.read)(std::string(value)));
  const absl::string_view token = absl::StripAsciiWhitespace(text);
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        ToAbsl(value), " is empty; put one long random token in it"));
  }
  state.settings.admin.token = std::string(token);
  return absl::OkStatus();
}

absl::Status ApplyAdminMaxRequestsPerIp(std::string_view value,
                                        LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(count, ParseLimit(value, 1024));
  state.settings.admin.max_requests_per_ip = static_cast<uint32_t>(count);
  return absl::OkStatus();
}

absl::Status ApplyMetricsPerUser(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(on, ParseBool(value));
  state.settings.admin.metrics_per_user = on;
  return absl::OkStatus();
}

absl::Status ApplyStatusUdp(std::string_view value, LoadState& state) {
  TURNPIKE_ASSIGN_OR_RETURN(address, ParseListenAddress(value));
  state.settings.admin.status_udp = address;
  return absl::OkStatus();
}

#undef TURNPIKE_ASSIGN_OR_RETURN

using enum OptionKind;

// In the order --help and docs/configuration.md show them.
constexpr OptionSpec kOptions[] = {
    // General.
    {"config", "-f", "FILE", "none",
     "Read options from FILE: one `name = value` per line.\n"
     "Flags and TURNPIKE_* variables override the file.",
     kScalar, kFromFlag | kFromEnv, false, &ApplyConfig},
    {"check-config", "", "BOOL", "false",
     "Check the configuration, print a one-line summary and exit:\n"
     "0 when it is valid, 2 with the error when it is not.",
     kSwitch, kFromFlag, false, &ApplyCheckConfig},
    {"help", "-h", "BOOL", "false", "Print this help and exit.", kSwitch,
     kFromFlag, false, &ApplyHelp},
    {"version", "", "BOOL", "false", "Print the version and exit.", kSwitch,
     kFromFlag, false, &ApplyVersion},
    {"foreground", "-n", "BOOL", "true",
     "Accepted for restund compatibility and ignored: turnpike always\n"
     "runs in the foreground (let systemd or your supervisor detach it).",
     kSwitch, kFromAnywhere, false, &ApplyForeground},
    {"workers", "", "COUNT", "auto (one per CPU the process may run on)",
     "Relay threads, each with its own event loop, allocations and relay\n"
     "sockets; all of them listen on every listen address (SO_REUSEPORT),\n"
     "so the kernel spreads clients over them and keeps each client on\n"
     "one. Quotas, connection limits, credentials and nonces hold across\n"
     "them, and so do EVEN-PORT reservations, max-dtls-handshakes and\n"
     "RFC 6062 ConnectionBind (handed to the worker of its CONNECTION-ID;\n"
     "docs/architecture.md). 1 to 256, or auto: one per CPU the process\n"
     "may run on (its affinity mask).",
     kScalar, kFromAnywhere, false, &ApplyWorkers},

    // Listening.
    {"listen", "", "[SCHEME://]ADDR:PORT",
     "0.0.0.0:3478 and [::]:3478, each over UDP and TCP ([::] is skipped "
     "on hosts without IPv6)",
     "Address to answer STUN and TURN on; repeat for several. SCHEME is\n"
     "udp (the default), tcp, tls or dtls (tls and dtls are refused\n"
     "until the TLS engine is wired), e.g. tcp://192.0.2.1:3478. IPv6\n"
     "goes in brackets ([::1]:3478); port 0 takes any free port. Giving\n"
     "listen replaces the defaults.",
     kList, kFromAnywhere, false, &ApplyListen},
    {"nat-discovery", "", "BOOL", "false",
     "Answer RFC 5780 NAT behaviour discovery (OTHER-ADDRESS,\n"
     "CHANGE-REQUEST). Needs four listen addresses: two IPs, each on\n"
     "the same two ports (--listen A:3478 --listen A:3479 --listen\n"
     "B:3478 --listen B:3479).",
     kSwitch, kFromAnywhere, false, &ApplyNatDiscovery},
    {"software", "", "TEXT",
     "none, so responses do not tell scanners what runs here",
     "SOFTWARE attribute to put in responses (RFC 8489 §14.14).", kScalar,
     kFromAnywhere, false, &ApplySoftware},
    {"udp-receive-buffer", "", "BYTES",
     "4M on listening sockets, the system default on relay sockets",
     "SO_RCVBUF for each UDP socket, e.g. 4M; the kernel caps it at\n"
     "net.core.rmem_max (raise it: Debian's is 208K; a capped request\n"
     "is logged once).",
     kScalar, kFromAnywhere, false, &ApplyReceiveBuffer},
    {"udp-send-buffer", "", "BYTES",
     "4M on listening sockets, the system default on relay sockets",
     "SO_SNDBUF for each UDP socket, e.g. 4M; the kernel caps it at\n"
     "net.core.wmem_max (raise it: Debian's is 208K; a capped request\n"
     "is logged once).",
     kScalar, kFromAnywhere, false, &ApplySendBuffer},

    // Relay.
    {"relay-ip", "", "IP", "the host's own addresses, picked at start-up",
     "Local address relay sockets bind to (RFC 8656 §7.2). Repeat for\n"
     "more relays than one port range holds: each address has the whole\n"
     "range, new relays take a family's addresses in turn and skip a\n"
     "full one. Once any is given (here or as the LOCAL part of\n"
     "external-ip), a family without one cannot be allocated (440).",
     kList, kFromAnywhere, false, &ApplyRelayIp},
    {"external-ip", "", "EXTERNAL[/LOCAL]", "none",
     "Public address to advertise instead of the relay address when the\n"
     "host sits behind a 1:1 NAT (cloud elastic IPs). EXTERNAL/LOCAL also\n"
     "names the local address it maps to (the relay-ip of that family).\n"
     "The first of a family maps to its first relay-ip; each further one\n"
     "must be EXTERNAL/LOCAL naming a further relay-ip.",
     kList, kFromAnywhere, false, &ApplyExternalIp},
    {"min-port", "", "PORT", "49152",
     "Lowest relay port (RFC 8656 §7.2 recommends 49152-65535).", kScalar,
     kFromAnywhere, false, &ApplyMinPort},
    {"max-port", "", "PORT", "65535", "Highest relay port.", kScalar,
     kFromAnywhere, false, &ApplyMaxPort},

    // Authentication.
    {"realm", "", "REALM", "turnpike",
     "Realm of the long-term credentials (RFC 8489 §9.2).", kScalar,
     kFromAnywhere, false, &ApplyRealm},
    {"user", "", "NAME:PASSWORD", "none",
     "A TURN user; repeat for several. Prefer users-file, which keeps\n"
     "passwords out of the process list.",
     kList, kFromAnywhere, true, &ApplyUser},
    {"users-file", "", "FILE", "none",
     "File with one NAME:PASSWORD per line (# comments, blank lines);\n"
     "NAME:0xMD5HEX (turnadmin -k) or NAME:sha256:0xSHA256HEX stores a\n"
     "key instead. Its users are added to those of user.",
     kScalar, kFromAnywhere, true, &ApplyUsersFile},
    {"userdb-sqlite", "", "FILE", "none",
     "coturn's SQLite user database (its userdb), read-only: the users\n"
     "(turnusers_lt) and REST secrets (turn_secret) of the realm are\n"
     "added to the others. Read again on reload and when it changes.",
     kScalar, kFromAnywhere, true, &ApplyUserdbSqlite},
    {"rest-secret", "", "SECRET", "none",
     "Shared secret of the TURN REST API (time-limited credentials\n"
     "minted by your web service); repeat to rotate secrets.",
     kList, kFromAnywhere, true, &ApplyRestSecret},
    {"rest-max-lifetime", "", "SECONDS", "86400",
     "Longest a TURN REST credential may still be valid when used: one\n"
     "whose expiry lies further ahead is refused (401), so a credential\n"
     "minted for years, or forged with a leaked secret, is not honoured.\n"
     "Allocations never outlive their credential's expiry.",
     kScalar, kFromAnywhere, true, &ApplyRestMaxLifetime},
    {"password-algorithms", "", "LIST", "sha256,md5",
     "Password algorithms offered (RFC 8489 §14.11), in order of\n"
     "preference: sha256, md5 or both. sha256 alone refuses MD5 keys,\n"
     "which locks out RFC 5389 clients (they only know MD5; they get a\n"
     "401 offering SHA-256, see docs/security.md).",
     kScalar, kFromAnywhere, false, &ApplyPasswordAlgorithms},
    {"nonce-lifetime", "", "SECONDS", "600",
     "How long a nonce stays fresh before a 438 (RFC 8489 §9.2).", kScalar,
     kFromAnywhere, false, &ApplyNonceLifetime},

    // Allocations and limits.
    {"default-lifetime", "", "SECONDS", "600",
     "Allocation lifetime when the client asks for none (RFC 8656 §7.2).",
     kScalar, kFromAnywhere, false, &ApplyDefaultLifetime},
    {"max-lifetime", "", "SECONDS", "3600",
     "Longest allocation lifetime granted; at least default-lifetime.", kScalar,
     kFromAnywhere, false, &ApplyMaxLifetime},
    {"max-allocations", "", "COUNT",
     "derived at start-up from the relay port range and the open-file "
     "limit (logged)",
     "Allocations at once on this server; more get 508. The default is\n"
     "what the host can hold: 3/4 of the relay ports, and 3/4 of the\n"
     "open-file limit (raised to its hard limit at start) less 64, per\n"
     "relay family. 0 or unlimited: no limit.",
     kScalar, kFromAnywhere, true, &ApplyMaxAllocations},
    {"user-quota", "", "COUNT", "256",
     "Allocations at once per user; more get 486. 0 or unlimited: no\n"
     "limit (raise it when many clients share one static user).",
     kScalar, kFromAnywhere, true, &ApplyUserQuota},
    {"ip-quota", "", "COUNT", "1024",
     "Allocations at once per client IP address; more get 486. The\n"
     "default fits ~250 people in calls behind one NAT. 0 or unlimited:\n"
     "no limit.",
     kScalar, kFromAnywhere, true, &ApplyIpQuota},
    {"max-permissions-per-allocation", "", "COUNT", "256",
     "Permissions (peer IP addresses) one allocation may hold; one more\n"
     "is 508 (RFC 8656 §9.2). 0 or unlimited: no cap. With the next\n"
     "option, it bounds what one user can make the server hold\n"
     "(docs/security.md).",
     kScalar, kFromAnywhere, false, &ApplyMaxPermissions},
    {"max-channels-per-allocation", "", "COUNT", "256",
     "Channel bindings one allocation may hold; one more is 508\n"
     "(RFC 8656 §12.2). 0 or unlimited: no cap.",
     kScalar, kFromAnywhere, false, &ApplyMaxChannels},
    {"bandwidth", "", "BYTES/S", "6M (about 50 Mbit/s)",
     "Bytes per second relayed per allocation in each direction, e.g.\n"
     "512K; bursts up to one second's worth. The default is above what a\n"
     "4K video call sends. 0 or unlimited: no limit.",
     kScalar, kFromAnywhere, false, &ApplyBandwidth},
    {"unauthenticated-rate", "", "COUNT", "20",
     "401/438 answers per second to one source IP (an IPv6 source per\n"
     "/64) for requests that proved no password, with bursts of five\n"
     "seconds' worth; more are dropped and counted. Caps what a spoofed\n"
     "source can reflect (coturn's unauthorized-ratelimit, on by\n"
     "default). 0 or unlimited: no limit.",
     kScalar, kFromAnywhere, false, &ApplyUnauthenticatedRate},
    {"max-connections-per-ip", "", "COUNT",
     "derived at start-up from the open-file limit (logged)",
     "TCP and TLS connections at once per client IP address; one more is\n"
     "reset at accept, before any other work, without telling the client\n"
     "the limit. The default lets one IP hold 1/16 of the open-file\n"
     "budget, at most 1024 (docs/security.md). Re-read on SIGHUP;\n"
     "lowering it closes nothing. 0 or unlimited: no limit.",
     kScalar, kFromAnywhere, true, &ApplyMaxConnectionsPerIp},
    {"idle-timeout", "", "SECONDS", "60",
     "A TCP or TLS connection that has no allocation for this long is\n"
     "closed (as coturn does); one with an allocation lives as long as\n"
     "the allocation.",
     kScalar, kFromAnywhere, false, &ApplyIdleTimeout},

    // TLS and DTLS (docs/security.md "TLS and DTLS").
    {"tls-cert", "", "FILE", "none",
     "PEM certificate chain for tls:// and dtls:// listeners, leaf\n"
     "first. Re-read on SIGHUP: new connections get the new certificate,\n"
     "open ones keep theirs. With tls-cert and no listen option, the\n"
     "defaults also listen tls:// and dtls:// on port 5349.",
     kScalar, kFromAnywhere, true, &ApplyTlsCert},
    {"tls-key", "", "FILE", "none",
     "PEM private key of the tls-cert leaf certificate, unencrypted.\n"
     "Re-read on SIGHUP with tls-cert.",
     kScalar, kFromAnywhere, true, &ApplyTlsKey},
    {"tls-handshake-timeout", "", "SECONDS", "10",
     "A TLS or DTLS client that has not finished its handshake this long\n"
     "after connecting is dropped (at most 60).",
     kScalar, kFromAnywhere, false, &ApplyTlsHandshakeTimeout},
    {"max-dtls-handshakes", "", "COUNT", "1024",
     "DTLS associations in their handshake at once, across all clients\n"
     "and every worker;\n"
     "a ClientHello beyond it is dropped without reply. Bounds what a\n"
     "spoofed ClientHello flood can make the server hold.",
     kScalar, kFromAnywhere, false, &ApplyMaxDtlsHandshakes},

    // Peer policy.
    {"peer-allow", "", "CIDR", "none",
     "Peer addresses the relay may reach although they are in a\n"
     "special-purpose range (loopback, RFC 1918, link-local...), which are\n"
     "refused by default (docs/security.md lists them). The longest\n"
     "matching prefix of allow and deny rules decides. The server's own\n"
     "addresses stay closed outside the relay ports whatever it says.",
     kList, kFromAnywhere, true, &ApplyPeerAllow},
    {"peer-deny", "", "CIDR", "none",
     "Peer addresses the relay must not reach, on top of the default\n"
     "special-purpose ranges.",
     kList, kFromAnywhere, true, &ApplyPeerDeny},

    // Drain (issue 12): SIGUSR1 for rolling upgrades.
    {"alternate-server", "", "ADDR:PORT", "none",
     "Where a draining server (SIGUSR1) sends new Allocates: 300 Try\n"
     "Alternate with this ALTERNATE-SERVER (RFC 8489 §10). Repeat for\n"
     "several; a client gets one of its own address family, the same one\n"
     "every time (a hash of its IP picks it). Without one of its family\n"
     "it gets 508 Insufficient Capacity.",
     kList, kFromAnywhere, false, &ApplyAlternateServer},
    {"alternate-domain", "", "NAME", "none",
     "ALTERNATE-DOMAIN sent with the alternate to TLS and DTLS clients\n"
     "(RFC 8489 §14.16): the name on the alternate's certificate.",
     kScalar, kFromAnywhere, false, &ApplyAlternateDomain},
    {"drain-timeout", "", "SECONDS", "3600",
     "Longest a draining server waits for its allocations to end; then\n"
     "it deletes the rest and exits. It exits 0 as soon as none is left.",
     kScalar, kFromAnywhere, false, &ApplyDrainTimeout},

    // Logging and events.
    {"log-level", "", "LEVEL", "info",
     "Least severe log lines shown: error, warning, info or debug.", kScalar,
     kFromAnywhere, false, &ApplyLogLevel},
    {"debug", "-d", "BOOL", "false", "Same as log-level debug; wins over it.",
     kSwitch, kFromAnywhere, false, &ApplyDebug},
    {"log-destination", "", "DEST", "stderr",
     "Where log lines go: stderr or syslog.", kScalar, kFromAnywhere, false,
     &ApplyLogDestination},
    {"syslog-facility", "", "FACILITY", "daemon",
     "syslog(3) facility when logging to syslog: daemon, user, auth,\n"
     "authpriv, local0 to local7.",
     kScalar, kFromAnywhere, false, &ApplySyslogFacility},
    {"log-json", "", "BOOL", "false", "Write each log line as a JSON object.",
     kSwitch, kFromAnywhere, false, &ApplyLogJson},
    {"event-output", "", "PATH", "none (events are dropped)",
     "Write lifecycle events (allocations, permissions...) as JSON lines\n"
     "to PATH, or to stdout with -.",
     kScalar, kFromAnywhere, false, &ApplyEventOutput},

    // Admin endpoint and status (docs/operations.md "Metrics and status").
    {"admin-listen", "", "ADDR:PORT", "none (no admin endpoint)",
     "Serve the admin HTTP endpoint here: /metrics (Prometheus), /status\n"
     "(JSON), the status page / and /turn, POST /reload and POST /drain.\n"
     "Use a loopback address such as 127.0.0.1:9641; any other address\n"
     "is refused unless admin-token or admin-token-file is set.",
     kScalar, kFromAnywhere, false, &ApplyAdminListen},
    {"admin-token", "", "TOKEN", "none",
     "Bearer token every admin request must carry (Authorization: Bearer\n"
     "TOKEN). A flag shows in ps: prefer admin-token-file.",
     kScalar, kFromAnywhere, false, &ApplyAdminToken},
    {"admin-token-file", "", "FILE", "none",
     "Read the admin bearer token from FILE (surrounding whitespace is\n"
     "ignored).",
     kScalar, kFromAnywhere, false, &ApplyAdminTokenFile},
    {"admin-max-requests-per-ip", "", "COUNT", "2",
     "Admin requests in progress at once per client IP; one more is\n"
     "answered 429. 0 or unlimited: no limit.",
     kScalar, kFromAnywhere, false, &ApplyAdminMaxRequestsPerIp},
    {"metrics-per-user", "", "BOOL", "false",
     "Add per-username series to /metrics (live allocations and bytes).\n"
     "One series per user with an allocation: unbounded, so off by\n"
     "default.",
     kSwitch, kFromAnywhere, false, &ApplyMetricsPerUser},
    {"status-udp", "", "ADDR:PORT", "none",
     "Answer a keyword (status, turn, metrics) in one UDP datagram with\n"
     "text, for `echo status | nc -u -w1 127.0.0.1 PORT`. Loopback\n"
     "addresses only; only loopback sources are answered.",
     kScalar, kFromAnywhere, false, &ApplyStatusUdp},
};

}  // namespace

absl::Span<const OptionSpec> OptionTable() { return kOptions; }

const OptionSpec* FindOption(std::string_view name) {
  for (const OptionSpec& spec : kOptions) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

const OptionSpec* FindShortOption(std::string_view alias) {
  for (const OptionSpec& spec : kOptions) {
    if (!spec.short_alias.empty() && spec.short_alias == alias) return &spec;
  }
  return nullptr;
}

std::string EnvName(const OptionSpec& spec) {
  return absl::StrCat("TURNPIKE_", absl::AsciiStrToUpper(absl::StrReplaceAll(
                                       ToAbsl(spec.name), {{"-", "_"}})));
}

}  // namespace turnpike::cli
