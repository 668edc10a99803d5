// Which of the host's own addresses a relay should allocate on when the
// operator names none: per family, one address that peers elsewhere can
// reach. Picking is a pure function over the interface list so its rules are
// tested without the host's real interfaces.
#ifndef TURNPIKE_RUNTIME_HOST_ADDRESSES_H_
#define TURNPIKE_RUNTIME_HOST_ADDRESSES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/net/transport_address.h"

namespace turnpike::runtime {

struct InterfaceAddress {
  std::string interface_name;  // "eth0"
  IpAddress address;
};

struct HostRelayAddresses {
  std::optional<IpAddress> ipv4;
  std::optional<IpAddress> ipv6;
  // Set when the family's address is missing: why, naming each address that
  // was passed over, e.g. "no usable IPv6 interface address (skipped ::1 on
  // lo: loopback)". Meant for a log line.
  std::string ipv4_missing_reason;
  std::string ipv6_missing_reason;
};

// Per family, the first address in `addresses` that is not unspecified,
// loopback (127/8, ::1) or link-local (169.254/16 RFC 3927, fe80::/10
// RFC 4291 §2.5.6), preferring a global address over a private one
// (10/8, 172.16/12, 192.168/16 RFC 1918; 100.64/10 RFC 6598; fc00::/7
// RFC 4193). A private address is still picked when no global one exists,
// so a relay on a LAN-only host works on that LAN.
HostRelayAddresses PickRelayAddresses(
    absl::Span<const InterfaceAddress> addresses);

// The host's interface addresses from uv_interface_addresses(), in its
// order, without those it marks internal (loopback).
absl::StatusOr<std::vector<InterfaceAddress>> ListInterfaceAddresses();

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_HOST_ADDRESSES_H_
