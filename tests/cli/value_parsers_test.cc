// The boundaries of the value parsers, where off-by-one mistakes live.
#include "cli/value_parsers.h"

#include <doctest/doctest.h>

namespace turnpike::cli {
namespace {

TEST_CASE("ports: 1-65535, and the lower bound the caller asks for") {
  CHECK(ParsePort("65535", 1).value() == 65535);
  CHECK(ParsePort("1", 1).value() == 1);
  CHECK_FALSE(ParsePort("0", 1).ok());
  CHECK_FALSE(ParsePort("65536", 1).ok());
  CHECK_FALSE(ParsePort("+80", 1).ok());
  CHECK_FALSE(ParsePort(" 80", 1).ok());
  CHECK(ParsePort("1024", 1024).ok());
  CHECK_FALSE(ParsePort("1023", 1024).ok());
}

TEST_CASE("buffer sizes: positive, at most 1G, K and M suffixes") {
  CHECK(ParseBufferSize("1").value() == 1);
  CHECK(ParseBufferSize("4k").value() == 4096);
  CHECK(ParseBufferSize("1024M").value() == 1 << 30);
  CHECK_FALSE(ParseBufferSize("1025M").ok());
  CHECK_FALSE(ParseBufferSize("0").ok());
  CHECK_FALSE(ParseBufferSize("M").ok());
  CHECK_FALSE(ParseBufferSize("1G").ok());  // above what the kernel takes
}

TEST_CASE("rates: 0 allowed, K/M/G suffixes, capped at 1 TiB/s") {
  CHECK(ParseRate("0").value() == 0);
  CHECK(ParseRate("2G").value() == uint64_t{2} << 30);
  CHECK(ParseRate("1024G").value() == uint64_t{1} << 40);
  CHECK_FALSE(ParseRate("1025G").ok());
  CHECK_FALSE(ParseRate("99999999999999999999999").ok());
  CHECK_FALSE(ParseRate("1.5M").ok());
}

TEST_CASE("counts and seconds stay inside their ranges") {
  CHECK(ParseCount("4294967295", UINT32_MAX).value() == UINT32_MAX);
  CHECK_FALSE(ParseCount("4294967296", UINT32_MAX).ok());
  CHECK(ParseSeconds("86400", 86400).value().count() == 86400);
  CHECK_FALSE(ParseSeconds("86401", 86400).ok());
  CHECK_FALSE(ParseSeconds("0", 86400).ok());
}

TEST_CASE("addresses and prefixes") {
  CHECK(ParseListenAddress("[::1]:3478").value().ToString() == "[::1]:3478");
  CHECK_FALSE(ParseListenAddress("::1:3478").ok());
  CHECK(ParseIp("2001:db8::1").value().is_v6());
  CHECK_FALSE(ParseIp("[2001:db8::1]").ok());
  CHECK(ParseCidr("10.0.0.0/8").value().prefix_length() == 8);
  CHECK_FALSE(ParseCidr("10.0.0.0/33").ok());
}

}  // namespace
}  // namespace turnpike::cli
