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
    const auto elapsed_us = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - last_)
            .count());
    const uint64_t missing = rate_ - tokens_;
    // Below one second, rate (< 2^40) times microseconds (< 2^20) fits in
    // 64 bits.
    const uint64_t earned = elapsed_us >= kMicrosPerSecond
                                ? rate_
                                : rate_ * elapsed_us / kMicrosPerSecond;
    if (earned >= missing) {
      tokens_ = rate_;
      last_ = now;
    } else if (earned > 0) {
      tokens_ += earned;
      // Advance only by the time those tokens took (rounded up), so the
      // fraction of the next token already accrued is not thrown away.
      const uint64_t spent_us = (earned * kMicrosPerSecond + rate_ - 1) / rate_;
      last_ += std::chrono::microseconds(std::min(spent_us, elapsed_us));
    }
  }
  if (bytes > tokens_) return false;
  tokens_ -= bytes;
  return true;
}

}  // namespace turnpike::core::turn
