// The per-allocation bandwidth cap's token bucket.
#include "core/turn/token_bucket.h"

#include <doctest/doctest.h>

namespace turnpike::core::turn {
namespace {

const MonoTime kT0 = MonoTime(std::chrono::seconds(1000));
using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST_CASE("unlimited takes everything") {
  TokenBucket bucket;
  CHECK(bucket.unlimited());
  CHECK(bucket.TryConsume(kT0, 1u << 30));
}

TEST_CASE(
    "starts full with one second's worth and a refused packet takes none") {
  TokenBucket bucket(1000, kT0);
  CHECK(bucket.TryConsume(kT0, 700));
  CHECK_FALSE(bucket.TryConsume(kT0, 301));
  CHECK(bucket.TryConsume(kT0, 300));
  CHECK_FALSE(bucket.TryConsume(kT0, 1));
}

TEST_CASE("refills at the rate, never beyond one second's worth") {
  TokenBucket bucket(1000, kT0);
  CHECK(bucket.TryConsume(kT0, 1000));
  CHECK(bucket.TryConsume(kT0 + milliseconds(250), 250));
  CHECK_FALSE(bucket.TryConsume(kT0 + milliseconds(250), 1));
  CHECK(bucket.TryConsume(kT0 + std::chrono::seconds(100), 1000));
  CHECK_FALSE(bucket.TryConsume(kT0 + std::chrono::seconds(100), 1));
}

TEST_CASE("many small refills add up: fractions of a token are kept") {
  // 3 bytes/s: a token every 333.3 ms. Asking every 100 ms must still give
  // 3 tokens per second, not 0 (rounding each refill down would starve it).
  TokenBucket bucket(3, kT0);
  CHECK(bucket.TryConsume(kT0, 3));
  int granted = 0;
  for (int i = 1; i <= 100; ++i) {
    if (bucket.TryConsume(kT0 + milliseconds(100 * i), 1)) ++granted;
  }
  CHECK(granted == 30);
}

TEST_CASE("huge rates are clamped, not overflowed") {
  TokenBucket bucket(UINT64_MAX, kT0);
  CHECK(bucket.TryConsume(kT0, TokenBucket::kMaxRate));
  CHECK(bucket.TryConsume(kT0 + microseconds(999'999), 1));
}

}  // namespace
}  // namespace turnpike::core::turn
