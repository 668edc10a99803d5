// TURN over TLS (RFC 8656 §3.1, `turns:` URLs) and over DTLS (RFC 7350,
// `turns:...?transport=udp`), as a client with BoringSSL on a
// non-blocking socket: the handshake, reads and writes are driven to a
// deadline, and DTLS's retransmission timer is fired while waiting. The
// server's certificate is checked against the system's trust store (or
// --ca FILE) and the URL's host name or IP address, as a WebRTC client
// would check it, unless the operator says --insecure.
#ifndef TURNPIKE_CLI_PROBE_SECURE_CONNECTION_H_
#define TURNPIKE_CLI_PROBE_SECURE_CONNECTION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cli/probe/connection.h"
#include "core/net/transport_address.h"

namespace turnpike::cli::probe {

struct TlsOptions {
  bool insecure = false;  // no certificate check at all
  std::string ca_file;    // PEM; empty: the system's trust store
};

// The host the certificate must name.
struct ServerName {
  std::string host;
  bool is_ip = false;
};

absl::StatusOr<std::unique_ptr<Connection>> ConnectTls(
    const TransportAddress& server, const ServerName& name,
    const TlsOptions& options, Clock::time_point deadline);

absl::StatusOr<std::unique_ptr<Connection>> ConnectDtls(
    const TransportAddress& server, const ServerName& name,
    const TlsOptions& options, Clock::time_point deadline);

}  // namespace turnpike::cli::probe

#endif  // TURNPIKE_CLI_PROBE_SECURE_CONNECTION_H_
