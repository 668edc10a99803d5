// The special-purpose address blocks the peer filter refuses by default
// (issue 13 "Hostile input", item 7), one row per block that changes a
// verdict. The rows follow the IANA IPv4 and IPv6 Special-Purpose Address
// Registries (RFC 6890, RFC 8190 and later entries): a block marked "not
// globally reachable" is denied; a globally reachable block nested inside a
// denied one is allowed again; the IPv6 forms that carry an IPv4 address
// are judged by that address. docs/security.md holds the same table, and
// tests/core/policy/special_ranges_test.cc checks that the two agree row
// for row.
#ifndef TURNPIKE_CORE_POLICY_SPECIAL_RANGES_H_
#define TURNPIKE_CORE_POLICY_SPECIAL_RANGES_H_

#include <cstdint>
#include <string_view>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "core/net/transport_address.h"
#include "core/policy/cidr.h"

namespace turnpike::core {

enum class RangeVerdict : uint8_t {
  kDenied,    // not globally reachable
  kAllowed,   // globally reachable inside a denied block
  kEmbedded,  // as the IPv4 address(es) it carries
};
std::string_view RangeVerdictName(RangeVerdict verdict);

struct SpecialRange {
  Cidr prefix;
  RangeVerdict verdict;
  std::string_view name;
};

// Every row, IPv4 first. The longest matching prefix decides.
absl::Span<const SpecialRange> SpecialRanges();

// The row that decides for `address` (the longest matching prefix), or
// nullptr when no row matches (an ordinary unicast address).
const SpecialRange* FindSpecialRange(const IpAddress& address);

// The IPv4 addresses an IPv6 address carries, in every embedding form:
// IPv4-mapped ::ffff:0:0/96 and IPv4-compatible ::/96 (RFC 4291 §2.5.5),
// IPv4-translated ::ffff:0:0:0/96 (RFC 2765 SIIT), NAT64 64:ff9b::/96
// (RFC 6052 §2.1) and local-use 64:ff9b:1::/48 (RFC 8215, RFC 6052 §2.2
// layout), 6to4 2002::/16 (RFC 3056 §2) and Teredo 2001::/32 (RFC 4380
// §4: the server's address, then the client's mapped address with every
// bit inverted). Empty for IPv4 and for every other IPv6 address.
absl::InlinedVector<IpAddress, 2> EmbeddedIpv4s(const IpAddress& address);

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_POLICY_SPECIAL_RANGES_H_
