#include "cli/probe/socket_io.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/socket_address.h"

namespace turnpike::cli::probe {

Socket::~Socket() {
  if (fd_ >= 0) close(fd_);
}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.Release();
  }
  return *this;
}

absl::StatusOr<TransportAddress> Resolve(const std::string& host,
                                         uint16_t port) {
  if (std::optional<IpAddress> ip = IpAddress::Parse(host)) {
    return TransportAddress{*ip, port};
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;  // one entry per address, not per type
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0) {
    return absl::NotFoundError(
        absl::StrCat("cannot resolve ", host, ": ", gai_strerror(rc)));
  }
  std::optional<TransportAddress> address;
  for (const addrinfo* entry = found; entry != nullptr && !address;
       entry = entry->ai_next) {
    address = runtime::FromSockaddr(entry->ai_addr);
  }
  freeaddrinfo(found);
  if (!address) {
    return absl::NotFoundError(
        absl::StrCat(host, " has no IPv4 or IPv6 address"));
  }
  address->port = port;
  return *address;
}

absl::Status SocketError(const std::string& what, int error) {
  const std::string message = absl::StrCat(what, ": ", std::strerror(error));
  switch (error) {
    case ECONNREFUSED:
      return absl::UnavailableError(
          absl::StrCat(message, " (nothing listens there)"));
    case ETIMEDOUT:
      return absl::DeadlineExceededError(message);
    default:
      return absl::UnavailableError(message);
  }
}

absl::Status WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(
        deadline - Clock::now());
    if (left.count() <= 0) return absl::DeadlineExceededError("timed out");
    pollfd entry{fd, events, 0};
    const int rc = poll(&entry, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return SocketError("poll", errno);
    if (rc > 0) return absl::OkStatus();
  }
}

absl::StatusOr<Socket> ConnectSocket(const TransportAddress& server, int type,
                                     Clock::time_point deadline) {
  const std::string where = absl::StrCat(
      type == SOCK_STREAM ? "tcp" : "udp", " ", server.ToString());
  sockaddr_storage address{};
  const socklen_t length = runtime::ToSockaddr(server, &address);
  Socket socket(::socket(address.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
                         0));
  if (socket.fd() < 0) return SocketError("socket", errno);
  if (type == SOCK_STREAM) {
    // Each message is written whole: Nagle would only delay it, and the
    // round-trip times the probe prints would measure the delay.
    const int on = 1;
    setsockopt(socket.fd(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  }
  if (connect(socket.fd(), reinterpret_cast<const sockaddr*>(&address),
              length) == 0) {
    return socket;
  }
  if (errno != EINPROGRESS) {
    return SocketError(absl::StrCat("cannot connect to ", where), errno);
  }
  if (absl::Status s = WaitFor(socket.fd(), POLLOUT, deadline); !s.ok()) {
    return absl::DeadlineExceededError(
        absl::StrCat("no TCP connection to ", where, " before the timeout"));
  }
  int error = 0;
  socklen_t error_length = sizeof(error);
  getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &error_length);
  if (error != 0) {
    return SocketError(absl::StrCat("cannot connect to ", where), error);
  }
  return socket;
}

}  // namespace turnpike::cli::probe
