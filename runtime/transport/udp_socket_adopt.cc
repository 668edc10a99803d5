// UdpSocket taking over a descriptor that another worker's loop bound
// (runtime/shared_reservation_registry.h): EVEN-PORT's reserved port+1.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/socket_address.h"
#include "runtime/transport/udp_socket.h"

namespace turnpike::runtime {

absl::StatusOr<std::unique_ptr<UdpSocket>> UdpSocket::Adopt(
    uv_loop_t* loop, core::SocketRef id, int fd,
    const UdpSocketOptions& options, ReceiveSlab* slab, MessageSink* sink,
    RuntimeStats* stats) {
  std::unique_ptr<UdpSocket> socket(new UdpSocket(id, slab, sink, stats));
  absl::Status status = socket->OpenDescriptor(loop, fd, options);
  if (!status.ok()) return status;  // the destructor closes the handle
  return socket;
}

absl::Status UdpSocket::OpenDescriptor(uv_loop_t* loop, int fd,
                                       const UdpSocketOptions& options) {
  auto fail = [&](int err, const char* step) {
    return absl::InternalError(absl::StrCat("udp descriptor ", fd, ": ", step,
                                            " failed: ", uv_strerror(err)));
  };
  sockaddr_storage storage;
  socklen_t length = sizeof(storage);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    const int err = -errno;
    ::close(fd);
    return fail(err, "getsockname");
  }
  if (std::optional<TransportAddress> bound =
          FromSockaddr(reinterpret_cast<const sockaddr*>(&storage))) {
    local_address_ = *bound;
  }
  auto* handle = new uv_udp_t;
  // AF_UNSPEC: libuv makes no socket of its own; RECVMMSG as in Open.
  int err = uv_udp_init_ex(loop, handle, AF_UNSPEC | UV_UDP_RECVMMSG);
  if (err != 0) {
    delete handle;  // never registered with the loop
    ::close(fd);
    return fail(err, "socket");
  }
  handle->data = this;
  handle_ = handle;
  err = uv_udp_open(handle_, fd);
  if (err != 0) {
    ::close(fd);  // not the handle's: uv_close leaves it alone
    return fail(err, "open");
  }
  // uv_udp_open sets SO_REUSEADDR, which no relay socket of Bind has: off
  // again, so no other socket can bind this port beside it.
  const int off = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &off, sizeof(off));
  ApplyBufferSizes(options);
  if (options.send_batch != nullptr) {
    fd_ = fd;
    send_batch_ = options.send_batch;
  }
  err = uv_udp_recv_start(handle_, &UdpSocket::OnAlloc, &UdpSocket::OnReceive);
  if (err != 0) return fail(err, "receive");
  return absl::OkStatus();
}

int UdpSocket::DuplicateDescriptor() const {
  if (handle_ == nullptr) {
    errno = EBADF;
    return -1;
  }
  uv_os_fd_t fd;
  if (int err = uv_fileno(reinterpret_cast<const uv_handle_t*>(handle_), &fd);
      err != 0) {
    errno = -err;
    return -1;
  }
  return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

}  // namespace turnpike::runtime
