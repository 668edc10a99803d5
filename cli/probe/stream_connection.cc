#include "cli/probe/stream_connection.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/stun/channel_data.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli::probe {
namespace {

// One read's worth: a TLS record's plaintext fits.
constexpr size_t kChunkSize = 16384;

class TcpConnection final : public StreamConnection {
 public:
  explicit TcpConnection(Socket socket) : socket_(std::move(socket)) {}

 protected:
  absl::Status WriteAll(absl::Span<const uint8_t> bytes,
                        Clock::time_point deadline) override {
    return WriteAllToSocket(socket_.fd(), bytes, deadline);
  }
  absl::StatusOr<size_t> ReadSome(absl::Span<uint8_t> into,
                                  Clock::time_point deadline) override {
    return ReadSomeFromSocket(socket_.fd(), into, deadline);
  }

 private:
  Socket socket_;
};

}  // namespace

StreamConnection::StreamConnection()
    // Any channel number the server may use is accepted here; the client
    // checks it is the one it bound.
    : framer_(stun::FramerLimits{stun::kMaxRfc5766ChannelNumber,
                                 kMaxServerMessage}),
      chunk_(kChunkSize) {}

absl::Status StreamConnection::Send(absl::Span<const uint8_t> message,
                                    Clock::time_point deadline) {
  if (!message.empty() && stun::LooksLikeChannelData(message[0])) {
    // RFC 8656 §12.5: over a stream, ChannelData is padded to 4 bytes.
    std::vector<uint8_t> padded(message.begin(), message.end());
    padded.resize(padded.size() +
                  stun::ChannelDataPadding(
                      message.size() - stun::kChannelDataHeaderSize, true));
    return WriteAll(padded, deadline);
  }
  return WriteAll(message, deadline);
}

absl::StatusOr<std::vector<uint8_t>> StreamConnection::Receive(
    Clock::time_point deadline) {
  for (;;) {
    auto next = framer_.Next(&unread_);
    if (!next.ok()) {
      return absl::DataLossError(absl::StrCat(
          "the server sent bytes that are not STUN or ChannelData (",
          ToAbsl(stun::FramingErrorName(next.error())), ")"));
    }
    if (next->has_value()) {
      const absl::Span<const uint8_t> frame = (*next)->bytes;
      return std::vector<uint8_t>(frame.begin(), frame.end());
    }
    absl::StatusOr<size_t> got = ReadSome(absl::MakeSpan(chunk_), deadline);
    if (!got.ok()) return got.status();
    if (*got == 0) {
      return absl::UnavailableError("the server closed the connection");
    }
    unread_ = absl::MakeConstSpan(chunk_.data(), *got);
  }
}

absl::Status WriteAllToSocket(int fd, absl::Span<const uint8_t> bytes,
                              Clock::time_point deadline) {
  while (!bytes.empty()) {
    const ssize_t sent = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (absl::Status s = WaitFor(fd, POLLOUT, deadline); !s.ok()) return s;
      continue;
    }
    return SocketError("cannot send", sent < 0 ? errno : EPIPE);
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> ReadSomeFromSocket(int fd, absl::Span<uint8_t> into,
                                          Clock::time_point deadline) {
  for (;;) {
    const ssize_t got = recv(fd, into.data(), into.size(), 0);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return SocketError("cannot read", errno);
    }
    if (absl::Status s = WaitFor(fd, POLLIN, deadline); !s.ok()) return s;
  }
}

absl::StatusOr<std::unique_ptr<Connection>> ConnectTcp(
    const TransportAddress& server, Clock::time_point deadline) {
  absl::StatusOr<Socket> socket = ConnectSocket(server, SOCK_STREAM, deadline);
  if (!socket.ok()) return socket.status();
  return std::make_unique<TcpConnection>(*std::move(socket));
}

}  // namespace turnpike::cli::probe
