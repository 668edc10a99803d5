// Worker::FillSnapshot: the worker's side of the stats board
// (runtime/stats_board.h). Runs on the loop, between inputs, about once a
// second; it reads and copies, and changes nothing.
#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "runtime/clock.h"
#include "runtime/worker.h"

namespace turnpike::runtime {

void Worker::FillSnapshot(const StatsPublisherOptions& options,
                          WorkerSnapshot& snapshot) const {
  snapshot.runtime = stats_;
  snapshot.relay_sockets = relay_socket_count();
  for (const auto& [id, connection] : connections_) {
    if (connection->transport() == core::Transport::kTls) {
      ++snapshot.tls_connections;
    } else {
      ++snapshot.tcp_connections;
    }
  }
  snapshot.dtls_associations = associations_.size();
  if (server_ == nullptr) return;
  snapshot.server = server_->stats();
  const core::MonoTime now = StampNow().mono;
  // Per-user sums need every allocation; the list only the first few.
  const size_t visit =
      options.per_user ? SIZE_MAX : options.max_listed_allocations;
  snapshot.allocations.reserve(
      std::min(options.max_listed_allocations, server_->allocation_count()));
  snapshot.live = server_->VisitAllocations(
      now, visit, [&](const core::AllocationView& view) {
        if (options.per_user &&
            (snapshot.users.size() < WorkerSnapshot::kMaxUsers ||
             snapshot.users.contains(std::string(view.username)))) {
          UserTotals& user = snapshot.users[std::string(view.username)];
          ++user.allocations;
          user.bytes_to_peer += view.counters.bytes_to_peer;
          user.bytes_to_client += view.counters.bytes_to_client;
        }
        if (snapshot.allocations.size() >= options.max_listed_allocations) {
          return;
        }
        LiveAllocation& live = snapshot.allocations.emplace_back();
        live.five_tuple = view.five_tuple;
        live.username = std::string(view.username);
        live.realm = std::string(view.realm);
        live.relay_transport = view.relay_transport;
        live.relayed.assign(view.relayed.begin(), view.relayed.end());
        live.lifetime_left = absl::FromChrono(view.lifetime_left);
        live.permissions = view.permissions;
        live.channels = view.channels;
        live.counters = view.counters;
      });
}

}  // namespace turnpike::runtime
