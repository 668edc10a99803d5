// IP addresses and transport addresses (IP + port) as plain values. The core
// never calls the socket API; the runtime converts to and from sockaddr.
#ifndef TURNPIKE_CORE_NET_TRANSPORT_ADDRESS_H_
#define TURNPIKE_CORE_NET_TRANSPORT_ADDRESS_H_

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace turnpike {

// Values match the STUN address family octet (RFC 8489 §14.1) so the codec
// can write them directly.
enum class AddressFamily : uint8_t { kIpv4 = 0x01, kIpv6 = 0x02 };

class IpAddress {
 public:
  // 0.0.0.0.
  constexpr IpAddress() = default;

  static constexpr IpAddress V4(std::array<uint8_t, 4> bytes) {
    IpAddress a;
    a.family_ = AddressFamily::kIpv4;
    for (int i = 0; i < 4; ++i) a.bytes_[i] = bytes[i];
    return a;
  }
  static constexpr IpAddress V4(uint32_t host_order) {
    return V4({static_cast<uint8_t>(host_order >> 24),
               static_cast<uint8_t>(host_order >> 16),
               static_cast<uint8_t>(host_order >> 8),
               static_cast<uint8_t>(host_order)});
  }
  static constexpr IpAddress V6(std::array<uint8_t, 16> bytes) {
    IpAddress a;
    a.family_ = AddressFamily::kIpv6;
    a.bytes_ = bytes;
    return a;
  }
  // Dotted quad or RFC 4291/5952 text; nullopt when it is neither.
  static std::optional<IpAddress> Parse(std::string_view text);

  AddressFamily family() const { return family_; }
  bool is_v4() const { return family_ == AddressFamily::kIpv4; }
  bool is_v6() const { return family_ == AddressFamily::kIpv6; }
  // 4 or 16.
  int size() const { return is_v4() ? 4 : 16; }
  // 0.0.0.0 or :: (the wildcard of a bind).
  bool IsUnspecified() const {
    for (uint8_t b : bytes_) {
      if (b != 0) return false;
    }
    return true;
  }
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2, what a
  // dual-stack socket reports for an IPv4 sender) as the IPv4 address it
  // carries; any other address unchanged.
  IpAddress Unmapped() const {
    if (is_v4()) return *this;
    for (int i = 0; i < 10; ++i) {
      if (bytes_[i] != 0) return *this;
    }
    if (bytes_[10] != 0xFF || bytes_[11] != 0xFF) return *this;
    return V4({bytes_[12], bytes_[13], bytes_[14], bytes_[15]});
  }
  // The first size() bytes are meaningful, network order; the rest are zero.
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  uint32_t v4_host_order() const {
    return uint32_t{bytes_[0]} << 24 | uint32_t{bytes_[1]} << 16 |
           uint32_t{bytes_[2]} << 8 | uint32_t{bytes_[3]};
  }

  // RFC 5952 canonical text for IPv6, dotted quad for IPv4.
  std::string ToString() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(std::move(h), a.family_, a.bytes_);
  }

 private:
  AddressFamily family_ = AddressFamily::kIpv4;
  std::array<uint8_t, 16> bytes_{};
};

struct TransportAddress {
  IpAddress ip;
  uint16_t port = 0;

  AddressFamily family() const { return ip.family(); }
  // "1.2.3.4:5" or "[::1]:5".
  std::string ToString() const;
  // Inverse of ToString(); nullopt on anything else.
  static std::optional<TransportAddress> Parse(std::string_view text);

  friend auto operator<=>(const TransportAddress&,
                          const TransportAddress&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const TransportAddress& a) {
    return H::combine(std::move(h), a.ip, a.port);
  }
};

}  // namespace turnpike

#endif  // TURNPIKE_CORE_NET_TRANSPORT_ADDRESS_H_
