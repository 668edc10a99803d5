// runtime/loop_watchdog.h: the watchdog pings only once every loop has run
// its probe, a stuck loop withholds the pings (so systemd restarts the
// service), and a stuck loop is not sent a probe per tick. The "loops" here
// are stand-ins: one runs each task at once, the other keeps them until
// the test releases it. Every wait is bounded.
#include "runtime/loop_watchdog.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace turnpike::runtime {
namespace {

// Polls `done` every millisecond for at most five seconds.
bool Eventually(const std::function<bool()>& done) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A loop that has stopped answering: it keeps what is posted to it.
struct StuckLoop {
  std::mutex mutex;
  std::vector<std::function<void()>> tasks;
  size_t Pending() {
    std::lock_guard<std::mutex> lock(mutex);
    return tasks.size();
  }
  // The loop comes back and runs what waited.
  void RunPending() {
    std::vector<std::function<void()>> run;
    {
      std::lock_guard<std::mutex> lock(mutex);
      run.swap(tasks);
    }
    for (auto& task : run) task();
  }
};

PostToLoop Immediate() {
  return [](std::function<void()> task) { task(); };
}

PostToLoop To(StuckLoop& loop) {
  return [&loop](std::function<void()> task) {
    std::lock_guard<std::mutex> lock(loop.mutex);
    loop.tasks.push_back(std::move(task));
  };
}

TEST_CASE("the watchdog pings at its interval while every loop answers") {
  std::atomic<int> pings{0};
  std::atomic<int> stalls{0};
  LoopWatchdog watchdog({absl::Milliseconds(5),
                         {Immediate(), Immediate()},
                         [&] { ++pings; },
                         [&](absl::Duration) { ++stalls; }});
  watchdog.Start();
  CHECK(Eventually([&] { return pings.load() >= 3; }));
  watchdog.Stop();
  CHECK(stalls.load() == 0);
}

TEST_CASE("a stuck loop withholds the pings until it answers") {
  StuckLoop stuck;
  std::atomic<int> pings{0};
  std::atomic<int> stalls{0};
  std::atomic<int64_t> longest_wait_ms{0};
  LoopWatchdog watchdog({absl::Milliseconds(5),
                         {Immediate(), To(stuck)},
                         [&] { ++pings; },
                         [&](absl::Duration waited) {
                           longest_wait_ms = absl::ToInt64Milliseconds(waited);
                           ++stalls;
                         }});
  watchdog.Start();
  // Three ticks found the round unanswered...
  REQUIRE(Eventually([&] { return stalls.load() >= 3; }));
  // ...so no ping went out, and the stuck loop holds one probe, not one
  // per tick.
  CHECK(pings.load() == 0);
  CHECK(stuck.Pending() == 1);
  CHECK(longest_wait_ms.load() >= 5);
  // The loop answers: the ping follows, and the rounds resume.
  stuck.RunPending();
  CHECK(pings.load() == 1);
  CHECK(Eventually([&] { return stuck.Pending() == 1; }));
  watchdog.Stop();
  // A probe still queued when the watchdog stops may run later, harmlessly.
  stuck.RunPending();
}

TEST_CASE("stopping the watchdog ends its thread promptly") {
  std::atomic<int> pings{0};
  // An interval far longer than the test: Stop must not wait it out.
  LoopWatchdog watchdog(
      {absl::Hours(1), {Immediate()}, [&] { ++pings; }, nullptr});
  watchdog.Start();
  REQUIRE(Eventually([&] { return pings.load() == 1; }));
  const auto before = std::chrono::steady_clock::now();
  watchdog.Stop();
  CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(5));
}

}  // namespace
}  // namespace turnpike::runtime
