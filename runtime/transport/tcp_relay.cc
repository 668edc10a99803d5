#include "runtime/transport/tcp_relay.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/log.h"
#include "runtime/socket_address.h"

namespace turnpike::runtime {
namespace {

// The accept queue of one relay listener: peers of one allocation.
constexpr int kBacklog = 16;

uv_handle_t* AsHandle(uv_tcp_t* tcp) {
  return reinterpret_cast<uv_handle_t*>(tcp);
}
uv_stream_t* AsStream(uv_tcp_t* tcp) {
  return reinterpret_cast<uv_stream_t*>(tcp);
}

absl::Status SocketError(int err, const TransportAddress& address,
                         const char* step) {
  std::string message =
      absl::StrCat("tcp relay ", address.ToString(), ": ", step,
                   " failed: ", uv_strerror(err), " (", uv_err_name(err), ")");
  switch (err) {
    case UV_EADDRINUSE:
      return absl::AlreadyExistsError(message);
    case UV_EAFNOSUPPORT:
    case UV_EADDRNOTAVAIL:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

// SO_REUSEPORT on the socket under `tcp`: see tcp_relay.h.
int SetReusePort(uv_tcp_t* tcp) {
  uv_os_fd_t fd;
  if (int err = uv_fileno(AsHandle(tcp), &fd); err != 0) return err;
  const int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0) {
    return uv_translate_sys_error(errno);
  }
  return 0;
}

std::optional<TransportAddress> PeerName(uv_tcp_t* tcp) {
  sockaddr_storage storage;
  int length = sizeof(storage);
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&storage), &length) !=
      0) {
    return std::nullopt;
  }
  return FromSockaddr(reinterpret_cast<const sockaddr*>(&storage));
}

}  // namespace

