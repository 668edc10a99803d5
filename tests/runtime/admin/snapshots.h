// Hand-made worker snapshots for the admin renderer and handler tests.
#ifndef TURNPIKE_TESTS_RUNTIME_ADMIN_SNAPSHOTS_H_
#define TURNPIKE_TESTS_RUNTIME_ADMIN_SNAPSHOTS_H_

#include <memory>
#include <string>

#include "runtime/admin/totals.h"
#include "runtime/stats_board.h"

namespace turnpike::runtime::admin::testing {

inline LiveAllocation Allocation(std::string username) {
  LiveAllocation a;
  a.five_tuple.client = *TransportAddress::Parse("192.0.2.10:40000");
  a.five_tuple.server = *TransportAddress::Parse("198.51.100.1:3478");
  a.username = std::move(username);
  a.realm = "example.org";
  a.relayed = {*TransportAddress::Parse("203.0.113.5:50000")};
  a.lifetime_left = absl::Seconds(590);
  a.permissions = 2;
  a.channels = 1;
  a.counters.bytes_to_peer = 1000;
  a.counters.bytes_to_client = 2000;
  return a;
}

// Worker `worker` with `udp` live UDP allocations, one listed per name.
inline std::shared_ptr<const WorkerSnapshot> Worker(
    int worker, uint64_t udp, std::vector<std::string> listed = {}) {
  auto s = std::make_shared<WorkerSnapshot>();
  s->worker = worker;
  s->taken = absl::FromUnixSeconds(1'800'000'000);
  s->live.allocations = udp;
  s->live.allocations_by_transport[0] = udp;
  s->live.permissions = 2 * udp;
  s->live.channels = udp;
  s->live.counters.packets_to_peer = 10;
  s->live.counters.bytes_to_peer = 1000;
  s->events.allocations_created = udp + 1;
  s->events.allocations_deleted[0] = 1;  // expired
  s->events.relayed_by_deleted.packets_to_peer = 5;
  s->events.auth[0] = 7;      // accepted
  s->server.requests[3] = 4;  // Allocate
  s->server.error_responses[401 - 300] = 2;
  s->tcp_connections = 1;
  s->loop_lag = absl::Milliseconds(2);
  for (std::string& name : listed) {
    s->allocations.push_back(Allocation(std::move(name)));
    UserTotals& user = s->users[s->allocations.back().username];
    ++user.allocations;
    user.bytes_to_peer += 1000;
  }
  return s;
}

inline const ProcessInfo kProcess{"9.9.9",
                                  absl::FromUnixSeconds(1'799'999'000)};
inline const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

}  // namespace turnpike::runtime::admin::testing

#endif  // TURNPIKE_TESTS_RUNTIME_ADMIN_SNAPSHOTS_H_
