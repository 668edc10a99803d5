// A read-only look at the live allocations, for metrics and the status
// page (runtime/stats_board.h). Values copied out of the core's state at
// one instant; nothing here can change an allocation.
#ifndef TURNPIKE_CORE_ALLOCATION_VIEW_H_
#define TURNPIKE_CORE_ALLOCATION_VIEW_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "absl/container/inlined_vector.h"
#include "core/events.h"
#include "core/net/transport_address.h"
#include "core/types.h"

namespace turnpike::core {

// One answered allocation. The string views borrow from the Server and are
// valid only during the visit that passed them.
struct AllocationView {
  FiveTuple five_tuple;
  std::string_view username;
  std::string_view realm;
  // RFC 6062: kTcp for a TCP allocation.
  Transport relay_transport = Transport::kUdp;
  absl::InlinedVector<TransportAddress, 2> relayed;  // one per family, open
  Duration lifetime_left{};
  size_t permissions = 0;
  size_t channels = 0;
  RelayCounters counters;
};

// Sums over every answered allocation (not only the visited ones).
struct LiveTotals {
  uint64_t allocations = 0;
  uint64_t permissions = 0;
  uint64_t channels = 0;
  // By the client's transport (Transport's value as the index).
  std::array<uint64_t, 4> allocations_by_transport{};
  // What the live allocations relayed so far.
  RelayCounters counters;
};

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_ALLOCATION_VIEW_H_
