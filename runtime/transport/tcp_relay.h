// RFC 6062 relay sockets: the TCP listener on a TCP allocation's relayed
// address (§5.1, peers connect to it, §5.3) and the peer connections that
// leave from that same address:port (Connect, §5.2).
//
// A peer connection is never read here: until the core splices it to a
// client data connection (runtime/transport/splice.h), TCP itself holds
// whatever the peer sends (RFC 6062 §5.3), so an unbound connection costs
// no buffer of ours. No protocol logic: the core decides who may connect
// and what to do with a connection; this only opens, accepts and closes.
//
// Leaving from the listening port needs SO_REUSEPORT on both sockets
// (Linux refuses SO_REUSEADDR alone next to a listening socket). The
// listener binds WITHOUT it, so a port held by any other socket (another
// relay included) still fails with EADDRINUSE and is retried; it turns
// SO_REUSEPORT on only once it owns the port.
#ifndef TURNPIKE_RUNTIME_TRANSPORT_TCP_RELAY_H_
#define TURNPIKE_RUNTIME_TRANSPORT_TCP_RELAY_H_

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/net/transport_address.h"
#include "core/types.h"

namespace turnpike::runtime {

class PeerConnection;

// What a relay listener and its connections report (the worker, which
// tells the core).
class TcpRelaySink {
 public:
  // A peer connected to relay `relay`'s listener. The sink names the
  // connection and owns it from now on; it is not read from.
  virtual void OnPeerAccepted(core::RelayId relay,
                              std::unique_ptr<PeerConnection> connection) = 0;
  // A Connect finished: ok, or why not (DeadlineExceeded on the timeout).
  // On failure the connection is already closed; the sink may destroy it.
  virtual void OnPeerConnected(PeerConnection& connection,
                               const absl::Status& status) = 0;

 protected:
  ~TcpRelaySink() = default;
};

// One TCP connection to a peer, idle (not read) until it is handed over
// with Release() to a Splice. Closing or destroying it closes the socket.
class PeerConnection {
 public:
  ~PeerConnection();
  PeerConnection(const PeerConnection&) = delete;
  PeerConnection& operator=(const PeerConnection&) = delete;

  core::ConnectionId id() const { return id_; }
  void set_id(core::ConnectionId id) { id_ = id; }
  core::RelayId relay() const { return relay_; }
  const TransportAddress& peer() const { return peer_; }
  // Accepted, or its Connect succeeded.
  bool connected() const { return connected_; }

  // Hands the connected socket to the caller (who must uv_close it in the
  // end); nullptr when it is not connected. The object is then empty.
  uv_tcp_t* Release();
  // Closes the socket (a Connect in progress is abandoned without a
  // report); idempotent.
  void Close();

 private:
  friend class TcpRelayListener;
  PeerConnection(core::ConnectionId id, core::RelayId relay,
                 const TransportAddress& peer, TcpRelaySink* sink);

  static void OnConnect(uv_connect_t* request, int status);
  static void OnTimeout(uv_timer_t* timer);
  void Finish(const absl::Status& status);
  void StopTimer();

  core::ConnectionId id_;
  core::RelayId relay_;
  TransportAddress peer_;
  TcpRelaySink* sink_;
  // Heap-allocated: libuv touches handles after uv_close() returns, so
  // their close callbacks free them. nullptr once closed or released.
  uv_tcp_t* handle_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  // Outlives this object when a connect is cancelled (its callback runs
  // after the close); `data` is cleared then.
  uv_connect_t* connect_ = nullptr;
  bool connected_ = false;
};

class TcpRelayListener {
 public:
  // Binds `address` (SO_REUSEADDR, no SO_REUSEPORT: see above) and
  // listens. AlreadyExists when the port is taken, Unavailable when the
  // host cannot use the address, Internal otherwise; messages name the
  // address. `sink` must outlive the listener and its connections.
  static absl::StatusOr<std::unique_ptr<TcpRelayListener>> Listen(
      uv_loop_t* loop, core::RelayId id, const TransportAddress& address,
      TcpRelaySink* sink);

  ~TcpRelayListener();
  TcpRelayListener(const TcpRelayListener&) = delete;
  TcpRelayListener& operator=(const TcpRelayListener&) = delete;

  core::RelayId id() const { return id_; }
  const TransportAddress& local_address() const { return local_address_; }

  // RFC 6062 §5.2: a connection from this relay's address and port to
  // `peer`. The answer comes later through TcpRelaySink::OnPeerConnected
  // (never from inside this call); after `timeout` it is DeadlineExceeded.
  // Returns nullptr (and reports nothing) only when no socket could be
  // made at all, with `error` saying why.
  std::unique_ptr<PeerConnection> Connect(core::ConnectionId id,
                                          const TransportAddress& peer,
                                          std::chrono::milliseconds timeout,
                                          absl::Status* error);

  // Stops accepting and closes the socket; idempotent. Connections already
  // made are not touched (their owner closes them).
  void Close();

 private:
  TcpRelayListener(uv_loop_t* loop, core::RelayId id, TcpRelaySink* sink)
      : loop_(loop), id_(id), sink_(sink) {}
  absl::Status Open(const TransportAddress& address);
  static void OnConnection(uv_stream_t* server, int status);
  void Accept();

  uv_loop_t* loop_;
  core::RelayId id_;
  TcpRelaySink* sink_;
  uv_tcp_t* handle_ = nullptr;
  TransportAddress local_address_;
};

// Closes and frees a heap-allocated uv_tcp_t (libuv needs the memory until
// the close callback).
void CloseAndFree(uv_tcp_t* handle);

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_TCP_RELAY_H_
