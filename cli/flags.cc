#include "cli/flags.h"

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/net/transport_address.h"
#include "core/stun/constants.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli {
namespace {

// The IANA port for STUN and TURN over UDP (RFC 8489 §18.7).
constexpr uint16_t kDefaultPort = 3478;
// The kernel doubles socket buffer requests and stores them in an int.
constexpr int64_t kMaxSocketBufferBytes = int64_t{1} << 30;

struct ParseState {
  Options options;
  bool listen_given = false;
};

using ApplyFn = absl::Status (*)(std::string_view value, ParseState& state);

struct FlagSpec {
  std::string_view name;
  std::string_view alias;       // empty when there is none
  std::string_view value_name;  // empty for a switch
  std::string_view help;        // lines separated by '\n'
  std::string_view default_text;
  ApplyFn apply;
};

absl::Status Invalid(std::string_view flag, std::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(ToAbsl(flag), ": ", ToAbsl(problem)));
}

absl::Status ApplyListen(std::string_view value, ParseState& state) {
  std::optional<TransportAddress> address = TransportAddress::Parse(value);
  if (!address) {
    return Invalid("--listen",
                   absl::StrCat("'", ToAbsl(value),
                                "' is not ADDR:PORT; write IPv4 as "
                                "192.0.2.1:3478 and IPv6 in brackets as "
                                "[2001:db8::1]:3478"));
  }
  std::vector<runtime::ListenerSpec>& listeners =
      state.options.worker.listeners;
  for (const runtime::ListenerSpec& spec : listeners) {
    if (spec.address == *address && address->port != 0) {
      return Invalid("--listen", absl::StrCat(address->ToString(),
                                              " is given twice; give each "
                                              "address once"));
    }
  }
  listeners.push_back({*address, /*skip_if_unavailable=*/false});
  state.listen_given = true;
  return absl::OkStatus();
}

absl::Status ApplySoftware(std::string_view value, ParseState& state) {
  if (value.empty()) {
    return Invalid("--software",
                   "the value is empty; leave the flag out to send no "
                   "SOFTWARE attribute");
  }
  // RFC 8489 §14.14: fewer than 128 characters, at most 763 bytes.
  if (value.size() > stun::kMaxSoftwareBytes) {
    return Invalid("--software",
                   absl::StrCat("the value is ", value.size(),
                                " bytes; RFC 8489 §14.14 allows at most ",
                                stun::kMaxSoftwareBytes, ", so shorten it"));
  }
  state.options.worker.server.software = std::string(value);
  return absl::OkStatus();
}

// BYTES with an optional binary K or M suffix.
std::optional<int> ParseByteCount(std::string_view value) {
  int64_t multiplier = 1;
  if (!value.empty() && (value.back() == 'K' || value.back() == 'k')) {
    multiplier = 1024;
    value.remove_suffix(1);
  } else if (!value.empty() && (value.back() == 'M' || value.back() == 'm')) {
    multiplier = int64_t{1024} * 1024;
    value.remove_suffix(1);
  }
  int64_t count = 0;
  if (value.empty() || value.find_first_not_of("0123456789") != value.npos ||
      !absl::SimpleAtoi(ToAbsl(value), &count) || count <= 0 ||
      count > kMaxSocketBufferBytes / multiplier) {
    return std::nullopt;
  }
  return static_cast<int>(count * multiplier);
}

absl::Status ApplyBufferFlag(std::string_view flag, std::string_view value,
                             std::optional<int>& target) {
  std::optional<int> bytes = ParseByteCount(value);
  if (!bytes) {
    return Invalid(flag, absl::StrCat("'", ToAbsl(value),
                                      "' is not a size; give a positive "
                                      "number of bytes up to 1G, optionally "
                                      "with K or M (e.g. 4M)"));
  }
  target = bytes;
  return absl::OkStatus();
}

absl::Status ApplyReceiveBuffer(std::string_view value, ParseState& state) {
  return ApplyBufferFlag("--udp-receive-buffer", value,
                         state.options.worker.udp.receive_buffer_bytes);
}

absl::Status ApplySendBuffer(std::string_view value, ParseState& state) {
  return ApplyBufferFlag("--udp-send-buffer", value,
                         state.options.worker.udp.send_buffer_bytes);
}

absl::Status ApplyHelp(std::string_view, ParseState& state) {
  state.options.help = true;
  return absl::OkStatus();
}

absl::Status ApplyVersion(std::string_view, ParseState& state) {
  state.options.version = true;
  return absl::OkStatus();
}

