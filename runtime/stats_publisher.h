// The per-worker half of the stats board (runtime/stats_board.h): a timer
// on the worker's loop that measures how late the loop runs it (loop lag)
// and, once per period, has the worker fill a fresh WorkerSnapshot,
// adds the event counts and the lag, and publishes it into the slot.
// Everything here runs on the worker's thread; only the slot is shared.
#ifndef TURNPIKE_RUNTIME_STATS_PUBLISHER_H_
#define TURNPIKE_RUNTIME_STATS_PUBLISHER_H_

#include <uv.h>

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/events.h"
#include "runtime/stats_board.h"

namespace turnpike::runtime {

struct StatsPublisherOptions {
  int worker = 0;
  // At most this many live allocations are copied into each snapshot.
  size_t max_listed_allocations = 100;
  // Gather per-user sums (--metrics-per-user).
  bool per_user = false;
  // The lag timer's tick, and how many ticks make one publish period.
  absl::Duration tick = absl::Milliseconds(250);
  int ticks_per_publish = 4;
};

class StatsPublisher {
 public:
  // Fills what only the worker knows (counters, live allocations).
  using Fill =
      std::function<void(const StatsPublisherOptions&, WorkerSnapshot&)>;

  // `slot` is borrowed and must outlive the publisher.
  StatsPublisher(StatsSlot* slot, StatsPublisherOptions options)
      : slot_(slot), options_(options) {}
  ~StatsPublisher();
  StatsPublisher(const StatsPublisher&) = delete;
  StatsPublisher& operator=(const StatsPublisher&) = delete;

  // Starts the timer on `loop` and publishes a first snapshot at once, so
  // the admin endpoint has numbers as soon as the worker serves.
  absl::Status Start(uv_loop_t* loop, Fill fill);
  // Closes the timer (from the loop's thread); the last snapshot stays.
  void Stop();

  // Every lifecycle event the worker executes.
  void Count(const core::Event& event) { events_.Count(event); }
  void PublishNow();

 private:
  static void OnTick(uv_timer_t* handle);

  StatsSlot* slot_;
  StatsPublisherOptions options_;
  Fill fill_;
  EventCounts events_;
  uv_timer_t* timer_ = nullptr;  // freed by its close callback
  uint64_t expected_ns_ = 0;     // when the next tick is due (uv_hrtime)
  uint64_t max_lag_ns_ = 0;      // over the current period
  int ticks_ = 0;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_STATS_PUBLISHER_H_
