// The socket calls the probe's connections share: resolve the server,
// connect with a deadline, wait for a descriptor with a deadline. Every
// failure says what was tried and what went wrong in an operator's words.
#ifndef TURNPIKE_CLI_PROBE_SOCKET_IO_H_
#define TURNPIKE_CLI_PROBE_SOCKET_IO_H_

#include <sys/socket.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/probe/connection.h"
#include "core/net/transport_address.h"

namespace turnpike::cli::probe {

// The server's first address for `host` (a name or an IP literal).
absl::StatusOr<TransportAddress> Resolve(const std::string& host,
                                         uint16_t port);

// An owned descriptor, closed on destruction.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket();
  Socket(Socket&& other) noexcept : fd_(other.Release()) {}
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  int fd() const { return fd_; }
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// A non-blocking socket of `type` (SOCK_DGRAM or SOCK_STREAM) connected to
// `server`; a stream connect waits until `deadline`.
absl::StatusOr<Socket> ConnectSocket(const TransportAddress& server, int type,
                                     Clock::time_point deadline);

// Waits until `fd` has one of `events` (POLLIN, POLLOUT) or `deadline`
// passes (DeadlineExceeded). EINTR is retried.
absl::Status WaitFor(int fd, short events, Clock::time_point deadline);

// "connection refused" etc., for errno `error`, prefixed by `what`.
absl::Status SocketError(const std::string& what, int error);

}  // namespace turnpike::cli::probe

#endif  // TURNPIKE_CLI_PROBE_SOCKET_IO_H_
