#include "tests/runtime/udp_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>
#include <utility>

namespace turnpike::testing {
namespace {

// Fills `out` for `ip`:`port`; false when `ip` is not an address.
bool MakeSockaddr(const std::string& ip, uint16_t port, sockaddr_storage* out,
                  socklen_t* length) {
  std::memset(out, 0, sizeof(*out));
  auto* sin = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, ip.c_str(), &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    *length = sizeof(sockaddr_in);
    return true;
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET6, ip.c_str(), &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    *length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

}  // namespace

std::optional<UdpSocket> UdpSocket::Bind(const std::string& ip, uint16_t port) {
  sockaddr_storage address;
  socklen_t length = 0;
  if (!MakeSockaddr(ip, port, &address, &length)) return std::nullopt;
  const int fd = socket(address.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return std::nullopt;
  }
  const uint16_t bound =
      address.ss_family == AF_INET
          ? ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port)
          : ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  return UdpSocket(fd, ip, bound);
}

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      ip_(std::move(other.ip_)),
      port_(other.port_) {}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) close(fd_);
}

bool UdpSocket::SendTo(const std::string& ip, uint16_t port,
                       const std::vector<uint8_t>& bytes) {
  sockaddr_storage address;
  socklen_t length = 0;
  if (!MakeSockaddr(ip, port, &address, &length)) return false;
  const ssize_t sent = sendto(fd_, bytes.data(), bytes.size(), 0,
                              reinterpret_cast<sockaddr*>(&address), length);
  return sent == static_cast<ssize_t>(bytes.size());
}

std::optional<std::vector<uint8_t>> UdpSocket::Receive(
    std::chrono::milliseconds timeout) {
  pollfd pfd{fd_, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) {
    return std::nullopt;
  }
  std::vector<uint8_t> buffer(65536);
  const ssize_t n = recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
  if (n < 0) return std::nullopt;
  buffer.resize(static_cast<size_t>(n));
  return buffer;
}

std::optional<Datagram> UdpSocket::ReceiveFrom(
    std::chrono::milliseconds timeout) {
  pollfd pfd{fd_, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) {
    return std::nullopt;
  }
  Datagram datagram;
  datagram.bytes.resize(65536);
  sockaddr_storage from;
  socklen_t from_length = sizeof(from);
  const ssize_t n =
      recvfrom(fd_, datagram.bytes.data(), datagram.bytes.size(), MSG_DONTWAIT,
               reinterpret_cast<sockaddr*>(&from), &from_length);
  if (n < 0) return std::nullopt;
  datagram.bytes.resize(static_cast<size_t>(n));
  char text[INET6_ADDRSTRLEN] = {};
  if (from.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&from);
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
    datagram.source_port = ntohs(sin->sin_port);
  } else {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&from);
    inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
    datagram.source_port = ntohs(sin6->sin6_port);
  }
  datagram.source_ip = text;
  return datagram;
}

std::optional<uint16_t> PickFreeUdpPort(const std::string& ip) {
  std::optional<UdpSocket> probe = UdpSocket::Bind(ip);
  if (!probe) return std::nullopt;
  return probe->local_port();
}

}  // namespace turnpike::testing

namespace turnpike::testing {
namespace {

// The highest port of the kernel's ephemeral range; 60999 (Linux's
// default) when it cannot be read.
int EphemeralRangeTop() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  int high = 0;
  if (range >> low >> high && high > 0 && high <= 65535) return high;
  return 60999;
}

}  // namespace

std::optional<uint16_t> FindFreePortRange(const std::string& ip, int count) {
  if (count < 1) return std::nullopt;
  int lowest = EphemeralRangeTop() + 1;
  const int highest_first = 65535 - count + 1;
  if (lowest > highest_first) lowest = 1024;  // no room above: any port
  if (lowest > highest_first) return std::nullopt;
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> first_port(lowest, highest_first);
  constexpr int kTries = 50;
  for (int attempt = 0; attempt < kTries; ++attempt) {
    const int first = first_port(random);
    std::vector<UdpSocket> held;  // all at once: each is really free
    for (int port = first; port < first + count; ++port) {
      std::optional<UdpSocket> socket =
          UdpSocket::Bind(ip, static_cast<uint16_t>(port));
      if (!socket) break;
      held.push_back(std::move(*socket));
    }
    if (static_cast<int>(held.size()) == count) {
      return static_cast<uint16_t>(first);
    }
  }
  return std::nullopt;
}

}  // namespace turnpike::testing
