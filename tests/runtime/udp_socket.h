// A plain POSIX UDP socket bound to a loopback address, for talking to the
// real binary from tests. Every receive is bounded by a timeout.
#ifndef TURNPIKE_TESTS_RUNTIME_UDP_SOCKET_H_
#define TURNPIKE_TESTS_RUNTIME_UDP_SOCKET_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace turnpike::testing {

// One received datagram and who sent it.
struct Datagram {
  std::vector<uint8_t> bytes;
  std::string source_ip;  // inet_ntop text
  uint16_t source_port = 0;
};

class UdpSocket {
 public:
  // A socket bound to `ip`:`port` (IPv4 dotted quad or bare IPv6 text; port
  // 0 lets the kernel choose), or nullopt when the host cannot bind it (no
  // such address, or the port is taken).
  static std::optional<UdpSocket> Bind(const std::string& ip,
                                       uint16_t port = 0);
  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&&) = delete;
  UdpSocket(const UdpSocket&) = delete;
  ~UdpSocket();

  const std::string& local_ip() const { return ip_; }
  uint16_t local_port() const { return port_; }

  bool SendTo(const std::string& ip, uint16_t port,
              const std::vector<uint8_t>& bytes);
  // The next datagram, or nullopt when none arrives within `timeout`.
  std::optional<std::vector<uint8_t>> Receive(
      std::chrono::milliseconds timeout);
  // Like Receive(), with the sender's address: an echo peer must answer the
  // relayed address it heard from, and a test checks who that was.
  std::optional<Datagram> ReceiveFrom(std::chrono::milliseconds timeout);

 private:
  UdpSocket(int fd, std::string ip, uint16_t port)
      : fd_(fd), ip_(std::move(ip)), port_(port) {}

  int fd_;
  std::string ip_;
  uint16_t port_;
};

// A UDP port on `ip` that was free a moment ago (bound with port 0, then
// released). Another process may take it before the caller does; callers
// retry with a new port when the server fails to start.
std::optional<uint16_t> PickFreeUdpPort(const std::string& ip);

// The first of `count` consecutive UDP ports on `ip`, all free a moment ago
// and above the kernel's ephemeral range (net.ipv4.ip_local_port_range), so
// no port-0 bind on the host can take one of them; only a program binding
// explicit ports can. For servers given a relay port range of their own.
std::optional<uint16_t> FindFreePortRange(const std::string& ip, int count);

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_RUNTIME_UDP_SOCKET_H_
