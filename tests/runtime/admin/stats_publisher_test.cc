// The per-worker half of the stats board on a real libuv loop: a first
// snapshot at start, the events counted, and the loop lag measured when
// the loop is held up.
#include "runtime/stats_publisher.h"

#include <doctest/doctest.h>
#include <uv.h>

#include <chrono>
#include <thread>

namespace turnpike::runtime {
namespace {

struct Loop {
  Loop() { REQUIRE(uv_loop_init(&loop) == 0); }
  ~Loop() {
    uv_run(&loop, UV_RUN_DEFAULT);  // runs the close callbacks
    CHECK(uv_loop_close(&loop) == 0);
  }
  uv_loop_t loop;
};

TEST_CASE("the stats publisher publishes at once and counts events") {
  Loop loop;
  StatsSlot slot;
  CHECK(slot.Read() == nullptr);
  StatsPublisher publisher(&slot, {.worker = 3});
  int fills = 0;
  REQUIRE(publisher
              .Start(&loop.loop,
                     [&](const StatsPublisherOptions&, WorkerSnapshot& s) {
                       ++fills;
                       s.relay_sockets = 42;
                     })
              .ok());
  std::shared_ptr<const WorkerSnapshot> first = slot.Read();
  REQUIRE(first != nullptr);
  CHECK(first->worker == 3);
  CHECK(first->relay_sockets == 42);
  CHECK(first->events.allocations_created == 0);

  core::AllocationDeleted deleted;
  deleted.reason = core::DeleteReason::kClientDeleted;
  deleted.counters.bytes_to_peer = 500;
  publisher.Count(core::AllocationCreated{});
  publisher.Count(deleted);
  publisher.Count(core::AuthVerdict{
      .subject = {}, .method = 3, .outcome = core::AuthOutcome::kStaleNonce});
  publisher.PublishNow();
  std::shared_ptr<const WorkerSnapshot> second = slot.Read();
  CHECK(second->events.allocations_created == 1);
  CHECK(second->events.allocations_deleted[static_cast<size_t>(
            core::DeleteReason::kClientDeleted)] == 1);
  CHECK(second->events.relayed_by_deleted.bytes_to_peer == 500);
  CHECK(second->events
            .auth[static_cast<size_t>(core::AuthOutcome::kStaleNonce)] == 1);
  // A reader's snapshot is its own: publishing again does not change it.
  CHECK(first->events.allocations_created == 0);
  CHECK(fills == 2);
  publisher.Stop();
}

TEST_CASE("the stats publisher reports a loop held up as loop lag") {
  Loop loop;
  StatsSlot slot;
  StatsPublisher publisher(
      &slot, {.tick = absl::Milliseconds(10), .ticks_per_publish = 2});
  REQUIRE(publisher.Start(&loop.loop, {}).ok());
  CHECK(slot.Read()->loop_lag == absl::ZeroDuration());
  // Work that holds the loop for 200 ms, as a burst of packets would.
  uv_timer_t busy;
  uv_timer_init(&loop.loop, &busy);
  uv_timer_start(
      &busy,
      [](uv_timer_t*) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      },
      1, 0);
  // The stats timer is unref'd: the loop runs while `busy` or the
  // deadline timer below is alive, and each publish replaces the slot.
  uv_timer_t deadline;
  uv_timer_init(&loop.loop, &deadline);
  deadline.data = &slot;
  uv_timer_start(
      &deadline, [](uv_timer_t* t) { uv_stop(t->loop); }, 500, 0);
  absl::Duration lag;
  for (int i = 0; i < 1000 && lag < absl::Milliseconds(100); ++i) {
    if (uv_run(&loop.loop, UV_RUN_ONCE) == 0) break;
    lag = std::max(lag, slot.Read()->loop_lag);
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&deadline))) break;
  }
  CHECK(lag >= absl::Milliseconds(100));
  publisher.Stop();
  uv_close(reinterpret_cast<uv_handle_t*>(&busy), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
}

}  // namespace
}  // namespace turnpike::runtime
