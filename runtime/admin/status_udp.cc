#include "runtime/admin/status_udp.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/admin/loopback.h"
#include "runtime/socket_address.h"

namespace turnpike::runtime::admin {

absl::StatusOr<std::unique_ptr<StatusUdp>> StatusUdp::Start(
    const TransportAddress& address, Reply reply) {
  if (!IsLoopback(address.ip)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "status-udp ", address.ToString(),
        " is not a loopback address: the UDP status answers only this host "
        "(use 127.0.0.1:PORT, or the admin endpoint with a token from "
        "elsewhere)"));
  }
  std::unique_ptr<StatusUdp> server(new StatusUdp());
  server->reply_ = std::move(reply);
  sockaddr_storage storage{};
  const socklen_t length = ToSockaddr(address, &storage);
  server->socket_ = socket(storage.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (server->socket_ < 0 ||
      bind(server->socket_, reinterpret_cast<sockaddr*>(&storage), length) !=
          0) {
    return absl::UnavailableError(
        absl::StrCat("status-udp ", address.ToString(), ": cannot bind (",
                     std::strerror(errno), "); pick a free port"));
  }
  socklen_t bound_length = sizeof(storage);
  getsockname(server->socket_, reinterpret_cast<sockaddr*>(&storage),
              &bound_length);
  server->address_ =
      FromSockaddr(reinterpret_cast<sockaddr*>(&storage)).value_or(address);
  server->stop_fd_ = eventfd(0, EFD_CLOEXEC);
  if (server->stop_fd_ < 0) {
    return absl::InternalError(
        absl::StrCat("status-udp: eventfd failed: ", std::strerror(errno)));
  }
  server->thread_ = std::thread([self = server.get()] { self->Serve(); });
  return server;
}

StatusUdp::~StatusUdp() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof(one));
    thread_.join();
  }
  if (socket_ >= 0) close(socket_);
  if (stop_fd_ >= 0) close(stop_fd_);
}

void StatusUdp::Serve() {
  std::array<char, 512> keyword;
  while (true) {
    pollfd fds[2] = {{socket_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    sockaddr_storage from{};
    socklen_t from_length = sizeof(from);
    const ssize_t n =
        recvfrom(socket_, keyword.data(), keyword.size(), MSG_DONTWAIT,
                 reinterpret_cast<sockaddr*>(&from), &from_length);
    if (n < 0) continue;
    const std::optional<TransportAddress> source =
        FromSockaddr(reinterpret_cast<sockaddr*>(&from));
    if (!source || !IsLoopback(source->ip)) {
      ++refused_;
      continue;
    }
    std::string text = reply_(std::string_view(keyword.data(), n));
    if (text.size() > kMaxUdpStatusReply) text.resize(kMaxUdpStatusReply);
    sendto(socket_, text.data(), text.size(), MSG_DONTWAIT,
           reinterpret_cast<sockaddr*>(&from), from_length);
  }
}

}  // namespace turnpike::runtime::admin
