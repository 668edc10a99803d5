// IpAddress and TransportAddress text forms: dotted quad, RFC 4291 §2.2 input,
// RFC 5952 canonical output, and "[v6]:port".
#include "core/net/transport_address.h"

#include <doctest/doctest.h>

#include <string>

#include "tests/harness/printers.h"

namespace turnpike {
namespace {

// Parses `text` and expects `canonical` back from ToString().
void ExpectIp(std::string_view text, std::string_view canonical) {
  CAPTURE(text);
  const std::optional<IpAddress> ip = IpAddress::Parse(text);
  REQUIRE(ip.has_value());
  CHECK(ip->ToString() == canonical);
  // The canonical form parses to the same address.
  CHECK(IpAddress::Parse(canonical) == ip);
}

void ExpectNoIp(std::string_view text) {
  CAPTURE(text);
  CHECK_FALSE(IpAddress::Parse(text).has_value());
}

TEST_CASE("IPv4 parse and print") {
  ExpectIp("0.0.0.0", "0.0.0.0");
  ExpectIp("192.0.2.1", "192.0.2.1");
  ExpectIp("255.255.255.255", "255.255.255.255");
  ExpectIp("10.0.0.10", "10.0.0.10");
  const IpAddress ip = *IpAddress::Parse("192.0.2.1");
  CHECK(ip.is_v4());
  CHECK(ip.size() == 4);
  CHECK(ip.v4_host_order() == 0xC0000201u);
  CHECK(ip == IpAddress::V4(0xC0000201u));
  CHECK(ip == IpAddress::V4({192, 0, 2, 1}));
}

TEST_CASE("IPv4 rejects") {
  for (std::string_view bad :
       {"",         "1.2.3",     "1.2.3.4.5", "256.1.1.1",  "1.2.3.256",
        "01.2.3.4", "1.2.3.04",  "00.0.0.0",  "1..2.3",     ".1.2.3",
        "1.2.3.",   "1.2.3.4 ",  " 1.2.3.4",  "1.2.3.-4",   "1.2.3.+4",
        "a.b.c.d",  "0x1.2.3.4", "1.2.3.4/8", "1234.1.1.1", "4294967296"}) {
    ExpectNoIp(bad);
  }
}

TEST_CASE("IPv6 canonical output follows RFC 5952") {
  SUBCASE("lowercase and no leading zeros (4.1, 4.3)") {
    ExpectIp("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
    ExpectIp("2001:DB8:ABCD:EF01:2345:6789:ABCD:EF01",
             "2001:db8:abcd:ef01:2345:6789:abcd:ef01");
  }
  SUBCASE("the longest zero run is compressed (4.2.1, 4.2.3)") {
    ExpectIp("2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::");
    ExpectIp("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");
  }
  SUBCASE("on a tie the first run is compressed (4.2.3)") {
    ExpectIp("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
  }
  SUBCASE("a single zero group is not compressed (4.2.2)") {
    ExpectIp("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
    ExpectIp("2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
  }
  SUBCASE("edges") {
    ExpectIp("::", "::");
    ExpectIp("0:0:0:0:0:0:0:0", "::");
    ExpectIp("::1", "::1");
    ExpectIp("1::", "1::");
    ExpectIp("fe80::", "fe80::");
    ExpectIp("1:0:0:0:0:0:0:0", "1::");
    ExpectIp("0:0:0:0:0:0:0:1", "::1");
    ExpectIp("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
             "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    ExpectIp("2001:db8:1234:5678:11:2233:4455:6677",
             "2001:db8:1234:5678:11:2233:4455:6677");
  }
  SUBCASE("embedded IPv4 tails parse") {
    // RFC 4291 §2.2 form 3. (Output is plain hex: RFC 5952 §5's dotted
    // output for mapped addresses is a SHOULD this code does not follow.)
    const std::optional<IpAddress> mapped =
        IpAddress::Parse("::ffff:192.0.2.1");
    REQUIRE(mapped.has_value());
    CHECK(mapped->is_v6());
    CHECK(*mapped == *IpAddress::Parse("::ffff:c000:201"));
    CHECK(*IpAddress::Parse("64:ff9b::198.51.100.7") ==
          *IpAddress::Parse("64:ff9b::c633:6407"));
    CHECK(*IpAddress::Parse("1:2:3:4:5:6:1.2.3.4") ==
          *IpAddress::Parse("1:2:3:4:5:6:102:304"));
    CHECK(*IpAddress::Parse("::1.2.3.4") == *IpAddress::Parse("::102:304"));
  }
}

TEST_CASE("IPv6 rejects") {
  for (std::string_view bad : {":",
                               ":::",
                               "1::2::3",
                               "::1::",
                               "1:2:3:4:5:6:7",
                               "1:2:3:4:5:6:7:8:9",
                               "1:2:3:4:5:6:7::8",
                               "::1:2:3:4:5:6:7:8",
                               "12345::",
                               "g::1",
                               ":1::",
                               "1::2:",
                               "1:2:3:4:5:6:7:8:",
                               ":1:2:3:4:5:6:7:8",
                               "[::1]",
                               "::1%eth0",
                               "1.2.3.4::",
                               "::1.2.3",
                               "::1.2.3.256",
                               "::01.2.3.4",
                               "1:2:3:4:5:6:7:1.2.3.4",
                               "::ffff:1.2.3.4:5",
                               " ::1",
                               "::1 "}) {
    ExpectNoIp(bad);
  }
}

TEST_CASE("IPv6 bytes are in network order") {
  const IpAddress ip = *IpAddress::Parse("2001:db8::ff00:42:8329");
  CHECK(ip.is_v6());
  CHECK(ip.size() == 16);
  const std::array<uint8_t, 16> expected = {0x20, 0x01, 0x0d, 0xb8, 0,    0,
                                            0,    0,    0,    0,    0xff, 0x00,
                                            0,    0x42, 0x83, 0x29};
  CHECK(ip.bytes() == expected);
  CHECK(ip == IpAddress::V6(expected));
  // The same bytes as IPv4 and IPv6 are different addresses.
  CHECK(IpAddress::V4({0, 0, 0, 0}) != IpAddress::V6({}));
}

TEST_CASE("TransportAddress round trip") {
  for (std::string_view text :
       {"192.0.2.1:32853", "0.0.0.0:0", "255.255.255.255:65535",
        "[2001:db8:1234:5678:11:2233:4455:6677]:32853", "[::1]:3478", "[::]:0",
        "[fe80::1]:65535"}) {
    CAPTURE(text);
    const std::optional<TransportAddress> a = TransportAddress::Parse(text);
    REQUIRE(a.has_value());
    CHECK(a->ToString() == text);
  }
  const TransportAddress a = *TransportAddress::Parse("[2001:DB8:0::1]:80");
  CHECK(a.ToString() == "[2001:db8::1]:80");
  CHECK(a.family() == AddressFamily::kIpv6);
  CHECK(a.port == 80);
  CHECK(TransportAddress::Parse("10.0.0.1:5")->family() ==
        AddressFamily::kIpv4);
}

TEST_CASE("TransportAddress rejects") {
  for (std::string_view bad : {"",
                               "1.2.3.4",
                               "1.2.3.4:",
                               ":80",
                               "1.2.3.4:65536",
                               "1.2.3.4:-1",
                               "1.2.3.4:+1",
                               "1.2.3.4:0x50",
                               "1.2.3.4: 80",
                               "1.2.3.4:80 ",
                               "1.2.3:80",
                               "256.1.1.1:80",
                               "::1:80",
                               "::1",
                               "[::1]",
                               "[::1]:",
                               "[::1]80",
                               "[1.2.3.4]:80",
                               "[::1]:99999",
                               "[[::1]]:80",
                               "[::1:80",
                               "::1]:80",
                               "[1::2::3]:80",
                               "1.2.3.4:80:80",
                               "host:80",
                               "1.2.3.4:4294967376"}) {
    CAPTURE(bad);
    CHECK_FALSE(TransportAddress::Parse(bad).has_value());
  }
}

TEST_CASE("ordering and hashing inputs are value-based") {
  const TransportAddress a = *TransportAddress::Parse("10.0.0.1:5");
  const TransportAddress b = *TransportAddress::Parse("10.0.0.1:6");
  const TransportAddress c = *TransportAddress::Parse("10.0.0.2:5");
  CHECK(a < b);
  CHECK(b < c);
  CHECK(a == *TransportAddress::Parse("10.0.0.1:5"));
  CHECK(a != b);
}

}  // namespace
}  // namespace turnpike
