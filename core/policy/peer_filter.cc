#include "core/policy/peer_filter.h"

#include <utility>

namespace turnpike::core {
namespace {

std::vector<Cidr> MakeDefaultDenied() {
  // IANA special-purpose registries (RFC 6890 and successors).
  static constexpr std::string_view kRanges[] = {
      "0.0.0.0/8",       // "this network"
      "10.0.0.0/8",      // RFC 1918
      "100.64.0.0/10",   // RFC 6598 shared address space (CGNAT)
      "127.0.0.0/8",     // loopback
      "169.254.0.0/16",  // link-local, incl. 169.254.169.254 metadata
      "172.16.0.0/12",   // RFC 1918
      "192.0.0.0/24",    // IETF protocol assignments
      "192.168.0.0/16",  // RFC 1918
      "198.18.0.0/15",   // RFC 2544 benchmarking
      "224.0.0.0/4",     // multicast
      "240.0.0.0/4",     // reserved, incl. 255.255.255.255 broadcast
      "::/128",          // unspecified
      "::1/128",         // loopback
      "100::/64",        // RFC 6666 discard-only
      "64:ff9b:1::/48",  // RFC 8215 local-use NAT64
      "fc00::/7",        // unique local (incl. fd00:ec2::254 metadata)
      "fec0::/10",       // deprecated site-local
      "fe80::/10",       // link-local
      "ff00::/8",        // multicast
  };
  std::vector<Cidr> out;
  for (std::string_view r : kRanges) out.push_back(*Cidr::Parse(r));
  return out;
}

// The longest prefix among `rules` that contains `address`, or -1.
int LongestMatch(const std::vector<Cidr>& rules, const IpAddress& address) {
  int best = -1;
  for (const Cidr& rule : rules) {
    if (rule.Contains(address) && rule.prefix_length() > best) {
      best = rule.prefix_length();
    }
  }
  return best;
}

}  // namespace

std::string_view PeerVerdictName(PeerVerdict verdict) {
  switch (verdict) {
    case PeerVerdict::kAllowed:
      return "allowed";
    case PeerVerdict::kDeniedByDefault:
      return "denied_special_range";
    case PeerVerdict::kDeniedByRule:
      return "denied_by_rule";
  }
  return "?";
}

absl::Span<const Cidr> PeerFilter::DefaultDeniedRanges() {
  static const std::vector<Cidr>* const kDenied =
      new std::vector<Cidr>(MakeDefaultDenied());
  return *kDenied;
}

std::optional<IpAddress> EmbeddedIpv4(const IpAddress& address) {
  if (!address.is_v6()) return std::nullopt;
  const std::array<uint8_t, 16>& b = address.bytes();
  const auto v4_at = [&](int i) {
    return IpAddress::V4({b[i], b[i + 1], b[i + 2], b[i + 3]});
  };
  const auto zero = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      if (b[i] != 0) return false;
    }
    return true;
  };
  // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2).
  if (zero(0, 10) && b[10] == 0xFF && b[11] == 0xFF) return v4_at(12);
  // ::a.b.c.d (deprecated IPv4-compatible, RFC 4291 §2.5.5.1). :: and ::1
  // are their own IPv6 addresses (§2.5.2, §2.5.3), judged as such: read as
  // 0.0.0.0 and 0.0.0.1 they would fall in "this network" whatever the
  // operator allowed for them.
  if (zero(0, 12) && v4_at(12).v4_host_order() > 1) return v4_at(12);
  // 64:ff9b::a.b.c.d (RFC 6052 well-known NAT64 prefix).
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B &&
      zero(4, 12)) {
    return v4_at(12);
  }
  // 2002:a.b.c.d::/48 (6to4, RFC 3056).
  if (b[0] == 0x20 && b[1] == 0x02) return v4_at(2);
  return std::nullopt;
}

PeerFilter::PeerFilter(PeerFilterRules rules) : rules_(std::move(rules)) {}

PeerVerdict PeerFilter::CheckOne(const IpAddress& address) const {
  const int allow = LongestMatch(rules_.allow, address);
  const int deny = LongestMatch(rules_.deny, address);
  if (deny >= 0 && deny >= allow) return PeerVerdict::kDeniedByRule;
  if (allow >= 0) return PeerVerdict::kAllowed;
  if (rules_.deny_special_ranges) {
    for (const Cidr& range : DefaultDeniedRanges()) {
      if (range.Contains(address)) return PeerVerdict::kDeniedByDefault;
    }
  }
  return PeerVerdict::kAllowed;
}

PeerVerdict PeerFilter::Check(const IpAddress& peer) const {
  const PeerVerdict own = CheckOne(peer);
  if (own != PeerVerdict::kAllowed) return own;
  // An embedded IPv4 address must pass on its own too.
  if (std::optional<IpAddress> v4 = EmbeddedIpv4(peer)) return CheckOne(*v4);
  return own;
}

}  // namespace turnpike::core
