// The per-client-IP connection limiter
// (runtime/transport/connection_limiter.h): the accept path's first check.
#include "runtime/transport/connection_limiter.h"

#include <doctest/doctest.h>

#include <cstdint>

namespace turnpike::testing {
namespace {

using runtime::ConnectionLimiter;

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

TEST_CASE("connection limiter refuses the connection past the limit") {
  ConnectionLimiter limiter(2);
  const IpAddress a = Ip("192.0.2.1");
  CHECK(limiter.TryAcquire(a));
  CHECK(limiter.TryAcquire(a));
  CHECK_FALSE(limiter.TryAcquire(a));
  CHECK_FALSE(limiter.TryAcquire(a));
  CHECK(limiter.count(a) == 2);
  CHECK(limiter.refused() == 2);
  // A released slot can be taken again.
  limiter.Release(a);
  CHECK(limiter.TryAcquire(a));
  CHECK_FALSE(limiter.TryAcquire(a));
  CHECK(limiter.refused() == 3);
}

TEST_CASE("connection limiter counts each IP on its own") {
  ConnectionLimiter limiter(1);
  CHECK(limiter.TryAcquire(Ip("192.0.2.1")));
  CHECK_FALSE(limiter.TryAcquire(Ip("192.0.2.1")));
  CHECK(limiter.TryAcquire(Ip("192.0.2.2")));
  CHECK(limiter.TryAcquire(Ip("2001:db8::1")));
  CHECK(limiter.TryAcquire(Ip("2001:db8::2")));
  CHECK(limiter.tracked_ips() == 4);
}

TEST_CASE("connection limiter counts an IPv4-mapped IPv6 address as IPv4") {
  ConnectionLimiter limiter(2);
  CHECK(limiter.TryAcquire(Ip("192.0.2.7")));
  CHECK(limiter.TryAcquire(Ip("::ffff:192.0.2.7")));
  CHECK_FALSE(limiter.TryAcquire(Ip("192.0.2.7")));
  CHECK_FALSE(limiter.TryAcquire(Ip("::ffff:192.0.2.7")));
  CHECK(limiter.count(Ip("192.0.2.7")) == 2);
  CHECK(limiter.tracked_ips() == 1);
  // Either form releases the same slot.
  limiter.Release(Ip("::ffff:192.0.2.7"));
  limiter.Release(Ip("192.0.2.7"));
  CHECK(limiter.tracked_ips() == 0);
}

TEST_CASE("connection limiter with limit 0 never refuses") {
  ConnectionLimiter limiter(0);
  for (int i = 0; i < 1000; ++i) CHECK(limiter.TryAcquire(Ip("192.0.2.1")));
  CHECK(limiter.count(Ip("192.0.2.1")) == 1000);
  CHECK(limiter.refused() == 0);
}

TEST_CASE("connection limiter lowered evicts nobody and refuses until below") {
  ConnectionLimiter limiter(4);
  const IpAddress a = Ip("198.51.100.9");
  for (int i = 0; i < 4; ++i) REQUIRE(limiter.TryAcquire(a));
  limiter.SetLimit(2);
  CHECK(limiter.count(a) == 4);  // nobody evicted
  CHECK_FALSE(limiter.TryAcquire(a));
  limiter.Release(a);
  limiter.Release(a);
  CHECK(limiter.count(a) == 2);
  CHECK_FALSE(limiter.TryAcquire(a));  // at the new limit, still refused
  limiter.Release(a);
  CHECK(limiter.TryAcquire(a));
  // Raising it, or lifting it, lets the IP in again at once.
  limiter.SetLimit(0);
  CHECK(limiter.TryAcquire(a));
  CHECK(limiter.count(a) == 3);
}

TEST_CASE("connection limiter forgets an IP whose last connection closed") {
  ConnectionLimiter limiter(3);
  for (int i = 0; i < 100; ++i) {
    const IpAddress ip = IpAddress::V4(
        {10, 0, static_cast<uint8_t>(i / 256), static_cast<uint8_t>(i)});
    REQUIRE(limiter.TryAcquire(ip));
    REQUIRE(limiter.TryAcquire(ip));
  }
  CHECK(limiter.tracked_ips() == 100);
  for (int i = 0; i < 100; ++i) {
    const IpAddress ip = IpAddress::V4(
        {10, 0, static_cast<uint8_t>(i / 256), static_cast<uint8_t>(i)});
    limiter.Release(ip);
    CHECK(limiter.tracked_ips() == 100 - i);  // one connection left
    limiter.Release(ip);
  }
  CHECK(limiter.tracked_ips() == 0);
  CHECK(limiter.count(Ip("10.0.0.5")) == 0);
}

}  // namespace
}  // namespace turnpike::testing
