// A listening TCP socket (tcp:// or tls://): accepts clients and hands each
// one, as a non-blocking fd, to a ConnectionAcceptor (the worker), which
// makes it a StreamConnection. It is an Endpoint only so the worker can
// keep every listener in one table by ListenerId; nothing is sent on it.
//
// The per-IP limit is checked right after accept(2), before any other
// work: a refused client's socket is reset (SO_LINGER 0) at once, so it
// learns neither the limit nor its count and costs no TIME_WAIT here.
#ifndef TURNPIKE_RUNTIME_TRANSPORT_TCP_LISTENER_H_
#define TURNPIKE_RUNTIME_TRANSPORT_TCP_LISTENER_H_

#include <uv.h>

#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "core/net/transport_address.h"
#include "core/types.h"
#include "runtime/transport/connection_limiter.h"
#include "runtime/transport/endpoint.h"
#include "runtime/transport/stream_stats.h"

namespace turnpike::runtime {

class TcpListener;

class ConnectionAcceptor {
 public:
  // A client the limiter let in: `fd` and its limiter slot now belong to
  // the acceptor (StreamConnection::Create takes both).
  virtual void OnAccepted(TcpListener& listener, int fd,
                          const TransportAddress& local,
                          const TransportAddress& remote) = 0;

 protected:
  ~ConnectionAcceptor() = default;
};

class TcpListener final : public Endpoint {
 public:
  // Binds and listens on `address` (IPV6_V6ONLY for IPv6, SO_REUSEADDR so
  // a restart does not wait out TIME_WAIT). Error codes as
  // UdpSocket::Bind's: Unavailable, AlreadyExists, PermissionDenied,
  // Internal. Everything borrowed must outlive the listener. `reuse_port`
  // sets SO_REUSEPORT, so each worker listens on the same address and the
  // kernel spreads connections over them (runtime/supervisor.h).
  static absl::StatusOr<std::unique_ptr<TcpListener>> Listen(
      uv_loop_t* loop, core::ListenerId id, core::Transport transport,
      const TransportAddress& address, ConnectionLimiter* limiter,
      ConnectionAcceptor* acceptor, StreamStats* stats,
      bool reuse_port = false);

  ~TcpListener() override;
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  core::SocketRef id() const override { return id_; }
  core::ListenerId listener_id() const { return id_; }
  core::Transport transport() const override { return transport_; }
  const TransportAddress& local_address() const override {
    return local_address_;
  }
  std::pair<int, int> buffer_bytes() const override;
  // Replies go out on the client's connection, never here.
  SendResult Send(const TransportAddress& to,
                  const OutboundMessage& message) override;
  void Close() override;

 private:
  TcpListener(core::ListenerId id, core::Transport transport,
              ConnectionLimiter* limiter, ConnectionAcceptor* acceptor,
              StreamStats* stats)
      : id_(id),
        transport_(transport),
        limiter_(limiter),
        acceptor_(acceptor),
        stats_(stats) {}

  absl::Status Open(uv_loop_t* loop, const TransportAddress& address,
                    bool reuse_port);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  void AcceptPending();

  core::ListenerId id_;
  core::Transport transport_;
  ConnectionLimiter* limiter_;
  ConnectionAcceptor* acceptor_;
  StreamStats* stats_;
  uv_poll_t* poll_ = nullptr;  // freed by its close callback
  int fd_ = -1;
  TransportAddress local_address_;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_TCP_LISTENER_H_
