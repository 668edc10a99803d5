#include "runtime/transport/udp_socket.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/clock.h"
#include "runtime/log.h"
#include "runtime/socket_address.h"

namespace turnpike::runtime {
namespace {

// Classifies a failed socket()/bind() so the caller can tell "this host has
// no such address" (which the default [::] listener tolerates) from real
// conflicts, and tells the operator what to change.
absl::Status SocketError(int err, const TransportAddress& address,
                         const char* step) {
  std::string message =
      absl::StrCat("udp ", address.ToString(), ": ", step,
                   " failed: ", uv_strerror(err), " (", uv_err_name(err), ")");
  switch (err) {
    case UV_EAFNOSUPPORT:
    case UV_EPROTONOSUPPORT:
    case UV_EADDRNOTAVAIL:
      return absl::UnavailableError(absl::StrCat(
          message,
          "; the host cannot use this address: listen on an address "
          "configured on one of its interfaces, or enable IPv6"));
    case UV_EADDRINUSE:
      return absl::AlreadyExistsError(absl::StrCat(
          message,
          "; another socket holds this address and port: stop that process "
          "or listen on another port"));
    case UV_EACCES:
    case UV_EPERM:
      return absl::PermissionDeniedError(absl::StrCat(
          message,
          "; ports below 1024 need CAP_NET_BIND_SERVICE: grant it or use a "
          "higher port"));
    default:
      return absl::InternalError(message);
  }
}

uv_handle_t* AsHandle(uv_udp_t* udp) {
  return reinterpret_cast<uv_handle_t*>(udp);
}

}  // namespace

UdpSocket::UdpSocket(core::SocketRef id, ReceiveSlab* slab, MessageSink* sink,
                     RuntimeStats* stats)
    : id_(id), slab_(slab), sink_(sink), stats_(stats) {}

UdpSocket::~UdpSocket() { Close(); }

absl::StatusOr<std::unique_ptr<UdpSocket>> UdpSocket::Bind(
    uv_loop_t* loop, core::SocketRef id, const TransportAddress& address,
    const UdpSocketOptions& options, ReceiveSlab* slab, MessageSink* sink,
    RuntimeStats* stats) {
  std::unique_ptr<UdpSocket> listener(new UdpSocket(id, slab, sink, stats));
  absl::Status status = listener->Open(loop, address, options);
  if (!status.ok()) return status;  // the destructor closes the handle
  return listener;
}

absl::Status UdpSocket::Open(uv_loop_t* loop, const TransportAddress& address,
                             const UdpSocketOptions& options) {
  local_address_ = address;
  auto* handle = new uv_udp_t;
  // The family makes libuv create the socket now, so options can be set
  // before bind; RECVMMSG opts into batched receives (libuv ≥ 1.40).
  const unsigned domain = address.ip.is_v4() ? AF_INET : AF_INET6;
  int err = uv_udp_init_ex(loop, handle, domain | UV_UDP_RECVMMSG);
  if (err != 0) {
    delete handle;  // never registered with the loop
    return SocketError(err, address, "socket");
  }
  handle->data = this;
  handle_ = handle;

  ApplyBufferSizes(options);
  if (options.reuse_port) {
    // libuv 1.44's UV_UDP_REUSEADDR sets SO_REUSEADDR, which on Linux
    // hands every datagram to the last socket bound, not SO_REUSEPORT:
    // set it on the socket libuv made for the family, before the bind.
    uv_os_fd_t fd;
    err = uv_fileno(AsHandle(handle_), &fd);
    const int one = 1;
    if (err == 0 &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
      err = -errno;
    }
    if (err != 0) return SocketError(err, address, "SO_REUSEPORT");
  }

  sockaddr_storage storage;
  ToSockaddr(address, &storage);
  // IPV6_V6ONLY keeps [::] from also taking IPv4 traffic as v4-mapped
  // addresses, which would give one client two different 5-tuples.
  const unsigned bind_flags = address.ip.is_v6() ? UV_UDP_IPV6ONLY : 0;
  err = uv_udp_bind(handle_, reinterpret_cast<const sockaddr*>(&storage),
                    bind_flags);
  if (err != 0) return SocketError(err, address, "bind");

  int length = sizeof(storage);
  err = uv_udp_getsockname(handle_, reinterpret_cast<sockaddr*>(&storage),
                           &length);
  if (err != 0) return SocketError(err, address, "getsockname");
  std::optional<TransportAddress> bound =
      FromSockaddr(reinterpret_cast<const sockaddr*>(&storage));
  if (bound) local_address_ = *bound;

  err = uv_udp_recv_start(handle_, &UdpSocket::OnAlloc, &UdpSocket::OnReceive);
  if (err != 0) return SocketError(err, address, "receive");
  return absl::OkStatus();
}

void UdpSocket::ApplyBufferSizes(const UdpSocketOptions& options) {
  // The cap is the same for every socket: saying it once per process is
  // enough, and relay sockets would otherwise repeat it per allocation.
  static std::atomic<bool> receive_cap_logged{false};
  static std::atomic<bool> send_cap_logged{false};
  struct Setting {
    std::optional<int> requested;
    int (*apply)(uv_handle_t*, int*);
    const char* name;
    const char* sysctl;
    std::atomic<bool>* cap_logged;
  };
  const Setting settings[] = {
      {options.receive_buffer_bytes, &uv_recv_buffer_size, "receive buffer",
       "net.core.rmem_max", &receive_cap_logged},
      {options.send_buffer_bytes, &uv_send_buffer_size, "send buffer",
       "net.core.wmem_max", &send_cap_logged},
  };
  for (const Setting& setting : settings) {
    if (!setting.requested) continue;
    int value = *setting.requested;
    int err = setting.apply(AsHandle(handle_), &value);
    if (err != 0) {
      LogWarning(absl::StrCat("udp ", local_address_.ToString(), ": setting ",
                              setting.name, " to ", *setting.requested,
                              " bytes failed: ", uv_strerror(err)));
      continue;
    }
    int granted = 0;  // 0 means "read the current value"
    if (setting.apply(AsHandle(handle_), &granted) != 0) continue;
    // socket(7): Linux doubles the request for its own bookkeeping and
    // reports the doubled value, after capping the request at the sysctl.
    if (granted / 2 < *setting.requested &&
        !setting.cap_logged->exchange(true)) {
      LogWarning(absl::StrCat("udp ", local_address_.ToString(), ": ",
                              setting.name, " of ", *setting.requested,
                              " bytes capped by the kernel at ", granted / 2,
                              "; raise ", setting.sysctl, " to allow more"));
    }
  }
}

std::pair<int, int> UdpSocket::buffer_bytes() const {
  if (handle_ == nullptr) return {0, 0};
  int receive = 0;  // 0 means "read the current value"
  int send = 0;
  uv_recv_buffer_size(AsHandle(handle_), &receive);
  uv_send_buffer_size(AsHandle(handle_), &send);
  return {receive / 2, send / 2};
}

absl::Status UdpSocket::SetDontFragment() {
  if (handle_ == nullptr) return absl::FailedPreconditionError("closed");
  uv_os_fd_t fd;
  if (int err = uv_fileno(AsHandle(handle_), &fd); err != 0) {
    return absl::InternalError(uv_strerror(err));
  }
  int rc = 0;
  if (local_address_.ip.is_v4()) {
    const int value = IP_PMTUDISC_DO;
    rc = setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &value, sizeof(value));
  } else {
    const int value = 1;
    rc = setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &value, sizeof(value));
  }
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("udp ", local_address_.ToString(),
                     ": setting DF failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

SendResult UdpSocket::Send(const TransportAddress& to,
                           const OutboundMessage& message) {
  if (handle_ == nullptr) {
    return {SendResult::Outcome::kFailed, 0, UV_EBADF};
  }
  sockaddr_storage storage;
  ToSockaddr(to, &storage);
  const GatheredMessage gathered = Gather(message);
  const int sent = uv_udp_try_send(handle_, gathered.parts.data(),
                                   static_cast<unsigned int>(gathered.count),
                                   reinterpret_cast<const sockaddr*>(&storage));
  if (sent >= 0) {
    return {SendResult::Outcome::kSent, static_cast<size_t>(sent), 0};
  }
  if (sent == UV_EAGAIN) return {SendResult::Outcome::kWouldBlock, 0, sent};
  return {SendResult::Outcome::kFailed, 0, sent};
}

void UdpSocket::Close() {
  if (handle_ == nullptr) return;
  // A close from inside a batch (the sink closing this listener) ends the
  // loan now; libuv's remaining callbacks for the batch find data == nullptr.
  ReturnSlab();
  handle_->data = nullptr;
  uv_close(AsHandle(handle_), [](uv_handle_t* handle) {
    delete reinterpret_cast<uv_udp_t*>(handle);
  });
  handle_ = nullptr;
}

void UdpSocket::ReturnSlab() {
  if (!holds_slab_) return;
  holds_slab_ = false;
  slab_->Return();
}

void UdpSocket::OnAlloc(uv_handle_t* handle, size_t /*suggested*/,
                        uv_buf_t* buf) {
  auto* self = static_cast<UdpSocket*>(handle->data);
  if (self == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  // libuv calls this once before every recvmmsg(2): a batch starts here.
  *buf = self->slab_->Lend();
  self->holds_slab_ = buf->base != nullptr;
  self->batch_stamped_ = false;
}

void UdpSocket::OnReceive(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf,
                          const sockaddr* addr, unsigned flags) {
  auto* self = static_cast<UdpSocket*>(handle->data);
  if (self == nullptr) return;  // closed mid-batch
  self->HandleReceive(nread, buf, addr, flags);
}

void UdpSocket::HandleReceive(ssize_t nread, const uv_buf_t* buf,
                              const sockaddr* addr, unsigned flags) {
  // libuv's cases (uv.h, libuv 1.44): nread < 0 is an error (UV_ENOBUFS when
  // the alloc callback gave no memory); nread == 0 with addr == nullptr is
  // "nothing more to read" or, with UV_UDP_MMSG_FREE, the end of a batch;
  // addr != nullptr is one datagram, possibly empty, flagged
  // UV_UDP_MMSG_CHUNK when it is one of a recvmmsg batch.
  if (nread < 0) {
    if (nread == UV_ENOBUFS) {
      ++stats_->receive_no_buffer;
    } else {
      ++stats_->receive_errors;
    }
  } else if (addr != nullptr) {
    if ((flags & UV_UDP_PARTIAL) != 0) {
      // Cut at 64 KiB: what is left is not the datagram that was sent.
      ++stats_->datagrams_truncated;
    } else if (std::optional<TransportAddress> from = FromSockaddr(addr)) {
      ++stats_->datagrams_received;
      stats_->bytes_received += static_cast<uint64_t>(nread);
      // Stamped at the batch's first datagram rather than in OnAlloc, which
      // libuv also calls for the final read that finds the socket empty.
      if (!batch_stamped_) {
        batch_now_ = StampNow();
        batch_stamped_ = true;
      }
      sink_->OnMessage(
          batch_now_, *this, *from,
          absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(buf->base),
                              static_cast<size_t>(nread)));
    }
  }
  // Only chunk callbacks leave the slab lent: every other callback ends the
  // loan (the MMSG_FREE one after a batch, the empty or failed read, and each
  // datagram when the kernel lacks recvmmsg and libuv reads one at a time).
  if ((flags & UV_UDP_MMSG_CHUNK) == 0) ReturnSlab();
}

}  // namespace turnpike::runtime
