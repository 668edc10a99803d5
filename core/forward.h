// The relayed-data hot path's output: where one packet goes and what to put
// in front of it. Returned by value from HandleClientMessage and
// HandlePeerDatagram instead of going through the command queue, so a
// relayed packet costs no allocation and no copy in the core (DESIGN.md
// "Core API"; firezone's relay does the same).
#ifndef TURNPIKE_CORE_FORWARD_H_
#define TURNPIKE_CORE_FORWARD_H_

#include <array>
#include <cstdint>
#include <variant>

#include "absl/types/span.h"
#include "core/net/transport_address.h"
#include "core/types.h"

namespace turnpike::core {

// The bytes to send before the payload: nothing (client → peer), a 4-byte
// ChannelData header (RFC 8656 §12.4), or a Data indication's header and
// attributes up to the DATA value (RFC 8656 §11.4: 20-byte header,
// XOR-PEER-ADDRESS of 12 or 24 bytes, DATA's 4-byte header: 36 or 48 bytes).
struct FramePrefix {
  static constexpr size_t kCapacity = 48;
  std::array<uint8_t, kCapacity> bytes{};
  uint8_t size = 0;
  absl::Span<const uint8_t> view() const { return {bytes.data(), size}; }
};

// Where bytes leave from: a UDP listener (towards a UDP client, addressed
// by `to`), a connection (a TCP, TLS or DTLS client, or an RFC 6062 peer;
// `to` is informational), or a relay socket (towards a peer).
using SocketRef = std::variant<ListenerId, ConnectionId, RelayId>;

// The socket a reply to `client` leaves from: its connection when it has
// one, else the listener it arrived on.
inline SocketRef ClientSocket(const FiveTuple& client) {
  if (client.connection.valid()) return client.connection;
  return client.listener;
}

struct Forward {
  SocketRef via;
  Transport transport = Transport::kUdp;  // of `via`
  TransportAddress to;
  FramePrefix prefix;
  // Borrowed from the input buffer: valid until the next call into the
  // Server or until the caller reuses that buffer, whichever comes first.
  absl::Span<const uint8_t> payload;
  // Zero bytes to append after the payload: a Data indication's DATA
  // padding, or ChannelData padding on stream transports (RFC 8656 §12.5).
  uint8_t padding = 0;

  size_t size() const { return prefix.size + payload.size() + padding; }
};

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_FORWARD_H_
