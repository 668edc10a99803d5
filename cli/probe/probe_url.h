// The TURN server URLs of RFC 7065 (and the STUN ones of RFC 7064) that
// `turnpike probe` takes: scheme ":" host [":" port] ["?transport=" udp|tcp].
// turn: defaults to UDP on 3478; turns: to TLS over TCP on 5349, and
// `turns:...?transport=udp` means DTLS (RFC 7350 §4.1). The parse is strict
// (what a WebRTC stack would refuse is refused here, with a hint), so an
// operator copies into their application only URLs that work.
#ifndef TURNPIKE_CLI_PROBE_PROBE_URL_H_
#define TURNPIKE_CLI_PROBE_PROBE_URL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace turnpike::cli::probe {

enum class ProbeTransport : uint8_t { kUdp, kTcp, kTls, kDtls };

// "udp", "tcp", "tls", "dtls".
std::string_view TransportName(ProbeTransport transport);

struct ProbeUrl {
  std::string text;  // as given
  ProbeTransport transport = ProbeTransport::kUdp;
  // A DNS name, or an IP literal without its brackets.
  std::string host;
  bool host_is_ip = false;
  uint16_t port = 0;
  // stun:/stuns: (RFC 7064): a Binding only, no allocation.
  bool stun_only = false;
};

absl::StatusOr<ProbeUrl> ParseProbeUrl(std::string_view text);

}  // namespace turnpike::cli::probe

#endif  // TURNPIKE_CLI_PROBE_PROBE_URL_H_
