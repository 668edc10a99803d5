// TURN over UDP (RFC 8656 §3.1): a connected datagram socket, so the kernel
// drops datagrams from anyone but the server and reports an ICMP port
// unreachable as "connection refused".
#ifndef TURNPIKE_CLI_PROBE_UDP_CONNECTION_H_
#define TURNPIKE_CLI_PROBE_UDP_CONNECTION_H_

#include <memory>

#include "absl/status/statusor.h"
#include "cli/probe/connection.h"
#include "core/net/transport_address.h"

namespace turnpike::cli::probe {

absl::StatusOr<std::unique_ptr<Connection>> ConnectUdp(
    const TransportAddress& server);

}  // namespace turnpike::cli::probe

#endif  // TURNPIKE_CLI_PROBE_UDP_CONNECTION_H_
