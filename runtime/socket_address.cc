#include "runtime/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstring>

namespace turnpike::runtime {

socklen_t ToSockaddr(const TransportAddress& address, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  const std::array<uint8_t, 16>& bytes = address.ip.bytes();
  if (address.ip.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(address.port);
    std::memcpy(&sin->sin_addr, bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(address.port);
  std::memcpy(&sin6->sin6_addr, bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

std::optional<TransportAddress> FromSockaddr(const sockaddr* addr) {
  if (addr == nullptr) return std::nullopt;
  if (addr->sa_family == AF_INET) {
    sockaddr_in sin;
    std::memcpy(&sin, addr, sizeof(sin));
    std::array<uint8_t, 4> bytes;
    std::memcpy(bytes.data(), &sin.sin_addr, 4);
    return TransportAddress{IpAddress::V4(bytes), ntohs(sin.sin_port)};
  }
  if (addr->sa_family == AF_INET6) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, addr, sizeof(sin6));
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), &sin6.sin6_addr, 16);
    return TransportAddress{IpAddress::V6(bytes), ntohs(sin6.sin6_port)};
  }
  return std::nullopt;
}

}  // namespace turnpike::runtime
