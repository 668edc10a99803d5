// Server::VisitAllocations: the read-only enumeration behind metrics and
// the status page. It copies values out and changes nothing, so it may run
// between any two inputs.
#include "core/server.h"

namespace turnpike::core {

LiveTotals Server::VisitAllocations(
    MonoTime now, size_t max,
    absl::FunctionRef<void(const AllocationView&)> visit) const {
  LiveTotals totals;
  size_t visited = 0;
  for (turn::AllocationId id : table_.IdsInOrder()) {
    const turn::Allocation& allocation = table_.Get(id);
    // An unanswered allocation is not live yet: its relay is still opening.
    if (!allocation.answered) continue;
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
    if (visited >= max) continue;
    ++visited;
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