constexpr FlagSpec kFlags[] = {
    {"--listen", "", "ADDR:PORT",
     "UDP address to answer on; repeat the flag for several.\n"
     "IPv6 goes in brackets ([::1]:3478); port 0 takes any free port.\n"
     "Giving --listen replaces the defaults.",
     "0.0.0.0:3478 and [::]:3478 ([::] is skipped on hosts without IPv6)",
     &ApplyListen},
    {"--software", "", "TEXT",
     "SOFTWARE attribute to put in responses (RFC 8489 §14.14).",
     "none, so responses do not tell scanners what runs here", &ApplySoftware},
    {"--udp-receive-buffer", "", "BYTES",
     "SO_RCVBUF for each UDP socket, e.g. 4M; the kernel caps it at\n"
     "net.core.rmem_max (a capped request is logged).",
     "the system default (net.core.rmem_default)", &ApplyReceiveBuffer},
    {"--udp-send-buffer", "", "BYTES",
     "SO_SNDBUF for each UDP socket, e.g. 4M; the kernel caps it at\n"
     "net.core.wmem_max (a capped request is logged).",
     "the system default (net.core.wmem_default)", &ApplySendBuffer},
    {"--help", "-h", "", "Print this help and exit.", "", &ApplyHelp},
    {"--version", "", "", "Print the version and exit.", "", &ApplyVersion},
};

const FlagSpec* FindFlag(std::string_view name) {
  for (const FlagSpec& spec : kFlags) {
    if (name == spec.name || (!spec.alias.empty() && name == spec.alias)) {
      return &spec;
    }
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<Options> ParseFlags(absl::Span<const std::string_view> args) {
  ParseState state;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", ToAbsl(arg),
          "': turnpike takes no positional arguments; every setting is a "
          "flag (see turnpike --help)"));
    }
    // "--name=value" or "--name value".
    const size_t equals = arg.find('=');
    const std::string_view name = arg.substr(0, equals);
    const FlagSpec* spec = FindFlag(name);
    if (spec == nullptr) {
      return Invalid(name, "unknown flag; see turnpike --help for the list");
    }
    std::string_view value;
    if (spec->value_name.empty()) {
      if (equals != arg.npos) return Invalid(name, "takes no value");
    } else if (equals != arg.npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Invalid(name, absl::StrCat("needs a value: ", ToAbsl(spec->name),
                                        " ", ToAbsl(spec->value_name)));
    }
    if (absl::Status status = spec->apply(value, state); !status.ok()) {
      return status;
    }
  }
  if (!state.listen_given) {
    // Both families on the STUN port. IPv6 is best effort here only: an
    // address the operator names with --listen must bind or start-up fails.
    state.options.worker.listeners = {
        {TransportAddress{IpAddress::V4(0u), kDefaultPort},
         /*skip_if_unavailable=*/false},
        {TransportAddress{IpAddress::V6({}), kDefaultPort},
         /*skip_if_unavailable=*/true},
    };
  }
  return std::move(state.options);
}

std::string HelpText() {
  std::string text =
      "Usage: turnpike [FLAG]...\n"
      "\n"
      "turnpike is a STUN/TURN server. This version answers STUN Binding\n"
      "requests (RFC 8489) over UDP; TURN relaying is not implemented yet.\n"
      "It runs until SIGINT or SIGTERM.\n"
      "\n"
      "Flags (--flag VALUE and --flag=VALUE both work):\n";
  constexpr size_t kIndent = 4;
  for (const FlagSpec& spec : kFlags) {
    absl::StrAppend(&text, "  ", ToAbsl(spec.name));
    if (!spec.alias.empty()) absl::StrAppend(&text, ", ", ToAbsl(spec.alias));
    if (!spec.value_name.empty()) {
      absl::StrAppend(&text, " ", ToAbsl(spec.value_name));
    }
    text += '\n';
    std::string_view help = spec.help;
    while (!help.empty()) {
      const size_t end = help.find('\n');
      text.append(kIndent + 2, ' ');
      text.append(help.substr(0, end));
      text += '\n';
      help = end == help.npos ? std::string_view() : help.substr(end + 1);
    }
    if (!spec.default_text.empty()) {
      text.append(kIndent + 2, ' ');
      absl::StrAppend(&text, "Default: ", ToAbsl(spec.default_text), "\n");
    }
  }
  text +=
      "\n"
      "Exit status: 0 after a clean stop, 1 when start-up fails (e.g. the\n"
      "port is in use), 2 for an invalid flag.\n";
  return text;
}

}  // namespace turnpike::cli
