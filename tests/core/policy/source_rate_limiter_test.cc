// The per-source limiter of unauthenticated answers: a burst, then the rate;
// refills at the right instant; sources apart; IPv6 by /64; and memory that
// stays fixed whatever the number of sources.
#include "core/policy/source_rate_limiter.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>

namespace turnpike::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Verdict = SourceRateLimiter::Verdict;

const MonoTime kT0 = MonoTime(seconds(1000));
constexpr std::array<uint64_t, 2> kKey = {0x0123456789abcdef,
                                          0xfedcba9876543210};

constexpr IpAddress kA = IpAddress::V4({192, 0, 2, 1});
constexpr IpAddress kB = IpAddress::V4({192, 0, 2, 2});

// How many of `count` requests from `source` at `now` are allowed.
int Allowed(SourceRateLimiter& limiter, MonoTime now, const IpAddress& source,
            int count) {
  int allowed = 0;
  for (int i = 0; i < count; ++i) {
    if (limiter.Allow(now, source) == Verdict::kAllowed) ++allowed;
  }
  return allowed;
}

TEST_CASE("one source gets its burst at once and then the rate") {
  SourceRateLimiter limiter({/*per_second=*/10, /*burst=*/5}, 64, kKey);
  CHECK(Allowed(limiter, kT0, kA, 100) == 5);
  CHECK(limiter.Allow(kT0, kA) == Verdict::kLimited);
  // One answer every 100 ms: not at 99 ms, yes at 100 ms, then not again.
  CHECK(limiter.Allow(kT0 + milliseconds(99), kA) == Verdict::kLimited);
  CHECK(limiter.Allow(kT0 + milliseconds(100), kA) == Verdict::kAllowed);
  CHECK(limiter.Allow(kT0 + milliseconds(100), kA) == Verdict::kLimited);
  // A steady flood gets exactly the rate: 10 over the next second.
  int allowed = 0;
  for (int ms = 101; ms <= 1100; ++ms) {
    allowed += Allowed(limiter, kT0 + milliseconds(ms), kA, 3);
  }
  CHECK(allowed == 10);
  // Quiet for burst/rate = 0.5 s: the whole burst is back, no more.
  CHECK(Allowed(limiter, kT0 + milliseconds(1600), kA, 100) == 5);
}

TEST_CASE("a limited source leaves other sources their own budget") {
  SourceRateLimiter limiter({10, 5}, 64, kKey);
  CHECK(Allowed(limiter, kT0, kA, 100) == 5);
  CHECK(Allowed(limiter, kT0, kB, 100) == 5);
  CHECK(Allowed(limiter, kT0, IpAddress::V4({192, 0, 2, 3}), 1) == 1);
}

TEST_CASE("an IPv6 source is limited by its /64") {
  SourceRateLimiter limiter({10, 5}, 64, kKey);
  std::array<uint8_t, 16> bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1};
  int allowed = 0;
  // Rotating the interface identifier buys nothing.
  for (int i = 0; i < 100; ++i) {
    bytes[15] = static_cast<uint8_t>(i);
    bytes[9] = static_cast<uint8_t>(i * 7);
    allowed += Allowed(limiter, kT0, IpAddress::V6(bytes), 1);
  }
  CHECK(allowed == 5);
  // The next /64 is another subscriber.
  bytes[7] = 2;
  CHECK(Allowed(limiter, kT0, IpAddress::V6(bytes), 100) == 5);
}

TEST_CASE("an IPv4-mapped IPv6 source is its IPv4 address") {
  SourceRateLimiter limiter({10, 5}, 64, kKey);
  const IpAddress mapped = IpAddress::V6(
      {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1});  // kA
  CHECK(Allowed(limiter, kT0, mapped, 3) == 3);
  CHECK(Allowed(limiter, kT0, kA, 100) == 2);
  // Another mapped address is another source, not the same ::ffff:0:0/64.
  const IpAddress other = IpAddress::V6(
      {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 2});
  CHECK(Allowed(limiter, kT0, other, 100) == 5);
}

TEST_CASE("rate 0 means unlimited and keeps no table") {
  SourceRateLimiter limiter({0, 5}, 64, kKey);
  CHECK(limiter.unlimited());
  CHECK(Allowed(limiter, kT0, kA, 1000) == 1000);
  CHECK(limiter.memory_bytes() == 0);
}

TEST_CASE("memory stays fixed and answers bounded under 1e5 spoofed sources") {
  constexpr size_t kSets = 64;
  SourceRateLimiter limiter({10, 5}, kSets, kKey);
  const size_t capacity = limiter.capacity();
  const size_t memory = limiter.memory_bytes();
  CHECK(capacity == kSets * SourceRateLimiter::kWays);
  int allowed = 0;
  int table_full = 0;
  for (uint32_t i = 0; i < 100'000; ++i) {
    const IpAddress source = IpAddress::V4(0x0A000000u + i);  // 10.0.0.0/8
    switch (limiter.Allow(kT0, source)) {
      case Verdict::kAllowed:
        ++allowed;
        break;
      case Verdict::kTableFull:
        ++table_full;
        break;
      case Verdict::kLimited:
        break;
    }
  }
  CHECK(limiter.capacity() == capacity);
  CHECK(limiter.memory_bytes() == memory);
  // Each entry can hold one source; a source's first request takes one
  // answer of its burst, and no fresh bucket is made once the table is full:
  // at one instant at most `capacity` sources are answered.
  CHECK(allowed == static_cast<int>(capacity));
  CHECK(table_full == 100'000 - static_cast<int>(capacity));
  CHECK(limiter.busy(kT0) == capacity);
  // Once the buckets refill (burst / rate = 0.5 s) new sources get in again.
  CHECK(limiter.busy(kT0 + milliseconds(500)) == 0);
  CHECK(Allowed(limiter, kT0 + milliseconds(500), IpAddress::V4(0x0B000001u),
                1) == 1);
}

TEST_CASE("a source already in the table keeps its budget when its set fills") {
  // One set: every source collides.
  SourceRateLimiter limiter({10, 5}, 1, kKey);
  CHECK(Allowed(limiter, kT0, kA, 1) == 1);
  for (uint32_t i = 0; i < SourceRateLimiter::kWays - 1; ++i) {
    CHECK(Allowed(limiter, kT0, IpAddress::V4(0x0A000000u + i), 1) == 1);
  }
  CHECK(limiter.Allow(kT0, kB) == Verdict::kTableFull);
  // kA is still tracked with 4 answers left, not a fresh 5.
  CHECK(Allowed(limiter, kT0, kA, 100) == 4);
}

}  // namespace
}  // namespace turnpike::core
