// A token bucket over relayed bytes: the per-allocation bandwidth cap
// (coturn's max-bps). Time comes from the caller; the bucket reads no clock.
#ifndef TURNPIKE_CORE_TURN_TOKEN_BUCKET_H_
#define TURNPIKE_CORE_TURN_TOKEN_BUCKET_H_

#include <cstddef>
#include <cstdint>

#include "core/types.h"

namespace turnpike::core::turn {

class TokenBucket {
 public:
  static constexpr uint64_t kMaxRate = uint64_t{1} << 40;

  // Unlimited: every TryConsume succeeds.
  TokenBucket() = default;
  // `bytes_per_second` tokens arrive each second, and at most one second's
  // worth is held, so a burst is bounded by the rate. Starts full.
  // Rates above kMaxRate (1 TiB/s) are treated as kMaxRate.
  TokenBucket(uint64_t bytes_per_second, MonoTime now);

  // Takes `bytes` tokens if the bucket holds that many at `now`; otherwise
  // takes none (the packet is dropped whole, never cut).
  bool TryConsume(MonoTime now, size_t bytes);

  bool unlimited() const { return rate_ == 0; }

 private:
  uint64_t rate_ = 0;     // bytes per second; 0 = unlimited
  uint64_t tokens_ = 0;   // ≤ rate_
  uint64_t residue_ = 0;  // token-microseconds not yet a whole token
  MonoTime last_{};
};

}  // namespace turnpike::core::turn

#endif  // TURNPIKE_CORE_TURN_TOKEN_BUCKET_H_
