#include "tests/runtime/tcp_stream.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace turnpike::testing {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(left.count(), 0));
}

socklen_t ToSockaddr(const TransportAddress& address, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  if (address.ip.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(out);
    in->sin_family = AF_INET;
    in->sin_port = htons(address.port);
    std::memcpy(&in->sin_addr, address.ip.bytes().data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(out);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(address.port);
  std::memcpy(&in6->sin6_addr, address.ip.bytes().data(), 16);
  return sizeof(sockaddr_in6);
}

}  // namespace

std::optional<TcpStream> TcpStream::Connect(const std::string& local_ip,
                                            const TransportAddress& server,
                                            std::optional<int> receive_buffer,
                                            std::chrono::milliseconds timeout) {
  std::optional<IpAddress> local = IpAddress::Parse(local_ip);
  if (!local) return std::nullopt;
  const int fd = ::socket(local->is_v4() ? AF_INET : AF_INET6,
                          SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  if (receive_buffer) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &*receive_buffer,
                 sizeof(*receive_buffer));
  }
  sockaddr_storage storage;
  socklen_t length = ToSockaddr(TransportAddress{*local, 0}, &storage);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  length = ToSockaddr(server, &storage);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 &&
      errno != EINPROGRESS) {
    ::close(fd);
    return std::nullopt;
  }
  pollfd p{fd, POLLOUT, 0};
  int error = 0;
  socklen_t error_length = sizeof(error);
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1 ||
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length) != 0 ||
      error != 0) {
    ::close(fd);
    return std::nullopt;
  }
  sockaddr_storage bound;
  socklen_t bound_length = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
  const uint16_t port =
      ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);  // same offset
  return TcpStream(fd, TransportAddress{*local, port});
}

TcpStream::TcpStream(TcpStream&& other) noexcept
    : fd_(other.fd_),
      local_(other.local_),
      buffered_(std::move(other.buffered_)),
      closed_(other.closed_),
      framing_error_(other.framing_error_) {
  other.fd_ = -1;
}

TcpStream::~TcpStream() {
  if (fd_ >= 0) ::close(fd_);
}

bool TcpStream::Send(const std::vector<uint8_t>& bytes,
                     std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return false;
    }
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, RemainingMs(deadline)) != 1) return false;
  }
  return true;
}

bool TcpStream::Fill(size_t bytes, Clock::time_point deadline) {
  while (buffered_.size() < bytes) {
    if (closed_) return false;
    uint8_t chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buffered_.insert(buffered_.end(), chunk, chunk + n);
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      closed_ = true;  // EOF or reset
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, RemainingMs(deadline)) != 1) return false;
  }
  return true;
}

std::optional<std::vector<uint8_t>> TcpStream::ReceiveMessage(
    std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  if (framing_error_ || !Fill(4, deadline)) return std::nullopt;
  const uint8_t first = buffered_[0];
  const size_t length = size_t{buffered_[2]} << 8 | buffered_[3];
  size_t whole = 0;
  size_t keep = 0;
  if ((first & 0xC0) == 0) {
    // RFC 8489 §5: a 20-byte header and a length that is a multiple of 4.
    if (length % 4 != 0) {
      framing_error_ = true;
      return std::nullopt;
    }
    whole = keep = 20 + length;
  } else if ((first & 0xC0) == 0x40) {
    // RFC 8656 §12.5: over TCP, ChannelData is padded to a multiple of 4.
    keep = 4 + length;
    whole = (keep + 3) / 4 * 4;
  } else {
    framing_error_ = true;
    return std::nullopt;
  }
  if (!Fill(whole, deadline)) return std::nullopt;
  for (size_t i = keep; i < whole; ++i) {
    if (buffered_[i] != 0) {
      framing_error_ = true;
      return std::nullopt;
    }
  }
  std::vector<uint8_t> message(buffered_.begin(), buffered_.begin() + keep);
  buffered_.erase(buffered_.begin(), buffered_.begin() + whole);
  return message;
}

std::optional<std::vector<uint8_t>> TcpStream::ReceiveRaw(
    size_t bytes, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!Fill(bytes, deadline)) return std::nullopt;
  std::vector<uint8_t> raw(buffered_.begin(), buffered_.begin() + bytes);
  buffered_.erase(buffered_.begin(), buffered_.begin() + bytes);
  return raw;
}

bool TcpStream::WaitClosed(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (!closed_) {
    buffered_.clear();
    if (!Fill(1, deadline) && !closed_) return false;
  }
  return true;
}

}  // namespace turnpike::testing
