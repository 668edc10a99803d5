// The one face every transport shows the worker (DESIGN.md "The runtime is
// transport-neutral"): an endpoint delivers whole messages up to a
// MessageSink, stamped with the Now of the batch they arrived in, and takes
// whole messages down through Send. A UDP socket is an endpoint that talks
// to many remotes; a TCP connection, a TLS session or a DTLS association
// will each be one that talks to one. The worker never asks which it has.
#ifndef TURNPIKE_RUNTIME_TRANSPORT_ENDPOINT_H_
#define TURNPIKE_RUNTIME_TRANSPORT_ENDPOINT_H_

#include <optional>
#include <utility>

#include "absl/types/span.h"
#include "core/forward.h"
#include "core/net/transport_address.h"
#include "core/types.h"
#include "runtime/transport/message.h"

namespace turnpike::runtime {

class Endpoint;

// Where received messages go (the worker, which feeds the core).
class MessageSink {
 public:
  // One whole message: a datagram, or (for streams) one framed STUN message
  // or ChannelData. `bytes` is valid only during the call. `now` is stamped
  // once per receive batch, so messages of one batch share it. The sink may
  // close any endpoint, including `endpoint`, which stays alive until the
  // call returns.
  virtual void OnMessage(const core::Now& now, Endpoint& endpoint,
                         const TransportAddress& from,
                         absl::Span<const uint8_t> bytes) = 0;

 protected:
  ~MessageSink() = default;
};

class Endpoint {
 public:
  virtual ~Endpoint() = default;

  // How the core knows this endpoint: the listener it belongs to (client
  // side) or its relay id (peer side).
  virtual core::SocketRef id() const = 0;
  virtual core::Transport transport() const = 0;
  // A client connection's 5-tuple, its connection id included (TCP, TLS,
  // DTLS); nullopt for sockets that talk to many remotes (UDP listeners,
  // relay sockets), whose tuples the worker builds per message.
  virtual std::optional<core::FiveTuple> client_tuple() const {
    return std::nullopt;
  }
  // The local side of the endpoint's 5-tuples.
  virtual const TransportAddress& local_address() const = 0;
  // SO_RCVBUF and SO_SNDBUF as granted; {0, 0} once closed.
  virtual std::pair<int, int> buffer_bytes() const = 0;

  // Sends one whole message to `to` without blocking: at once when the
  // socket takes it; otherwise a datagram endpoint drops it and a stream
  // endpoint queues (or drops) it whole. A connection has one remote and
  // ignores `to`. The message's bytes are not kept past the call.
  virtual SendResult Send(const TransportAddress& to,
                          const OutboundMessage& message) = 0;

  // Stops receiving and closes the socket; idempotent. The loop must run
  // once more for libuv to finish; the object may be destroyed right away.
  virtual void Close() = 0;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_ENDPOINT_H_
