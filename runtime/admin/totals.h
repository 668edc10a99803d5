// The sum of every worker's snapshot: what /metrics, /status and the
// status page report for the process as a whole.
#ifndef TURNPIKE_RUNTIME_ADMIN_TOTALS_H_
#define TURNPIKE_RUNTIME_ADMIN_TOTALS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/stats_board.h"

namespace turnpike::runtime::admin {

using Snapshots = std::vector<std::shared_ptr<const WorkerSnapshot>>;

struct Totals {
  size_t workers = 0;
  core::ServerStats server;
  EventCounts events;
  core::LiveTotals live;
  // Relayed since start: the deleted allocations' and the live ones'.
  core::RelayCounters relayed;
  uint64_t tcp_connections = 0;
  uint64_t tls_connections = 0;
  uint64_t dtls_associations = 0;
  uint64_t relay_sockets = 0;
  uint64_t datagrams_received = 0;
  uint64_t bytes_received = 0;
  uint64_t datagrams_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t send_would_block = 0;
  uint64_t send_queue_full = 0;
  uint64_t send_errors = 0;
  uint64_t receive_errors = 0;
  uint64_t datagrams_truncated = 0;
  StreamStats tcp;
  StreamStats tls;
  DtlsStats dtls;
  uint64_t spliced_bytes_client_to_peer = 0;
  uint64_t spliced_bytes_peer_to_client = 0;
  std::map<std::string, UserTotals> users;
};

Totals Sum(const Snapshots& snapshots);

}  // namespace turnpike::runtime::admin

#endif  // TURNPIKE_RUNTIME_ADMIN_TOTALS_H_
