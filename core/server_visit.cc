// Server::VisitAllocations: the read-only enumeration behind metrics and
// the status page. It copies values out and changes nothing, so it may run
// between any two inputs.
#include <algorithm>
#include <cstddef>
#include <vector>

#include "core/server.h"

namespace turnpike::core {

LiveTotals Server::VisitAllocations(
    MonoTime now, size_t max,
    absl::FunctionRef<void(const AllocationView&)> visit) const {
  LiveTotals totals;
  // Sums in any order; the ids of the listed ones sorted, so the same
  // allocations are listed every time: O(n log max), not O(n log n).
  std::vector<turn::AllocationId> ids;
  ids.reserve(table_.size());
  table_.ForEachUnordered([&](const turn::Allocation& allocation) {
    // An unanswered allocation is not live yet: its relay is still opening.
    if (!allocation.answered) return;
    ids.push_back(allocation.id);
    ++totals.allocations;
    totals.permissions += allocation.permissions.size();
    totals.channels += allocation.channels.size();
    ++totals.allocations_by_transport[static_cast<size_t>(
        allocation.five_tuple.transport)];
    totals.counters.packets_to_peer += allocation.counters.packets_to_peer;
    totals.counters.bytes_to_peer += allocation.counters.bytes_to_peer;
    totals.counters.packets_to_client += allocation.counters.packets_to_client;
    totals.counters.bytes_to_client += allocation.counters.bytes_to_client;
    totals.counters.dropped_over_bandwidth +=
        allocation.counters.dropped_over_bandwidth;
  });
  const size_t listed = std::min(max, ids.size());
  std::partial_sort(ids.begin(), ids.begin() + static_cast<ptrdiff_t>(listed),
                    ids.end());
  for (size_t i = 0; i < listed; ++i) {
    const turn::Allocation& allocation = table_.Get(ids[i]);
    AllocationView view;
    view.five_tuple = allocation.five_tuple;
    view.username = allocation.username;
    view.realm = allocation.realm;
    view.relay_transport = allocation.relay_transport;
    for (const turn::Relay& relay : allocation.relays) {
      if (relay.state == turn::RelayState::kOpen) {
        view.relayed.push_back(relay.address);
      }
    }
    view.lifetime_left =
        allocation.expiry > now ? allocation.expiry - now : Duration{};
    view.permissions = allocation.permissions.size();
    view.channels = allocation.channels.size();
    view.counters = allocation.counters;
    visit(view);
  }
  return totals;
}

}  // namespace turnpike::core
