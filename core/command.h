// What the core asks the runtime to do. Control-plane output only: relayed
// data never goes through this queue (DESIGN.md "Core API").
#ifndef TURNPIKE_CORE_COMMAND_H_
#define TURNPIKE_CORE_COMMAND_H_

#include <variant>

#include "absl/container/inlined_vector.h"
#include "core/net/transport_address.h"
#include "core/types.h"

namespace turnpike::core {

// Most STUN responses are under 256 bytes; the inline capacity keeps them
// off the heap.
using Bytes = absl::InlinedVector<uint8_t, 256>;

// Send `bytes` to `to` from listener `from` (for stream transports, on the
// connection whose client address is `to`).
struct Transmit {
  ListenerId from;
  Transport transport = Transport::kUdp;
  TransportAddress to;
  Bytes bytes;
};

// TURN adds OpenRelay, CloseRelay and lifecycle events here (issue #3).
using Command = std::variant<Transmit>;

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_COMMAND_H_
