#include "runtime/worker_summary.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/stats.h"
#include "core/stun/constants.h"
#include "core/util/absl_compat.h"
#include "runtime/log.h"

namespace turnpike::runtime {
namespace {

void Add(StreamStats& sum, const StreamStats& one) {
  sum.accepted += one.accepted;
  sum.refused_by_limit += one.refused_by_limit;
  sum.closed_idle += one.closed_idle;
  sum.closed_framing_error += one.closed_framing_error;
  sum.closed_handshake_timeout += one.closed_handshake_timeout;
  sum.queue_drops += one.queue_drops;
}

}  // namespace

void LogListening(const Worker& worker) {
  const std::vector<TransportAddress> addresses = worker.listening_addresses();
  const std::vector<core::Transport> transports = worker.listening_transports();
  std::vector<std::string> named;
  for (size_t i = 0; i < addresses.size(); ++i) {
    named.push_back(absl::StrCat(ToAbsl(core::TransportName(transports[i])),
                                 " ", addresses[i].ToString()));
  }
  LogInfo(absl::StrCat("listening on ", absl::StrJoin(named, ", ")));
}

std::vector<uint64_t> AllocationsPerWorker(
    absl::Span<const Worker* const> workers) {
  std::vector<uint64_t> out;
  for (const Worker* worker : workers) {
    out.push_back(
        worker->server_stats().success_responses[core::ServerStats::MethodSlot(
            static_cast<uint16_t>(stun::Method::kAllocate))]);
  }
  return out;
}

void LogStopSummary(absl::Span<const Worker* const> workers) {
  uint64_t received = 0, sent = 0, failed = 0, withheld = 0;
  uint64_t peers_connected = 0, connects_failed = 0, peers_accepted = 0;
  uint64_t to_peers = 0, to_clients = 0;
  uint64_t handed_off = 0, handoffs_refused = 0;
  StreamStats tcp, tls;
  for (const Worker* worker : workers) {
    const RuntimeStats& s = worker->stats();
    const core::ServerStats& core_stats = worker->server_stats();
    received += s.datagrams_received;
    sent += s.datagrams_sent;
    failed += s.send_would_block + s.send_queue_full + s.send_errors +
              s.send_no_socket;
    withheld += core_stats.dropped(core::DropReason::kUnauthenticatedLimited) +
                core_stats.dropped(core::DropReason::kUnauthenticatedTableFull);
    peers_connected += s.peer_connects_succeeded;
    connects_failed += s.peer_connects_failed;
    peers_accepted += s.peer_connections_accepted;
    to_peers += s.spliced_bytes_client_to_peer;
    to_clients += s.spliced_bytes_peer_to_client;
    handed_off += s.connections_handed_off;
    handoffs_refused += s.connection_handoffs_refused;
    Add(tcp, s.tcp);
    Add(tls, s.tls);
  }
  LogInfo(absl::StrCat("stopped: ", received, " datagrams received, ", sent,
                       " sent, ", failed, " sends failed, ", withheld,
                       " unauthenticated answers withheld"));
  LogInfo(absl::StrCat(workers.size(),
                       workers.size() == 1 ? " worker" : " workers",
                       "; allocations granted per worker: ",
                       absl::StrJoin(AllocationsPerWorker(workers), ", ")));
  // RFC 6062 relays, when any peer connection was made.
  if (peers_accepted + peers_connected + connects_failed > 0) {
    LogInfo(absl::StrCat(
        "tcp relays: ", peers_connected, " peers connected, ", connects_failed,
        " connects failed, ", peers_accepted, " peers accepted, ", to_peers,
        " bytes spliced to peers, ", to_clients, " to clients"));
  }
  // RFC 6062 across workers (runtime/worker_connection_handoff.cc).
  if (handed_off + handoffs_refused > 0) {
    LogInfo(absl::StrCat("ConnectionBind across workers: ", handed_off,
                         " connections handed to the worker of their "
                         "CONNECTION-ID, ",
                         handoffs_refused, " closed (TLS cannot move)"));
  }
  for (const auto& [name, counts] :
       {std::pair<const char*, const StreamStats&>{"tcp", tcp}, {"tls", tls}}) {
    if (counts.accepted + counts.refused_by_limit == 0) continue;
    LogInfo(absl::StrCat(
        name, " clients: ", counts.accepted, " accepted, ",
        counts.refused_by_limit, " refused by max-connections-per-ip, ",
        counts.closed_idle, " closed idle, ", counts.closed_framing_error,
        " closed for bad framing, ", counts.closed_handshake_timeout,
        " closed in their handshake, ", counts.queue_drops,
        " messages dropped on a full write queue"));
  }
}

}  // namespace turnpike::runtime
