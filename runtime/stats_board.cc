#include "runtime/stats_board.h"

#include <type_traits>
#include <variant>

namespace turnpike::runtime {

namespace {
template <typename T>
constexpr size_t Index(T value) {
  return static_cast<size_t>(static_cast<std::underlying_type_t<T>>(value));
}
void Add(core::RelayCounters& sum, const core::RelayCounters& more) {
  sum.packets_to_peer += more.packets_to_peer;
  sum.bytes_to_peer += more.bytes_to_peer;
  sum.packets_to_client += more.packets_to_client;
  sum.bytes_to_client += more.bytes_to_client;
  sum.dropped_over_bandwidth += more.dropped_over_bandwidth;
}
}  // namespace

// The arrays are sized by the enums' last values.
static_assert(Index(core::DeleteReason::kShutdown) + 1 ==
              EventCounts::kDeleteReasons);
static_assert(Index(core::AuthOutcome::kMissingCredentials) + 1 ==
              EventCounts::kAuthOutcomes);

void EventCounts::Count(const core::Event& event) {
  if (const auto* verdict = std::get_if<core::AuthVerdict>(&event)) {
    const size_t i = Index(verdict->outcome);
    if (i < auth.size()) ++auth[i];
  } else if (std::holds_alternative<core::AllocationCreated>(event)) {
    ++allocations_created;
  } else if (const auto* deleted =
                 std::get_if<core::AllocationDeleted>(&event)) {
    const size_t i = Index(deleted->reason);
    if (i < allocations_deleted.size()) ++allocations_deleted[i];
    Add(relayed_by_deleted, deleted->counters);
  } else if (std::holds_alternative<core::AllocationError>(event)) {
    ++allocation_errors;
  } else if (std::holds_alternative<core::PermissionCreated>(event)) {
    ++permissions_created;
  } else if (std::holds_alternative<core::PermissionDeleted>(event)) {
    ++permissions_deleted;
  } else if (std::holds_alternative<core::ChannelCreated>(event)) {
    ++channels_created;
  } else if (std::holds_alternative<core::ChannelDeleted>(event)) {
    ++channels_deleted;
  }
}

std::vector<std::shared_ptr<const WorkerSnapshot>> ReadAll(
    const std::vector<StatsSlot*>& slots) {
  std::vector<std::shared_ptr<const WorkerSnapshot>> out;
  out.reserve(slots.size());
  for (const StatsSlot* slot : slots) {
    if (std::shared_ptr<const WorkerSnapshot> s = slot->Read()) {
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace turnpike::runtime
