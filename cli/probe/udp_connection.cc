#include "cli/probe/udp_connection.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "cli/probe/socket_io.h"

namespace turnpike::cli::probe {
namespace {

class UdpConnection final : public Connection {
 public:
  UdpConnection(Socket socket, const TransportAddress& server)
      : socket_(std::move(socket)),
        where_(absl::StrCat("udp ", server.ToString())),
        buffer_(kMaxServerMessage) {}

  absl::Status Send(absl::Span<const uint8_t> message,
                    Clock::time_point deadline) override {
    for (;;) {
      const ssize_t sent =
          send(socket_.fd(), message.data(), message.size(), MSG_NOSIGNAL);
      if (sent == static_cast<ssize_t>(message.size())) return absl::OkStatus();
      if (sent < 0 && errno == EINTR) continue;
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (absl::Status s = WaitFor(socket_.fd(), POLLOUT, deadline);
            !s.ok()) {
          return s;
        }
        continue;
      }
      return SocketError(absl::StrCat("cannot send to ", where_),
                         sent < 0 ? errno : EMSGSIZE);
    }
  }

  absl::StatusOr<std::vector<uint8_t>> Receive(
      Clock::time_point deadline) override {
    for (;;) {
      const ssize_t got =
          recv(socket_.fd(), buffer_.data(), buffer_.size(), MSG_TRUNC);
      if (got >= 0) {
        // Longer than any STUN message: not an answer (untrusted: from the
        // server), so it is dropped.
        if (static_cast<size_t>(got) > buffer_.size()) continue;
        return std::vector<uint8_t>(buffer_.begin(), buffer_.begin() + got);
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        return SocketError(absl::StrCat("no answer from ", where_), errno);
      }
      if (absl::Status s = WaitFor(socket_.fd(), POLLIN, deadline); !s.ok()) {
        return s;
      }
    }
  }

  bool reliable() const override { return false; }

 private:
  Socket socket_;
  std::string where_;
  std::vector<uint8_t> buffer_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> ConnectUdp(
    const TransportAddress& server) {
  absl::StatusOr<Socket> socket =
      ConnectSocket(server, SOCK_DGRAM, Clock::now());
  if (!socket.ok()) return socket.status();
  return std::make_unique<UdpConnection>(*std::move(socket), server);
}

}  // namespace turnpike::cli::probe
