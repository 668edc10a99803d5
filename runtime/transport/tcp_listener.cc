#include "runtime/transport/tcp_listener.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/util/absl_compat.h"
#include "runtime/log.h"
#include "runtime/socket_address.h"

namespace turnpike::runtime {
namespace {

// Connections taken per readable event: a flood cannot hold the loop, and
// the rest wait in the backlog for the next turn.
constexpr int kAcceptsPerEvent = 64;
// The kernel caps it at net.core.somaxconn.
constexpr int kBacklog = 511;

struct PollWithFd {
  uv_poll_t poll;
  int fd;
};

absl::Status SocketError(int err, core::Transport transport,
                         const TransportAddress& address, const char* step) {
  std::string message = absl::StrCat(
      ToAbsl(core::TransportName(transport)), " ", address.ToString(), ": ", step,
      " failed: ", uv_strerror(-err), " (", uv_err_name(-err), ")");
  switch (err) {
    case EAFNOSUPPORT:
    case EPROTONOSUPPORT:
    case EADDRNOTAVAIL:
      return absl::UnavailableError(absl::StrCat(
          message,
          "; the host cannot use this address: listen on an address "
          "configured on one of its interfaces, or enable IPv6"));
    case EADDRINUSE:
      return absl::AlreadyExistsError(absl::StrCat(
          message,
          "; another socket holds this address and port: stop that process "
          "or listen on another port"));
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(absl::StrCat(
          message,
          "; ports below 1024 need CAP_NET_BIND_SERVICE: grant it or use a "
          "higher port"));
    default:
      return absl::InternalError(message);
  }
}

// Drops the connection with a reset: no FIN handshake, no TIME_WAIT, and
// nothing the client could read.
void Reset(int fd) {
  const linger abort{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  ::close(fd);
}

}  // namespace

TcpListener::~TcpListener() { Close(); }

absl::StatusOr<std::unique_ptr<TcpListener>> TcpListener::Listen(
    uv_loop_t* loop, core::ListenerId id, core::Transport transport,
    const TransportAddress& address, ConnectionLimiter* limiter,
    ConnectionAcceptor* acceptor, StreamStats* stats, bool reuse_port) {
  std::unique_ptr<TcpListener> listener(
      new TcpListener(id, transport, limiter, acceptor, stats));
  absl::Status status = listener->Open(loop, address, reuse_port);
  if (!status.ok()) return status;
  return listener;
}

absl::Status TcpListener::Open(uv_loop_t* loop,
                               const TransportAddress& address,
                               bool reuse_port) {
  local_address_ = address;
  const int domain = address.ip.is_v4() ? AF_INET : AF_INET6;
  const int fd =
      ::socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return SocketError(errno, transport_, address, "socket");
  fd_ = fd;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (reuse_port &&
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    return SocketError(errno, transport_, address, "SO_REUSEPORT");
  }
  if (address.ip.is_v6()) {
    // As for UDP: [::] does not also take IPv4 as v4-mapped addresses.
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  }
  sockaddr_storage storage;
  const socklen_t length = ToSockaddr(address, &storage);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&storage), length) != 0) {
    return SocketError(errno, transport_, address, "bind");
  }
  if (::listen(fd, kBacklog) != 0) {
    return SocketError(errno, transport_, address, "listen");
  }
  socklen_t bound_length = sizeof(storage);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage),
                    &bound_length) == 0) {
    if (std::optional<TransportAddress> bound =
            FromSockaddr(reinterpret_cast<const sockaddr*>(&storage))) {
      local_address_ = *bound;
    }
  }
  auto* poll = new PollWithFd;
  poll->fd = fd;
  if (int err = uv_poll_init(loop, &poll->poll, fd); err != 0) {
    delete poll;  // never registered; fd_ is closed by Close()
    return SocketError(-err, transport_, address, "uv_poll_init");
  }
  poll->poll.data = this;
  poll_ = &poll->poll;
  if (int err = uv_poll_start(poll_, UV_READABLE, &TcpListener::OnPoll);
      err != 0) {
    return SocketError(-err, transport_, address, "uv_poll_start");
  }
  return absl::OkStatus();
}

std::pair<int, int> TcpListener::buffer_bytes() const { return {0, 0}; }

SendResult TcpListener::Send(const TransportAddress& /*to*/,
                             const OutboundMessage& /*message*/) {
  return {SendResult::Outcome::kFailed, 0, UV_ENOTSUP};
}

void TcpListener::Close() {
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* handle) {
      auto* poll = reinterpret_cast<PollWithFd*>(handle);
      ::close(poll->fd);
      delete poll;
    });
    poll_ = nullptr;
    fd_ = -1;
  } else if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void TcpListener::OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<TcpListener*>(handle->data);
  if (self == nullptr || status < 0) return;
  self->AcceptPending();
}

void TcpListener::AcceptPending() {
  for (int i = 0; i < kAcceptsPerEvent && poll_ != nullptr; ++i) {
    sockaddr_storage storage;
    socklen_t length = sizeof(storage);
    const int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&storage),
                             &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // EMFILE and friends: the client stays in the backlog.
      ++stats_->accept_errors;
      return;
    }
    std::optional<TransportAddress> remote =
        FromSockaddr(reinterpret_cast<const sockaddr*>(&storage));
    // The limit first, before any other work or memory for this client.
    if (!remote || !limiter_->TryAcquire(remote->ip)) {
      if (remote) ++stats_->refused_by_limit;
      Reset(fd);
      continue;
    }
    ++stats_->accepted;
    TransportAddress local = local_address_;
    length = sizeof(storage);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) ==
        0) {
      if (std::optional<TransportAddress> bound =
              FromSockaddr(reinterpret_cast<const sockaddr*>(&storage))) {
        local = *bound;  // the address the client reached, not a wildcard
      }
    }
    acceptor_->OnAccepted(*this, fd, local, *remote);
  }
}

}  // namespace turnpike::runtime
