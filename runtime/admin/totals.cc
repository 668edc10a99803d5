#include "runtime/admin/totals.h"

namespace turnpike::runtime::admin {
namespace {

template <typename T, size_t N>
void AddArray(std::array<T, N>& sum, const std::array<T, N>& more) {
  for (size_t i = 0; i < N; ++i) sum[i] += more[i];
}

void AddRelay(core::RelayCounters& sum, const core::RelayCounters& more) {
  sum.packets_to_peer += more.packets_to_peer;
  sum.bytes_to_peer += more.bytes_to_peer;
  sum.packets_to_client += more.packets_to_client;
  sum.bytes_to_client += more.bytes_to_client;
  sum.dropped_over_bandwidth += more.dropped_over_bandwidth;
}

void AddStream(StreamStats& sum, const StreamStats& more) {
  sum.accepted += more.accepted;
  sum.refused_by_limit += more.refused_by_limit;
  sum.accept_errors += more.accept_errors;
  sum.closed_idle += more.closed_idle;
  sum.closed_framing_error += more.closed_framing_error;
  sum.closed_handshake_timeout += more.closed_handshake_timeout;
  sum.closed_secure_session += more.closed_secure_session;
  sum.closed_by_client += more.closed_by_client;
  sum.queue_drops += more.queue_drops;
}

void AddDtls(DtlsStats& sum, const DtlsStats& more) {
  sum.opened += more.opened;
  sum.dropped_not_client_hello += more.dropped_not_client_hello;
  sum.refused_handshake_cap += more.refused_handshake_cap;
  sum.refused_by_limit += more.refused_by_limit;
  sum.closed_handshake_timeout += more.closed_handshake_timeout;
  sum.closed_idle += more.closed_idle;
  sum.closed_secure_session += more.closed_secure_session;
  sum.closed_by_client += more.closed_by_client;
}

}  // namespace

Totals Sum(const Snapshots& snapshots) {
  Totals t;
  t.workers = snapshots.size();
  for (const auto& s : snapshots) {
    AddArray(t.server.requests, s->server.requests);
    AddArray(t.server.indications, s->server.indications);
    AddArray(t.server.success_responses, s->server.success_responses);
    AddArray(t.server.error_responses, s->server.error_responses);
    AddArray(t.server.drops, s->server.drops);

    t.events.allocations_created += s->events.allocations_created;
    AddArray(t.events.allocations_deleted, s->events.allocations_deleted);
    t.events.allocation_errors += s->events.allocation_errors;
    AddArray(t.events.auth, s->events.auth);
    t.events.permissions_created += s->events.permissions_created;
    t.events.permissions_deleted += s->events.permissions_deleted;
    t.events.channels_created += s->events.channels_created;
    t.events.channels_deleted += s->events.channels_deleted;
    AddRelay(t.events.relayed_by_deleted, s->events.relayed_by_deleted);

    t.live.allocations += s->live.allocations;
    t.live.permissions += s->live.permissions;
    t.live.channels += s->live.channels;
    AddArray(t.live.allocations_by_transport, s->live.allocations_by_transport);
    AddRelay(t.live.counters, s->live.counters);

    t.tcp_connections += s->tcp_connections;
    t.tls_connections += s->tls_connections;
    t.dtls_associations += s->dtls_associations;
    t.relay_sockets += s->relay_sockets;
    const RuntimeStats& r = s->runtime;
    t.datagrams_received += r.datagrams_received;
    t.bytes_received += r.bytes_received;
    t.datagrams_sent += r.datagrams_sent;
    t.bytes_sent += r.bytes_sent;
    t.send_would_block += r.send_would_block;
    t.send_queue_full += r.send_queue_full;
    t.send_errors += r.send_errors + r.send_no_socket;
    t.receive_errors += r.receive_errors;
    t.datagrams_truncated += r.datagrams_truncated;
    AddStream(t.tcp, r.tcp);
    AddStream(t.tls, r.tls);
    AddDtls(t.dtls, r.dtls);
    t.spliced_bytes_client_to_peer += r.spliced_bytes_client_to_peer;
    t.spliced_bytes_peer_to_client += r.spliced_bytes_peer_to_client;
    for (const auto& [user, totals] : s->users) {
      UserTotals& sum = t.users[user];
      sum.allocations += totals.allocations;
      sum.bytes_to_peer += totals.bytes_to_peer;
      sum.bytes_to_client += totals.bytes_to_client;
    }
  }
  t.relayed = t.events.relayed_by_deleted;
  AddRelay(t.relayed, t.live.counters);
  return t;
}

}  // namespace turnpike::runtime::admin
