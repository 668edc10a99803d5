// What a worker publishes about itself for the admin endpoint: a snapshot
// of its counters and live state, taken on the worker's loop about once a
// second and swapped whole into a StatsSlot that the admin threads read.
// The worker never waits on a reader: a reader holds its own shared_ptr to
// an immutable snapshot, and the next publish swaps in a new one.
//
// One slot per worker; the admin endpoint takes the list of slots and sums
// (runtime/admin/). The per-worker part is self-contained: a worker fills a
// WorkerSnapshot (Worker::FillSnapshot) and its StatsPublisher
// (runtime/stats_publisher.h) adds the event counts and loop lag.
#ifndef TURNPIKE_RUNTIME_STATS_BOARD_H_
#define TURNPIKE_RUNTIME_STATS_BOARD_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/allocation_view.h"
#include "core/events.h"
#include "core/stats.h"
#include "core/types.h"
#include "runtime/runtime_stats.h"

namespace turnpike::runtime {

// Counted from the core's lifecycle events (core/events.h), per worker,
// since start.
struct EventCounts {
  static constexpr size_t kDeleteReasons = 5;  // core::DeleteReason
  static constexpr size_t kAuthOutcomes = 8;   // core::AuthOutcome
  uint64_t allocations_created = 0;
  std::array<uint64_t, kDeleteReasons> allocations_deleted{};
  uint64_t allocation_errors = 0;
  std::array<uint64_t, kAuthOutcomes> auth{};
  uint64_t permissions_created = 0;
  uint64_t permissions_deleted = 0;
  uint64_t channels_created = 0;
  uint64_t channels_deleted = 0;
  // What allocations relayed before they were deleted; the live ones'
  // share is in WorkerSnapshot::live.counters.
  core::RelayCounters relayed_by_deleted;

  void Count(const core::Event& event);
};

// One live allocation, copied out for the status page.
struct LiveAllocation {
  core::FiveTuple five_tuple;
  std::string username;
  std::string realm;
  core::Transport relay_transport = core::Transport::kUdp;
  std::vector<TransportAddress> relayed;
  absl::Duration lifetime_left;
  uint64_t permissions = 0;
  uint64_t channels = 0;
  core::RelayCounters counters;
};

// Per-user sums, only gathered behind --metrics-per-user (unbounded labels).
struct UserTotals {
  uint64_t allocations = 0;
  uint64_t bytes_to_peer = 0;
  uint64_t bytes_to_client = 0;
};

struct WorkerSnapshot {
  int worker = 0;
  absl::Time taken;
  RuntimeStats runtime;
  core::ServerStats server;
  EventCounts events;
  core::LiveTotals live;
  // Client connections open now, by transport (UDP has none: its
  // allocations are in live.allocations_by_transport).
  uint64_t tcp_connections = 0;
  uint64_t tls_connections = 0;
  uint64_t dtls_associations = 0;
  uint64_t relay_sockets = 0;
  // How late the loop ran a timer, at most, over the last publish period:
  // the time a packet may wait behind other work.
  absl::Duration loop_lag;
  // The oldest live allocations, at most the publisher's bound;
  // live.allocations says how many there are in all.
  std::vector<LiveAllocation> allocations;
  // Empty unless per-user metrics are on; at most kMaxUsers entries.
  std::map<std::string, UserTotals> users;
  static constexpr size_t kMaxUsers = 10000;
};

// The hand-over point between one worker and the admin threads.
class StatsSlot {
 public:
  void Publish(std::shared_ptr<const WorkerSnapshot> snapshot) {
    slot_.store(std::move(snapshot), std::memory_order_release);
  }
  // nullptr until the worker published once.
  std::shared_ptr<const WorkerSnapshot> Read() const {
    return slot_.load(std::memory_order_acquire);
  }

 private:
  std::atomic<std::shared_ptr<const WorkerSnapshot>> slot_;
};

// Snapshots of every worker that has published, in worker order.
std::vector<std::shared_ptr<const WorkerSnapshot>> ReadAll(
    const std::vector<StatsSlot*>& slots);

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_STATS_BOARD_H_
