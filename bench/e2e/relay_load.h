// ChannelData traffic through ready allocations to the echo peer and back:
// either paced at a fixed total rate (open loop: sending does not wait for
// answers) or closed loop with a fixed number of packets in flight per
// client (the server's maximum as this client can drive it). Every packet
// that comes back is checked: ChannelData on kChannel, the length sent, and
// the tag and client index written into the payload; its round trip is
// timed from the send time the payload carries.
//
// So that one load client can saturate a server with several workers, the
// clients are split over `threads` threads (each with its own epoll set and
// share of the rate), and each client's packets go out in sendmmsg bursts.
#ifndef TURNPIKE_BENCH_E2E_RELAY_LOAD_H_
#define TURNPIKE_BENCH_E2E_RELAY_LOAD_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "allocator.h"
#include "latency_histogram.h"

namespace turnpike::e2e {

struct RelayOptions {
  double seconds = 10;
  double rate = 0;       // packets/s over all clients; 0: closed loop
  size_t payload = 200;  // bytes after the ChannelData header, >= kMinPayload
  size_t window = 8;     // closed loop: packets in flight per client
  size_t threads = 1;    // sending and receiving threads, clients split
  size_t burst = 1;      // open loop: packets per client per sendmmsg
  // After sending: how long with no answer means none is still coming.
  double drain_quiet = 0.3;
};

// The payload starts with a tag, the client's index, a sequence number and
// the send time.
inline constexpr size_t kMinPayload = 24;
inline constexpr size_t kMaxBurst = 64;

struct RelayResult {
  uint64_t sent = 0;            // ChannelData frames the client sent
  uint64_t received = 0;        // well-formed frames echoed back to a client
  uint64_t malformed = 0;       // anything else arriving on a client socket
  uint64_t send_failures = 0;   // send() refused (full buffer): not sent
  double send_seconds = 0;      // the sending window
  LatencyHistogram round_trip;  // of every frame counted in `received`
};

// `sessions` must all be ready.
RelayResult RunRelayLoad(const std::vector<ClientSession>& sessions,
                         const RelayOptions& options);

}  // namespace turnpike::e2e

#endif  // TURNPIKE_BENCH_E2E_RELAY_LOAD_H_
