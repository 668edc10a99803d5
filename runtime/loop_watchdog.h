// Proves the serving loops alive to a watchdog (systemd's WatchdogSec):
// every `interval` a timer thread posts a probe to each loop, and the ping
// is sent from the loop that answers last, once every loop has run its
// probe. A loop stuck in a callback never runs its probe, so the pings stop
// and systemd restarts the service; no new probe is posted while one is
// outstanding, so a stuck loop does not pile them up.
//
// Its own thread rather than a uv timer so that it needs nothing from the
// loops but a way to post a task (Worker::Post), and watches one worker or
// a supervisor's N alike.
#ifndef TURNPIKE_RUNTIME_LOOP_WATCHDOG_H_
#define TURNPIKE_RUNTIME_LOOP_WATCHDOG_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/time/time.h"

namespace turnpike::runtime {

// Runs `task` on one loop, between its inputs; may drop it when the loop is
// stopping. Called from the watchdog's thread.
using PostToLoop = std::function<void(std::function<void()> task)>;

class LoopWatchdog {
 public:
  struct Options {
    absl::Duration interval;
    std::vector<PostToLoop> loops;
    // Sent on the last loop to answer a round (SystemdNotifier::WatchdogPing).
    std::function<void()> ping;
    // Called on the watchdog's thread at each tick that finds a round
    // unanswered, with how long the oldest unanswered probe has waited.
    std::function<void(absl::Duration waited)> on_stall;
  };

  explicit LoopWatchdog(Options options);
  // Stops and joins the thread.
  ~LoopWatchdog();
  LoopWatchdog(const LoopWatchdog&) = delete;
  LoopWatchdog& operator=(const LoopWatchdog&) = delete;

  // Starts the thread; the first round is posted at once.
  void Start();
  // Joins the thread. Probes already posted may still run (they hold what
  // they need); they ping only through `ping`, which must stay callable
  // until the loops stop.
  void Stop();

 private:
  struct Round;
  void RunThread();

  Options options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_LOOP_WATCHDOG_H_
