// An IP prefix ("10.0.0.0/8", "fc00::/7") and the test of membership.
#ifndef TURNPIKE_CORE_POLICY_CIDR_H_
#define TURNPIKE_CORE_POLICY_CIDR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/net/transport_address.h"

namespace turnpike::core {

class Cidr {
 public:
  // "a.b.c.d/n", "v6/n", or a bare address (a /32 or /128). Host bits past
  // the prefix must be zero, so a typo such as "10.1.0.0/8" is refused
  // instead of silently meaning 10.0.0.0/8.
  static std::optional<Cidr> Parse(std::string_view text);
  // Same checks; nullopt when `prefix_length` exceeds the family's width or
  // host bits are set.
  static std::optional<Cidr> Make(const IpAddress& network, int prefix_length);

  const IpAddress& network() const { return network_; }
  int prefix_length() const { return prefix_length_; }
  // False for an address of the other family.
  bool Contains(const IpAddress& address) const;
  std::string ToString() const;

  friend bool operator==(const Cidr&, const Cidr&) = default;

 private:
  Cidr(const IpAddress& network, int prefix_length)
      : network_(network), prefix_length_(prefix_length) {}

  IpAddress network_;
  int prefix_length_ = 0;
};

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_POLICY_CIDR_H_
