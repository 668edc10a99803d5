#include "core/turn/token_bucket.h"

#include <algorithm>
#include <chrono>

namespace turnpike::core::turn {

namespace {
constexpr uint64_t kMicrosPerSecond = 1'000'000;
}  // namespace

TokenBucket::TokenBucket(uint64_t bytes_per_second, MonoTime now)
    : rate_(std::min(bytes_per_second, kMaxRate)), tokens_(rate_), last_(now) {}

bool TokenBucket::TryConsume(MonoTime now, size_t bytes) {
  if (rate_ == 0) return true;
  if (now > last_) {
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::microseconds>(now - last_);
    const auto elapsed_us = static_cast<uint64_t>(elapsed.count());
    if (elapsed_us >= kMicrosPerSecond) {
      tokens_ = rate_;
      residue_ = 0;
      last_ = now;
    } else {
      // Whole microseconds only; the nanoseconds left stay on the clock.
      last_ += elapsed;
      // Token-microseconds: exact, so many small refills add up to the
      // rate (rate < 2^40 and elapsed < 2^20 fit in 64 bits).
      residue_ += rate_ * elapsed_us;
      const uint64_t earned = residue_ / kMicrosPerSecond;
      residue_ %= kMicrosPerSecond;
      tokens_ = std::min(rate_, tokens_ + earned);
      if (tokens_ == rate_) residue_ = 0;  // a full bucket earns nothing
    }
  }
  if (bytes > tokens_) return false;
  tokens_ -= bytes;
  return true;
}

}  // namespace turnpike::core::turn
