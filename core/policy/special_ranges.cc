#include "core/policy/special_ranges.h"

#include <array>
#include <optional>
#include <vector>

#include "core/util/check.h"

namespace turnpike::core {
namespace {

struct Row {
  std::string_view prefix;
  RangeVerdict verdict;
  std::string_view name;
};

constexpr RangeVerdict kDenied = RangeVerdict::kDenied;
constexpr RangeVerdict kAllowed = RangeVerdict::kAllowed;
constexpr RangeVerdict kEmbedded = RangeVerdict::kEmbedded;

// Keep in step with the table in docs/security.md (a test compares them).
constexpr Row kRows[] = {
    {"0.0.0.0/8", kDenied, "this network (RFC 791)"},
    {"10.0.0.0/8", kDenied, "private use (RFC 1918)"},
    {"100.64.0.0/10", kDenied, "shared address space, CGNAT (RFC 6598)"},
    {"127.0.0.0/8", kDenied, "loopback (RFC 1122)"},
    {"169.254.0.0/16", kDenied, "link-local, cloud metadata (RFC 3927)"},
    {"172.16.0.0/12", kDenied, "private use (RFC 1918)"},
    {"192.0.0.0/24", kDenied, "IETF protocol assignments (RFC 6890)"},
    {"192.0.0.9/32", kAllowed, "PCP anycast (RFC 7723)"},
    {"192.0.0.10/32", kAllowed, "TURN anycast (RFC 8155)"},
    {"192.0.2.0/24", kDenied, "documentation TEST-NET-1 (RFC 5737)"},
    {"192.88.99.0/24", kDenied, "deprecated 6to4 relay anycast (RFC 7526)"},
    {"192.168.0.0/16", kDenied, "private use (RFC 1918)"},
    {"198.18.0.0/15", kDenied, "benchmarking (RFC 2544)"},
    {"198.51.100.0/24", kDenied, "documentation TEST-NET-2 (RFC 5737)"},
    {"203.0.113.0/24", kDenied, "documentation TEST-NET-3 (RFC 5737)"},
    {"224.0.0.0/4", kDenied, "multicast (RFC 5771)"},
    {"240.0.0.0/4", kDenied, "reserved and limited broadcast (RFC 1112)"},
    {"::/96", kDenied, "IPv4-compatible, deprecated (RFC 4291)"},
    {"::/128", kDenied, "unspecified (RFC 4291)"},
    {"::1/128", kDenied, "loopback (RFC 4291)"},
    {"::ffff:0:0/96", kDenied, "IPv4-mapped (RFC 4291)"},
    {"::ffff:0:0:0/96", kDenied, "IPv4-translated, SIIT (RFC 2765)"},
    {"64:ff9b::/96", kEmbedded, "NAT64 well-known prefix (RFC 6052)"},
    {"64:ff9b:1::/48", kDenied, "local-use NAT64 (RFC 8215)"},
    {"100::/64", kDenied, "discard-only (RFC 6666)"},
    {"100:0:0:1::/64", kDenied, "dummy prefix (RFC 9780)"},
    {"2001::/23", kDenied, "IETF protocol assignments (RFC 2928)"},
    {"2001::/32", kEmbedded, "Teredo (RFC 4380)"},
    {"2001:1::1/128", kAllowed, "PCP anycast (RFC 7723)"},
    {"2001:1::2/128", kAllowed, "TURN anycast (RFC 8155)"},
    {"2001:1::3/128", kAllowed, "DNS-SD SRP anycast (RFC 9665)"},
    {"2001:3::/32", kAllowed, "AMT (RFC 7450)"},
    {"2001:4:112::/48", kAllowed, "AS112-v6 (RFC 7535)"},
    {"2001:20::/28", kAllowed, "ORCHIDv2 (RFC 7343)"},
    {"2001:30::/28", kAllowed, "drone remote ID tags (RFC 9374)"},
    {"2001:db8::/32", kDenied, "documentation (RFC 3849)"},
    {"2002::/16", kEmbedded, "6to4 (RFC 3056)"},
    {"3fff::/20", kDenied, "documentation (RFC 9637)"},
    {"5f00::/16", kDenied, "SRv6 SIDs (RFC 9602)"},
    {"fc00::/7", kDenied, "unique local (RFC 4193)"},
    {"fe80::/10", kDenied, "link-local (RFC 4291)"},
    {"fec0::/10", kDenied, "site-local, deprecated (RFC 3879)"},
    {"ff00::/8", kDenied, "multicast (RFC 4291)"},
};

std::vector<SpecialRange> MakeRanges() {
  std::vector<SpecialRange> out;
  out.reserve(std::size(kRows));
  for (const Row& row : kRows) {
    std::optional<Cidr> prefix = Cidr::Parse(row.prefix);
    // A typo in the table above: a bug, caught by every test run.
    TURNPIKE_CHECK(prefix.has_value(), "a row of kRows is not a CIDR prefix");
    out.push_back({*prefix, row.verdict, row.name});
  }
  return out;
}

bool Zero(const std::array<uint8_t, 16>& b, int from, int to) {
  for (int i = from; i < to; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

}  // namespace

std::string_view RangeVerdictName(RangeVerdict verdict) {
  switch (verdict) {
    case RangeVerdict::kDenied:
      return "denied";
    case RangeVerdict::kAllowed:
      return "allowed";
    case RangeVerdict::kEmbedded:
      return "embedded";
  }
  return "?";
}

absl::Span<const SpecialRange> SpecialRanges() {
  static const std::vector<SpecialRange>* const kRanges =
      new std::vector<SpecialRange>(MakeRanges());
  return *kRanges;
}

const SpecialRange* FindSpecialRange(const IpAddress& address) {
  // The table lists IPv4 rows first; only the address's family is scanned
  // (this runs on every relayed packet).
  static const size_t kFirstIpv6 = [] {
    const absl::Span<const SpecialRange> all = SpecialRanges();
    size_t i = 0;
    while (i < all.size() && all[i].prefix.network().is_v4()) ++i;
    return i;
  }();
  const absl::Span<const SpecialRange> all = SpecialRanges();
  const absl::Span<const SpecialRange> rows =
      address.is_v4() ? all.subspan(0, kFirstIpv6) : all.subspan(kFirstIpv6);
  const SpecialRange* best = nullptr;
  for (const SpecialRange& range : rows) {
    if (range.prefix.Contains(address) &&
        (best == nullptr ||
         range.prefix.prefix_length() > best->prefix.prefix_length())) {
      best = &range;
    }
  }
  return best;
}

absl::InlinedVector<IpAddress, 2> EmbeddedIpv4s(const IpAddress& address) {
  absl::InlinedVector<IpAddress, 2> out;
  if (!address.is_v6()) return out;
  const std::array<uint8_t, 16>& b = address.bytes();
  const auto v4 = [&](int a, int b1, int c, int d) {
    return IpAddress::V4({b[a], b[b1], b[c], b[d]});
  };
  // ::ffff:a.b.c.d, IPv4-mapped (RFC 4291 §2.5.5.2).
  if (Zero(b, 0, 10) && b[10] == 0xFF && b[11] == 0xFF) {
    out.push_back(v4(12, 13, 14, 15));
  } else if (Zero(b, 0, 8) && b[8] == 0xFF && b[9] == 0xFF && b[10] == 0 &&
             b[11] == 0) {
    // ::ffff:0:a.b.c.d, IPv4-translated (RFC 2765 §2.1).
    out.push_back(v4(12, 13, 14, 15));
  } else if (Zero(b, 0, 12)) {
    // ::a.b.c.d, IPv4-compatible (deprecated, RFC 4291 §2.5.5.1). :: and ::1
    // are IPv6's own unspecified and loopback addresses, judged as such.
    if (v4(12, 13, 14, 15).v4_host_order() > 1) {
      out.push_back(v4(12, 13, 14, 15));
    }
  } else if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B) {
    if (Zero(b, 4, 12)) {
      // 64:ff9b::a.b.c.d (RFC 6052 §2.1, /96).
      out.push_back(v4(12, 13, 14, 15));
    } else if (b[4] == 0x00 && b[5] == 0x01) {
      // 64:ff9b:1::/48 (RFC 8215): the RFC 6052 §2.2 /48 layout, the
      // address in bits 48-63 and 72-87, around the u octet.
      out.push_back(v4(6, 7, 9, 10));
    }
  } else if (b[0] == 0x20 && b[1] == 0x02) {
    // 2002:a.b.c.d::/48 (6to4, RFC 3056 §2).
    out.push_back(v4(2, 3, 4, 5));
  } else if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) {
    // Teredo (RFC 4380 §4): the server's IPv4 address in bits 32-63, the
    // client's mapped address in the last 32 bits, every bit inverted.
    out.push_back(v4(4, 5, 6, 7));
    out.push_back(IpAddress::V4(
        {static_cast<uint8_t>(~b[12]), static_cast<uint8_t>(~b[13]),
         static_cast<uint8_t>(~b[14]), static_cast<uint8_t>(~b[15])}));
  }
  return out;
}

}  // namespace turnpike::core
