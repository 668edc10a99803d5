// What the core asks the runtime to do. Control-plane output only: relayed
// data never goes through this queue (forward.h; DESIGN.md "Core API").
#ifndef TURNPIKE_CORE_COMMAND_H_
#define TURNPIKE_CORE_COMMAND_H_

#include <optional>
#include <variant>

#include "absl/container/inlined_vector.h"
#include "core/events.h"
#include "core/forward.h"
#include "core/net/transport_address.h"
#include "core/types.h"

namespace turnpike::core {

// Most STUN responses are under 256 bytes; the inline capacity keeps them
// off the heap.
using Bytes = absl::InlinedVector<uint8_t, 256>;

// Send `bytes` to a client: from a UDP listener to `to`, or on a
// connection (`via` is never a relay: clients are not reached through one).
// On a stream the bytes are one whole STUN message or ChannelData.
struct Transmit {
  SocketRef via;
  Transport transport = Transport::kUdp;  // of `via`
  TransportAddress to;
  Bytes bytes;
};

// Bind a relay socket (RFC 8656 §7.2) and answer with HandleRelayOpened or
// HandleRelayFailed for `id`. `family` picks the configured relay address of
// that family; the port is chosen at random in the configured range.
struct OpenRelay {
  RelayId id;
  // kUdp: a UDP relay socket. kTcp: RFC 6062 §5.1, a TCP socket listening
  // on the relayed address for peers (HandlePeerConnectionAccepted), from
  // which ConnectPeer's connections also leave.
  Transport transport = Transport::kUdp;
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
  // Several workers (Deps::reservations): bind nothing, but take the
  // socket this Server claimed from the registry under this
  // RESERVATION-TOKEN, and report its address with HandleRelayOpened (or
  // HandleRelayFailed when the socket is gone).
  std::optional<uint64_t> claimed_token;
};

// Several workers (Deps::reservations), RFC 8656 §7.2 EVEN-PORT R=1: the
// port+1 socket opened as OpenRelay's reserve_id `relay` is this worker's
// no more. Keep it in the process's reservation registry under `token`
// (nothing is read from it there) until a worker's claim takes it or a
// release closes it.
struct ShareReservation {
  RelayId relay;
  uint64_t token = 0;
};

// Close the relay socket `id`; nothing more arrives for it.
struct CloseRelay {
  RelayId id;
};

// RFC 6062 §5.2 Connect: open a TCP connection from relay `relay`'s
// address (the same port, SO_REUSEADDR) to `peer`, named `id`
// (kCoreAssigned). Answer with HandlePeerConnected or
// HandlePeerConnectFailed; until it is spliced, the runtime does not read
// from it (TCP holds the peer's bytes, RFC 6062 §5.3).
struct ConnectPeer {
  ConnectionId id;
  RelayId relay;
  TransportAddress peer;
};

// Close a connection: a client's (TCP, TLS, DTLS) or a peer's (RFC 6062).
// Bytes already queued towards it are sent first when the socket takes
// them; nothing more arrives from it, and the core hears no close for it.
struct CloseConnection {
  ConnectionId id;
};

// RFC 6062 §5.4: after ConnectionBind's success response (queued before
// this command), every byte from `client` (the client's data connection)
// goes to `peer` and back, unchanged and without the core. When either
// side closes, the runtime closes the other and reports
// HandlePeerConnectionClosed(peer).
struct SpliceConnections {
  ConnectionId client;
  ConnectionId peer;
};

// RFC 6062 §5.4 across workers: the ConnectionBind being handled on client
// connection `connection` names a CONNECTION-ID that worker `worker` of
// the process issued (ServerConfig::worker_index), so its peer connection
// is there. Nothing is answered: the runtime moves the connection, with
// this request and every byte read after it, to that worker, whose core
// handles the request as if it had arrived there. This core keeps nothing
// of `connection` and wants no close reported for it.
struct HandOffConnection {
  ConnectionId connection;
  uint32_t worker = 0;
};

using Command =
    std::variant<Transmit, OpenRelay, CloseRelay, ConnectPeer, CloseConnection,
                 SpliceConnections, HandOffConnection, Event, ShareReservation>;

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_COMMAND_H_
