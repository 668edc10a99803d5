#include "cli/probe/probe_url.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/net/transport_address.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli::probe {
namespace {

// RFC 7064 §3.2 / RFC 7065 §3.2: the default ports.
constexpr uint16_t kDefaultPort = 3478;
constexpr uint16_t kDefaultSecurePort = 5349;
// RFC 1035 §2.3.4: a name is at most 253 characters in text.
constexpr size_t kMaxHostLength = 253;

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "'", ToAbsl(text), "' is not a TURN URL: ", ToAbsl(why),
      " (write turn:HOST[:PORT][?transport=udp|tcp] or turns:...)"));
}

// RFC 3986 reg-name, as far as a resolver will take it: letters, digits,
// '-', '.' and '_'.
bool IsHostName(std::string_view host) {
  if (host.empty() || host.size() > kMaxHostLength) return false;
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '.' && c != '_') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view TransportName(ProbeTransport transport) {
  switch (transport) {
    case ProbeTransport::kUdp:
      return "udp";
    case ProbeTransport::kTcp:
      return "tcp";
    case ProbeTransport::kTls:
      return "tls";
    case ProbeTransport::kDtls:
      return "dtls";
  }
  return "?";
}

absl::StatusOr<ProbeUrl> ParseProbeUrl(std::string_view text) {
  ProbeUrl url;
  url.text = std::string(text);
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return Invalid(text, "no scheme");
  // RFC 3986 §3.1: schemes are case-insensitive.
  const std::string scheme =
      absl::AsciiStrToLower(ToAbsl(text.substr(0, colon)));
  bool secure = false;
  if (scheme == "turn" || scheme == "stun") {
    secure = false;
  } else if (scheme == "turns" || scheme == "stuns") {
    secure = true;
  } else {
    return Invalid(text, "the scheme must be turn, turns, stun or stuns");
  }
  url.stun_only = scheme == "stun" || scheme == "stuns";
  std::string_view rest = text.substr(colon + 1);
  if (rest.substr(0, 2) == "//") {
    return Invalid(text, "RFC 7065 URLs have no '//' after the scheme");
  }

  std::string_view query;
  if (const size_t question = rest.find('?');
      question != std::string_view::npos) {
    query = rest.substr(question + 1);
    rest = rest.substr(0, question);
  }
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    // RFC 3986 §3.2.2: an IPv6 literal in brackets.
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return Invalid(text, "no ']'");
    url.host = std::string(rest.substr(1, close - 1));
    const std::optional<IpAddress> ip = IpAddress::Parse(url.host);
    if (!ip || !ip->is_v6()) {
      return Invalid(text, "the bracketed host is not an IPv6 address");
    }
    url.host_is_ip = true;
    rest = rest.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Invalid(text, "junk after ']'");
      port_text = rest.substr(1);
      if (port_text.empty()) return Invalid(text, "an empty port");
    }
  } else {
    const size_t port_colon = rest.find(':');
    if (port_colon != rest.rfind(':')) {
      return Invalid(text, "put an IPv6 address in brackets: [::1]");
    }
    if (port_colon != std::string_view::npos) {
      port_text = rest.substr(port_colon + 1);
      if (port_text.empty()) return Invalid(text, "an empty port");
      rest = rest.substr(0, port_colon);
    }
    url.host = std::string(rest);
    if (url.host.empty()) return Invalid(text, "no host");
    url.host_is_ip = IpAddress::Parse(url.host).has_value();
    if (!url.host_is_ip && !IsHostName(url.host)) {
      return Invalid(text, "the host is neither an IP address nor a name");
    }
  }

  url.port = secure ? kDefaultSecurePort : kDefaultPort;
  if (!port_text.empty()) {
    uint32_t port = 0;
    if (port_text.size() > 5 || !absl::SimpleAtoi(ToAbsl(port_text), &port) ||
        port == 0 || port > 65535 || !absl::ascii_isdigit(port_text.front())) {
      return Invalid(text, "the port must be a number from 1 to 65535");
    }
    url.port = static_cast<uint16_t>(port);
  }

  // RFC 7065 §3.1: transport defaults to UDP for turn: and TCP for turns:.
  bool udp = !secure;
  if (!query.empty()) {
    constexpr std::string_view kKey = "transport=";
    if (url.stun_only) {
      return Invalid(text, "stun: and stuns: URLs take no query");
    }
    if (query.substr(0, kKey.size()) != kKey) {
      return Invalid(text, "the only query is ?transport=udp or tcp");
    }
    const std::string transport =
        absl::AsciiStrToLower(ToAbsl(query.substr(kKey.size())));
    if (transport == "udp") {
      udp = true;
    } else if (transport == "tcp") {
      udp = false;
    } else {
      return Invalid(text, "transport must be udp or tcp");
    }
  }
  url.transport = secure ? (udp ? ProbeTransport::kDtls : ProbeTransport::kTls)
                         : (udp ? ProbeTransport::kUdp : ProbeTransport::kTcp);
  return url;
}

}  // namespace turnpike::cli::probe
