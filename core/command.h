// What the core asks the runtime to do. Control-plane output only: relayed
// data never goes through this queue (forward.h; DESIGN.md "Core API").
#ifndef TURNPIKE_CORE_COMMAND_H_
#define TURNPIKE_CORE_COMMAND_H_

#include <optional>
#include <variant>

#include "absl/container/inlined_vector.h"
#include "core/events.h"
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

// Bind a relay socket (RFC 8656 §7.2) and answer with HandleRelayOpened or
// HandleRelayFailed for `id`. `family` picks the configured relay address of
// that family; the port is chosen at random in the configured range.
struct OpenRelay {
  RelayId id;
  AddressFamily family = AddressFamily::kIpv4;
  // RFC 8656 §7.2 EVEN-PORT: the port must be even.
  bool even_port = false;
  // RFC 8656 §7.2 DONT-FRAGMENT: datagrams to peers leave with DF set
  // (IP_PMTUDISC_DO / IPV6_DONTFRAG).
  bool dont_fragment = false;
  // EVEN-PORT with R=1: also bind port+1 and keep it under `reserve_id`
  // until the core closes it or hands it to an Allocate with the
  // RESERVATION-TOKEN.
  // HandleRelayOpened reports the even port; port+1 is then bound too.
  std::optional<RelayId> reserve_id;
};

// Close the relay socket `id`; nothing more arrives for it.
struct CloseRelay {
  RelayId id;
};

using Command = std::variant<Transmit, OpenRelay, CloseRelay, Event>;

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_COMMAND_H_
