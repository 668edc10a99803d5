#include "runtime/loop_watchdog.h"

#include <atomic>
#include <chrono>
#include <utility>

namespace turnpike::runtime {

// One round of probes: the loops that still have to answer, and the ping
// the last of them sends. Shared with the probes, which may outlive the
// watchdog's thread (a loop runs them later, or drops them).
struct LoopWatchdog::Round {
  std::atomic<size_t> unanswered;
  std::function<void()> ping;
  std::chrono::steady_clock::time_point posted;
};

LoopWatchdog::LoopWatchdog(Options options) : options_(std::move(options)) {}

LoopWatchdog::~LoopWatchdog() { Stop(); }

void LoopWatchdog::Start() {
  thread_ = std::thread([this] { RunThread(); });
}

void LoopWatchdog::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LoopWatchdog::RunThread() {
  std::shared_ptr<Round> round;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (round == nullptr || round->unanswered.load() == 0) {
      round = std::make_shared<Round>();
      round->unanswered = options_.loops.size();
      round->ping = options_.ping;
      round->posted = std::chrono::steady_clock::now();
      for (const PostToLoop& post : options_.loops) {
        post([round] {
          if (round->unanswered.fetch_sub(1) == 1) round->ping();
        });
      }
    } else if (options_.on_stall) {
      const absl::Duration waited =
          absl::FromChrono(std::chrono::steady_clock::now() - round->posted);
      lock.unlock();
      options_.on_stall(waited);
      lock.lock();
      if (stopping_) break;
    }
    wake_.wait_for(lock, absl::ToChronoNanoseconds(options_.interval),
                   [this] { return stopping_; });
  }
}

}  // namespace turnpike::runtime
