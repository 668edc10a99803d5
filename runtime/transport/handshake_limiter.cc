#include "runtime/transport/handshake_limiter.h"

#include "core/util/check.h"

namespace turnpike::runtime {

bool HandshakeLimiter::TryAcquire() {
  uint32_t current = in_progress_.load(std::memory_order_relaxed);
  // A compare-and-swap, not fetch_add then undo: the count never shows
  // more than the limit, even for a moment another thread could act on.
  while (current < limit_) {
    if (in_progress_.compare_exchange_weak(current, current + 1,
                                           std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

void HandshakeLimiter::Release() {
  const uint32_t before =
      in_progress_.fetch_sub(1, std::memory_order_relaxed);
  TURNPIKE_CHECK(before > 0, "a DTLS handshake slot released twice");
}

}  // namespace turnpike::runtime
