// Peer address filtering: the relay must not become a proxy into its own
// network (coturn CVE-2020-26262 was a bypass through an IPv4-mapped form).
#include "core/policy/peer_filter.h"

#include <doctest/doctest.h>

#include <string>

#include "core/policy/cidr.h"

namespace turnpike::core {
namespace {

IpAddress Ip(const char* text) {
  std::optional<IpAddress> ip = IpAddress::Parse(text);
  REQUIRE_MESSAGE(ip.has_value(), text);
  return *ip;
}

Cidr Prefix(const char* text) {
  std::optional<Cidr> cidr = Cidr::Parse(text);
  REQUIRE_MESSAGE(cidr.has_value(), text);
  return *cidr;
}

TEST_CASE("Cidr parses, prints and contains") {
  CHECK(Prefix("10.0.0.0/8").Contains(Ip("10.255.1.2")));
  CHECK_FALSE(Prefix("10.0.0.0/8").Contains(Ip("11.0.0.1")));
  CHECK(Prefix("172.16.0.0/12").Contains(Ip("172.31.255.255")));
  CHECK_FALSE(Prefix("172.16.0.0/12").Contains(Ip("172.32.0.0")));
  CHECK(Prefix("fc00::/7").Contains(Ip("fdff::1")));
  CHECK_FALSE(Prefix("fc00::/7").Contains(Ip("fe00::1")));
  CHECK(Prefix("0.0.0.0/0").Contains(Ip("203.0.113.9")));
  CHECK_FALSE(Prefix("0.0.0.0/0").Contains(Ip("2001:db8::1")));  // family
  CHECK(Prefix("192.0.2.7").prefix_length() == 32);
  CHECK(Prefix("2001:db8::7").prefix_length() == 128);
  CHECK(Prefix("2001:db8::/32").ToString() == "2001:db8::/32");
}

TEST_CASE("Cidr refuses what is probably a typo") {
  for (const char* bad : {"10.1.0.0/8", "10.0.0.0/33", "::/129", "10.0.0.0/",
                          "10.0.0.0/-1", "10.0.0.0/8x", "nonsense/8", ""}) {
    CAPTURE(bad);
    CHECK_FALSE(Cidr::Parse(bad).has_value());
  }
}

TEST_CASE("every special-purpose class is denied by default") {
  const PeerFilter filter(PeerFilterRules{});
  for (const char* denied : {
           "127.0.0.1",
           "127.255.255.254",  // loopback
           "0.0.0.0",
           "0.1.2.3",  // this network
           "10.0.0.1",
           "172.16.0.1",
           "192.168.1.1",  // RFC 1918
           "100.64.0.1",
           "100.100.100.200",  // CGNAT, Alibaba metadata
           "169.254.169.254",
           "169.254.0.1",  // link-local, metadata
           "192.0.0.170",  // IETF assignments
           "198.18.0.1",   // benchmarking
           "224.0.0.1",
           "239.255.255.250",  // multicast
           "240.0.0.1",
           "255.255.255.255",  // reserved, broadcast
           "::",
           "::1",  // v6 unspecified/loopback
           "fc00::1",
           "fd00:ec2::254",  // ULA, AWS v6 metadata
           "fe80::1",
           "fec0::1",           // link/site-local
           "ff02::1",           // multicast
           "100::1",            // discard-only
           "64:ff9b:1::a00:1",  // local-use NAT64
       }) {
    CAPTURE(denied);
    CHECK(filter.Check(Ip(denied)) == PeerVerdict::kDeniedByDefault);
  }
}

TEST_CASE("IPv4 embedded in IPv6 is checked as IPv4 (CVE-2020-26262)") {
  const PeerFilter filter(PeerFilterRules{});
  for (const char* denied : {
           "::ffff:127.0.0.1",           // IPv4-mapped loopback
           "::ffff:169.254.169.254",     // IPv4-mapped metadata
           "::ffff:10.0.0.1",            // IPv4-mapped private
           "::127.0.0.1",                // IPv4-compatible loopback
           "::10.1.2.3",                 // IPv4-compatible private
           "64:ff9b::7f00:1",            // NAT64 of 127.0.0.1
           "::ffff:0:7f00:1",            // SIIT of 127.0.0.1
           "2001:0:808:808::80ff:fffe",  // Teredo, client 127.0.0.1
           "2001:0:a00:1::f7f7:fbfb",    // Teredo, server 10.0.0.1
           "64:ff9b::a9fe:a9fe",         // NAT64 of 169.254.169.254
           "2002:7f00:1::1",             // 6to4 of 127.0.0.1
           "2002:c0a8:101::1",           // 6to4 of 192.168.1.1
       }) {
    CAPTURE(denied);
    CHECK_FALSE(filter.Allows(Ip(denied)));
  }
  // The translated forms around a public IPv4 address are fine.
  for (const char* allowed :
       {"64:ff9b::808:808", "2002:808:808::1", "2001:0:808:808::f7f7:fbfb",
        "8.8.8.8", "2001:4860::8888"}) {
    CAPTURE(allowed);
    CHECK(filter.Allows(Ip(allowed)));
  }
}

TEST_CASE("operator rules: longest prefix wins, deny wins a tie") {
  PeerFilterRules rules;
  rules.allow = {Prefix("127.0.0.0/8"), Prefix("10.1.2.3")};
  rules.deny = {
      Prefix("10.0.0.0/8"),
      Prefix("203.0.113.0/24"),
      Prefix("198.51.100.7"),
  };
  rules.allow.push_back(Prefix("198.51.100.7"));  // tie with the deny above
  const PeerFilter filter(rules);
  CHECK(filter.Check(Ip("127.0.0.1")) == PeerVerdict::kAllowed);
  CHECK(filter.Check(Ip("10.1.2.3")) == PeerVerdict::kAllowed);
  CHECK(filter.Check(Ip("10.1.2.4")) == PeerVerdict::kDeniedByRule);
  CHECK(filter.Check(Ip("203.0.113.1")) == PeerVerdict::kDeniedByRule);
  CHECK(filter.Check(Ip("198.51.100.7")) == PeerVerdict::kDeniedByRule);
  // An allow rule for 127/8 opens neither its IPv4-mapped form (the mapped
  // block is not globally reachable, docs/security.md)...
  CHECK(filter.Check(Ip("::ffff:127.0.0.1")) == PeerVerdict::kDeniedByDefault);
  // ...nor IPv6 loopback, which is a different address.
  CHECK(filter.Check(Ip("::1")) == PeerVerdict::kDeniedByDefault);
  // A deny rule reaches through the 6to4 form.
  CHECK(filter.Check(Ip("2002:cb00:7101::1")) == PeerVerdict::kDeniedByRule);
}

TEST_CASE("special ranges can be opened wholesale for closed networks") {
  PeerFilterRules rules;
  rules.deny_special_ranges = false;
  rules.deny = {Prefix("169.254.169.254")};
  const PeerFilter filter(rules);
  CHECK(filter.Allows(Ip("127.0.0.1")));
  CHECK(filter.Allows(Ip("10.0.0.1")));
  CHECK(filter.Check(Ip("169.254.169.254")) == PeerVerdict::kDeniedByRule);
}

TEST_CASE("opening the IPv4-mapped block leaves the IPv4 address to pass") {
  PeerFilterRules rules;
  rules.allow = {Prefix("::ffff:0:0/96")};
  const PeerFilter filter(rules);
  CHECK(filter.Check(Ip("::ffff:8.8.8.8")) == PeerVerdict::kAllowed);
  CHECK(filter.Check(Ip("::ffff:127.0.0.1")) == PeerVerdict::kDeniedByDefault);
  CHECK(filter.Check(Ip("::ffff:192.168.0.1")) ==
        PeerVerdict::kDeniedByDefault);
}

TEST_CASE("an allow rule for ::1 opens IPv6 loopback, and only it") {
  PeerFilterRules rules;
  rules.allow = {Prefix("::1/128")};
  const PeerFilter filter(rules);
  CHECK(filter.Check(Ip("::1")) == PeerVerdict::kAllowed);
  CHECK(filter.Check(Ip("::")) == PeerVerdict::kDeniedByDefault);
  CHECK(filter.Check(Ip("127.0.0.1")) == PeerVerdict::kDeniedByDefault);
  CHECK(filter.Check(Ip("::127.0.0.1")) == PeerVerdict::kDeniedByDefault);
}

TEST_CASE("Replace swaps the rules and moves the generation on") {
  PeerFilterRules open;
  open.allow = {Prefix("10.0.0.0/8")};
  PeerFilter filter(open);
  const uint32_t first = filter.generation();
  CHECK(first != 0);
  CHECK(filter.Allows(Ip("10.1.2.3")));
  filter.Replace(PeerFilterRules{});
  CHECK(filter.generation() != first);
  CHECK_FALSE(filter.Allows(Ip("10.1.2.3")));
}

}  // namespace
}  // namespace turnpike::core
