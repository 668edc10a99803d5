// runtime::HandshakeLimiter, the max-dtls-handshakes count every worker
// of a process shares: threads racing for the last slots get exactly the
// limit between them. Built with the TSan preset in CI (label multiworker).
#include "runtime/transport/handshake_limiter.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace turnpike::runtime {
namespace {

TEST_CASE("the DTLS handshake cap holds exactly across racing threads") {
  constexpr uint32_t kLimit = 100;
  constexpr int kThreads = 4;
  constexpr int kTriesEach = 1000;
  HandshakeLimiter limiter(kLimit);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kTriesEach; ++i) {
        if (limiter.TryAcquire()) granted.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(granted.load() == static_cast<int>(kLimit));
  CHECK(limiter.in_progress() == kLimit);
  CHECK_FALSE(limiter.TryAcquire());

  // Each finished handshake frees exactly one slot.
  limiter.Release();
  CHECK(limiter.in_progress() == kLimit - 1);
  CHECK(limiter.TryAcquire());
  CHECK_FALSE(limiter.TryAcquire());
  for (uint32_t i = 0; i < kLimit; ++i) limiter.Release();
  CHECK(limiter.in_progress() == 0);
}

}  // namespace
}  // namespace turnpike::runtime
