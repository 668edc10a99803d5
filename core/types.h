// The values every input and output of the core is made of: time, transport
// tuples and the ids the runtime uses to find its sockets.
#ifndef TURNPIKE_CORE_TYPES_H_
#define TURNPIKE_CORE_TYPES_H_

#include <chrono>
#include <compare>
#include <cstdint>
#include <string_view>
#include <utility>

#include "absl/time/time.h"
#include "core/net/transport_address.h"

namespace turnpike::core {

// Monotonic time as the runtime measured it. The clock deliberately has no
// now(): the core only ever sees time it is given (DESIGN.md "Core API").
struct MonoClock {
  using rep = int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<MonoClock>;
  static constexpr bool is_steady = true;
};
using MonoTime = MonoClock::time_point;
using Duration = std::chrono::nanoseconds;

// One stamp per receive batch: monotonic for lifetimes and timers, wall clock
// for what is compared with other machines' clocks (REST credential expiry).
struct Now {
  MonoTime mono;
  absl::Time wall;
};

enum class Transport : uint8_t { kUdp, kTcp, kTls, kDtls };
std::string_view TransportName(Transport transport);
constexpr bool IsStream(Transport t) {
  return t == Transport::kTcp || t == Transport::kTls;
}

// Index of a listening socket in the runtime's table, assigned by the
// configuration (ServerConfig::listeners).
struct ListenerId {
  uint16_t value = 0;
  friend auto operator<=>(const ListenerId&, const ListenerId&) = default;
  template <typename H>
  friend H AbslHashValue(H h, ListenerId id) {
    return H::combine(std::move(h), id.value);
  }
};

// A relay socket, assigned by the core in OpenRelay; the runtime indexes its
// relay handles by it. Never reused within one Server's life.
struct RelayId {
  uint32_t value = 0;
  friend auto operator<=>(const RelayId&, const RelayId&) = default;
  template <typename H>
  friend H AbslHashValue(H h, RelayId id) {
    return H::combine(std::move(h), id.value);
  }
};

// One connection-oriented client or peer flow: a TCP or TLS connection, a
// DTLS association, or an RFC 6062 peer data connection. The runtime names
// the connections it accepts; the core names the peer connections it asks
// for (ConnectPeer) with kCoreAssigned set, so the two never collide. Never
// reused within one process's life. The zero id means "no connection": a
// plain UDP client is its 5-tuple alone.
struct ConnectionId {
  static constexpr uint64_t kCoreAssigned = uint64_t{1} << 63;
  uint64_t value = 0;
  bool valid() const { return value != 0; }
  friend auto operator<=>(const ConnectionId&, const ConnectionId&) = default;
  template <typename H>
  friend H AbslHashValue(H h, ConnectionId id) {
    return H::combine(std::move(h), id.value);
  }
};

// RFC 8656 §2: the 5-tuple (client address, server address, transport) that
// identifies a client's flow, plus the listener it arrived on and, for
// TCP, TLS and DTLS, the connection, so a reply leaves on the same one (a
// client port reused after a close is a new connection, not the old one).
struct FiveTuple {
  Transport transport = Transport::kUdp;
  TransportAddress client;
  TransportAddress server;
  ListenerId listener;
  ConnectionId connection{};  // invalid for UDP

  friend auto operator<=>(const FiveTuple&, const FiveTuple&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const FiveTuple& t) {
    return H::combine(std::move(h), t.transport, t.client, t.server,
                      t.listener, t.connection);
  }
};

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_TYPES_H_
