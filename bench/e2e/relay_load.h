// ChannelData traffic through ready allocations to the echo peer and back:
// either paced at a fixed total rate (open loop: sending does not wait for
// answers) or closed loop with a fixed number of packets in flight per
// client (the server's maximum as this client can drive it). Every packet
// that comes back is checked: ChannelData on kChannel, the length sent, and
// the tag and client index written into the payload.
#ifndef TURNPIKE_BENCH_E2E_RELAY_LOAD_H_
#define TURNPIKE_BENCH_E2E_RELAY_LOAD_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "allocator.h"

namespace turnpike::e2e {

struct RelayOptions {
  double seconds = 10;
  double rate = 0;       // packets/s over all clients; 0: closed loop
  size_t payload = 200;  // bytes after the ChannelData header, >= 16
  size_t window = 8;     // closed loop: packets in flight per client
};

struct RelayResult {
  uint64_t sent = 0;           // ChannelData frames the client sent
  uint64_t received = 0;       // well-formed frames echoed back to a client
  uint64_t malformed = 0;      // anything else arriving on a client socket
  uint64_t send_failures = 0;  // send() refused (full buffer): not sent
  double send_seconds = 0;     // the sending window
};

// `sessions` must all be ready.
RelayResult RunRelayLoad(const std::vector<ClientSession>& sessions,
                         const RelayOptions& options);

}  // namespace turnpike::e2e

#endif  // TURNPIKE_BENCH_E2E_RELAY_LOAD_H_