void CloseAndFree(uv_tcp_t* handle) {
  if (handle == nullptr) return;
  uv_close(AsHandle(handle),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
}

PeerConnection::PeerConnection(core::ConnectionId id, core::RelayId relay,
                               const TransportAddress& peer, TcpRelaySink* sink)
    : id_(id), relay_(relay), peer_(peer), sink_(sink) {}

PeerConnection::~PeerConnection() { Close(); }

uv_tcp_t* PeerConnection::Release() {
  if (!connected_ || handle_ == nullptr) return nullptr;
  uv_tcp_t* handle = handle_;
  handle_ = nullptr;
  handle->data = nullptr;
  connected_ = false;
  return handle;
}

void PeerConnection::StopTimer() {
  if (timer_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  timer_ = nullptr;
}

void PeerConnection::Close() {
  StopTimer();
  if (connect_ != nullptr) {
    // Closing the handle cancels the connect; its callback still runs
    // (UV_ECANCELED) and frees the request, and must not find us.
    connect_->data = nullptr;
    connect_ = nullptr;
  }
  if (handle_ != nullptr) {
    handle_->data = nullptr;
    CloseAndFree(handle_);
    handle_ = nullptr;
  }
  connected_ = false;
}

void PeerConnection::OnConnect(uv_connect_t* request, int status) {
  auto* self = static_cast<PeerConnection*>(request->data);
  delete request;
  if (self == nullptr) return;  // abandoned (Close or timeout)
  self->connect_ = nullptr;
  if (status != 0) {
    self->Finish(absl::UnavailableError(
        absl::StrCat("connect to ", self->peer_.ToString(),
                     " failed: ", uv_strerror(status))));
    return;
  }
  self->StopTimer();
  self->connected_ = true;
  self->sink_->OnPeerConnected(*self, absl::OkStatus());
}

void PeerConnection::OnTimeout(uv_timer_t* timer) {
  auto* self = static_cast<PeerConnection*>(timer->data);
  self->Finish(absl::DeadlineExceededError(
      absl::StrCat("connect to ", self->peer_.ToString(), " timed out")));
}

void PeerConnection::Finish(const absl::Status& status) {
  Close();
  // Last: the sink may destroy this object.
  sink_->OnPeerConnected(*this, status);
}

absl::StatusOr<std::unique_ptr<TcpRelayListener>> TcpRelayListener::Listen(
    uv_loop_t* loop, core::RelayId id, const TransportAddress& address,
    TcpRelaySink* sink) {
  std::unique_ptr<TcpRelayListener> listener(
      new TcpRelayListener(loop, id, sink));
  absl::Status status = listener->Open(address);
  if (!status.ok()) return status;  // the destructor closes the handle
  return listener;
}

TcpRelayListener::~TcpRelayListener() { Close(); }

absl::Status TcpRelayListener::Open(const TransportAddress& address) {
  local_address_ = address;
  auto* handle = new uv_tcp_t;
  int err =
      uv_tcp_init_ex(loop_, handle, address.ip.is_v4() ? AF_INET : AF_INET6);
  if (err != 0) {
    delete handle;  // never registered with the loop
    return SocketError(err, address, "socket");
  }
  handle->data = this;
  handle_ = handle;
  sockaddr_storage storage;
  ToSockaddr(address, &storage);
  // libuv sets SO_REUSEADDR itself (a relay port in TIME_WAIT from an
  // earlier allocation is free again). EADDRINUSE may surface from bind or
  // be deferred by libuv to listen.
  err = uv_tcp_bind(handle_, reinterpret_cast<const sockaddr*>(&storage),
                    address.ip.is_v6() ? UV_TCP_IPV6ONLY : 0);
  if (err != 0) return SocketError(err, address, "bind");
  err = uv_listen(AsStream(handle_), kBacklog, &TcpRelayListener::OnConnection);
  if (err != 0) return SocketError(err, address, "listen");
  // Only now that the port is ours: Connect's sockets may share it.
  err = SetReusePort(handle_);
  if (err != 0) return SocketError(err, address, "SO_REUSEPORT");
  int length = sizeof(storage);
  err = uv_tcp_getsockname(handle_, reinterpret_cast<sockaddr*>(&storage),
                           &length);
  if (err != 0) return SocketError(err, address, "getsockname");
  if (std::optional<TransportAddress> bound =
          FromSockaddr(reinterpret_cast<const sockaddr*>(&storage))) {
    local_address_ = *bound;
  }
  return absl::OkStatus();
}

void TcpRelayListener::Close() {
  if (handle_ == nullptr) return;
  handle_->data = nullptr;
  CloseAndFree(handle_);
  handle_ = nullptr;
}

void TcpRelayListener::OnConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<TcpRelayListener*>(server->data);
  if (self == nullptr) return;
  if (status != 0) {
    LogWarning(absl::StrCat("tcp relay ", self->local_address_.ToString(),
                            ": accept failed: ", uv_strerror(status)));
    return;
  }
  self->Accept();
}

void TcpRelayListener::Accept() {
  auto* client = new uv_tcp_t;
  if (uv_tcp_init(loop_, client) != 0) {
    delete client;
    return;
  }
  client->data = nullptr;
  if (int err = uv_accept(AsStream(handle_), AsStream(client)); err != 0) {
    CloseAndFree(client);
    return;
  }
  std::optional<TransportAddress> peer = PeerName(client);
  if (!peer) {  // already reset by the peer
    CloseAndFree(client);
    return;
  }
  std::unique_ptr<PeerConnection> connection(
      new PeerConnection(core::ConnectionId{}, id_, *peer, sink_));
  connection->handle_ = client;
  connection->connected_ = true;
  // Not read: RFC 6062 §5.3, TCP keeps the peer's bytes until the bind.
  sink_->OnPeerAccepted(id_, std::move(connection));
}

std::unique_ptr<PeerConnection> TcpRelayListener::Connect(
    core::ConnectionId id, const TransportAddress& peer,
    std::chrono::milliseconds timeout, absl::Status* error) {
  *error = absl::OkStatus();
  if (handle_ == nullptr) {
    *error = absl::FailedPreconditionError("the relay is closed");
    return nullptr;
  }
  if (peer.ip.is_v4() != local_address_.ip.is_v4()) {
    *error = absl::InvalidArgumentError("peer of another address family");
    return nullptr;
  }
  std::unique_ptr<PeerConnection> connection(
      new PeerConnection(id, id_, peer, sink_));
  auto* handle = new uv_tcp_t;
  int err = uv_tcp_init_ex(loop_, handle, peer.ip.is_v4() ? AF_INET : AF_INET6);
  if (err != 0) {
    delete handle;
    *error = SocketError(err, local_address_, "socket");
    return nullptr;
  }
  handle->data = connection.get();
  connection->handle_ = handle;  // closed by the connection from here on
  sockaddr_storage storage;
  ToSockaddr(local_address_, &storage);
  // RFC 6062 §5.2: from the relayed transport address itself.
  err = SetReusePort(handle);
  if (err == 0) {
    err = uv_tcp_bind(handle, reinterpret_cast<const sockaddr*>(&storage),
                      local_address_.ip.is_v6() ? UV_TCP_IPV6ONLY : 0);
  }
  if (err != 0) {
    *error = SocketError(err, local_address_, "bind");
    return nullptr;
  }
  auto* request = new uv_connect_t;
  request->data = connection.get();
  ToSockaddr(peer, &storage);
  err = uv_tcp_connect(request, handle,
                       reinterpret_cast<const sockaddr*>(&storage),
                       &PeerConnection::OnConnect);
  if (err != 0) {
    delete request;  // libuv did not take it
    *error = SocketError(err, peer, "connect");
    return nullptr;
  }
  connection->connect_ = request;

  auto* timer = new uv_timer_t;
  uv_timer_init(loop_, timer);
  timer->data = connection.get();
  connection->timer_ = timer;
  uv_timer_start(timer, &PeerConnection::OnTimeout,
                 static_cast<uint64_t>(timeout.count()), 0);
  return connection;
}

}  // namespace turnpike::runtime
