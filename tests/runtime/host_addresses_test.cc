// PickRelayAddresses (runtime/host_addresses.h): which interface address a
// relay allocates on when none is configured.
#include "runtime/host_addresses.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace turnpike::runtime {
namespace {

InterfaceAddress If(const char* name, const char* ip) {
  auto parsed = IpAddress::Parse(ip);
  REQUIRE(parsed.has_value());
  return InterfaceAddress{name, *parsed};
}

std::string V4(const HostRelayAddresses& picked) {
  return picked.ipv4 ? picked.ipv4->ToString() : "none";
}
std::string V6(const HostRelayAddresses& picked) {
  return picked.ipv6 ? picked.ipv6->ToString() : "none";
}

TEST_CASE("host addresses: nothing to pick says so for each family") {
  const HostRelayAddresses picked = PickRelayAddresses({});
  CHECK(V4(picked) == "none");
  CHECK(V6(picked) == "none");
  CHECK(picked.ipv4_missing_reason == "no IPv4 interface address");
  CHECK(picked.ipv6_missing_reason == "no IPv6 interface address");
}

TEST_CASE("host addresses: a global address wins over an earlier private one") {
  const std::vector<InterfaceAddress> list = {
      If("eth1", "10.0.0.5"),     If("eth1", "fd12:3456::5"),
      If("eth0", "203.0.113.7"),  If("eth0", "2001:db8::7"),
      If("eth2", "198.51.100.9"), If("eth2", "2001:db8::9")};
  const HostRelayAddresses picked = PickRelayAddresses(list);
  CHECK(V4(picked) == "203.0.113.7");  // the first global, not the later one
  CHECK(V6(picked) == "2001:db8::7");
  CHECK(picked.ipv4_missing_reason.empty());
  CHECK(picked.ipv6_missing_reason.empty());
}

TEST_CASE("host addresses: a LAN-only host gets its first private address") {
  const std::vector<InterfaceAddress> list = {
      If("lo", "127.0.0.1"),      If("eth0", "169.254.10.1"),
      If("eth0", "192.168.1.10"), If("eth1", "172.16.0.2"),
      If("eth0", "fe80::1"),      If("eth0", "fc00::10"),
      If("eth1", "fd00::20")};
  const HostRelayAddresses picked = PickRelayAddresses(list);
  CHECK(V4(picked) == "192.168.1.10");
  CHECK(V6(picked) == "fc00::10");
}

TEST_CASE("host addresses: loopback, link-local and unspecified never picked") {
  const std::vector<InterfaceAddress> list = {
      If("lo", "127.0.0.1"), If("lo", "127.255.0.1"), If("eth0", "169.254.0.1"),
      If("eth0", "0.0.0.0"), If("lo", "::1"),         If("eth0", "fe80::1"),
      If("eth0", "febf::1"), If("eth0", "::")};
  const HostRelayAddresses picked = PickRelayAddresses(list);
  CHECK(V4(picked) == "none");
  CHECK(V6(picked) == "none");
  CHECK(picked.ipv4_missing_reason ==
        "no usable IPv4 interface address (skipped 127.0.0.1 on lo: "
        "loopback, 127.255.0.1 on lo: loopback, 169.254.0.1 on eth0: "
        "link-local, 0.0.0.0 on eth0: unspecified)");
  CHECK(picked.ipv6_missing_reason ==
        "no usable IPv6 interface address (skipped ::1 on lo: loopback, "
        "fe80::1 on eth0: link-local, febf::1 on eth0: link-local, :: on "
        "eth0: unspecified)");
}

TEST_CASE("host addresses: the private ranges' edges") {
  const auto v4 = [](const char* ip) {
    return V4(
        PickRelayAddresses(std::vector{If("a", "10.9.9.9"), If("b", ip)}));
  };
  // A global address after the private 10.9.9.9 wins; a private one does not.
  CHECK(v4("9.255.255.255") == "9.255.255.255");
  CHECK(v4("11.0.0.1") == "11.0.0.1");
  CHECK(v4("172.15.255.255") == "172.15.255.255");
  CHECK(v4("172.16.0.1") == "10.9.9.9");
  CHECK(v4("172.31.255.255") == "10.9.9.9");
  CHECK(v4("172.32.0.1") == "172.32.0.1");
  CHECK(v4("192.167.255.255") == "192.167.255.255");
  CHECK(v4("192.168.0.1") == "10.9.9.9");
  CHECK(v4("192.169.0.1") == "192.169.0.1");
  CHECK(v4("100.63.255.255") == "100.63.255.255");
  CHECK(v4("100.64.0.1") == "10.9.9.9");  // RFC 6598 shared space
  CHECK(v4("100.127.255.255") == "10.9.9.9");
  CHECK(v4("100.128.0.1") == "100.128.0.1");
  CHECK(v4("169.253.255.255") == "169.253.255.255");
  CHECK(v4("169.255.0.1") == "169.255.0.1");

  const auto v6 = [](const char* ip) {
    return V6(PickRelayAddresses(std::vector{If("a", "fd00::1"), If("b", ip)}));
  };
  CHECK(v6("fbff::1") == "fbff::1");
  CHECK(v6("fc00::2") == "fd00::1");
  CHECK(v6("fdff::2") == "fd00::1");
  CHECK(v6("fe00::1") == "fe00::1");
  CHECK(v6("fec0::1") == "fec0::1");  // just past fe80::/10
  CHECK(v6("::2") == "::2");
}

TEST_CASE("host addresses: the families are picked independently") {
  const HostRelayAddresses picked =
      PickRelayAddresses(std::vector{If("eth0", "203.0.113.7")});
  CHECK(V4(picked) == "203.0.113.7");
  CHECK(V6(picked) == "none");
  CHECK(picked.ipv6_missing_reason == "no IPv6 interface address");
}

TEST_CASE("host addresses: the host's list leaves out loopback") {
  auto list = ListInterfaceAddresses();
  REQUIRE(list.ok());
  for (const InterfaceAddress& entry : *list) {
    CHECK(entry.address != *IpAddress::Parse("127.0.0.1"));
    CHECK(entry.address != *IpAddress::Parse("::1"));
    CHECK_FALSE(entry.interface_name.empty());
  }
}

}  // namespace
}  // namespace turnpike::runtime
