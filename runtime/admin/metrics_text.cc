#include "runtime/admin/metrics_text.h"

#include <cstdint>
#include <initializer_list>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/events.h"
#include "core/stats.h"
#include "core/stun/constants.h"
#include "core/types.h"
#include "core/util/absl_compat.h"

namespace turnpike::runtime::admin {
namespace {

using Labels = std::initializer_list<std::pair<std::string_view, std::string>>;

// Writes families one after another: HELP and TYPE once, then samples.
class Writer {
 public:
  void Family(std::string_view name, std::string_view type,
              std::string_view help) {
    name_ = std::string(name);
    absl::StrAppend(&out_, "# HELP ", ToAbsl(name), " ", ToAbsl(help),
                    "\n# TYPE ", ToAbsl(name), " ", ToAbsl(type), "\n");
  }
  void Sample(uint64_t value, Labels labels = {}) {
    Name(labels);
    absl::StrAppend(&out_, " ", value, "\n");
  }
  void Sample(double value, Labels labels = {}) {
    Name(labels);
    absl::StrAppend(&out_, " ", value, "\n");
  }
  std::string Take() { return std::move(out_); }

 private:
  void Name(Labels labels) {
    absl::StrAppend(&out_, name_);
    if (labels.size() == 0) return;
    out_.push_back('{');
    bool first = true;
    for (const auto& [key, value] : labels) {
      if (!first) out_.push_back(',');
      first = false;
      absl::StrAppend(&out_, ToAbsl(key), "=\"", EscapeLabelValue(value), "\"");
    }
    out_.push_back('}');
  }
  std::string out_;
  std::string name_;
};

// The methods ServerStats has a slot for; the rest share "other".
std::string MethodLabel(size_t slot) {
  std::string_view name = stun::MethodName(static_cast<stun::Method>(slot));
  return name.empty() || slot == 0 ? "other" : std::string(name);
}

void PerMethod(
    Writer& w, std::string_view name, std::string_view help,
    const std::array<uint64_t, core::ServerStats::kMethodSlots>& counts) {
  w.Family(name, "counter", help);
  uint64_t other = 0;
  for (size_t slot = 0; slot < counts.size(); ++slot) {
    if (MethodLabel(slot) == "other") {
      other += counts[slot];
    } else {
      w.Sample(counts[slot], {{"method", MethodLabel(slot)}});
    }
  }
  w.Sample(other, {{"method", "other"}});
}

void Stream(Writer& w, std::string_view transport, const StreamStats& s) {
  w.Sample(s.closed_idle,
           {{"transport", std::string(transport)}, {"reason", "idle"}});
  w.Sample(s.closed_framing_error, {{"transport", std::string(transport)},
                                    {"reason", "framing_error"}});
  w.Sample(s.closed_handshake_timeout, {{"transport", std::string(transport)},
                                        {"reason", "handshake_timeout"}});
  w.Sample(s.closed_secure_session, {{"transport", std::string(transport)},
                                     {"reason", "secure_session"}});
  w.Sample(s.closed_by_client,
           {{"transport", std::string(transport)}, {"reason", "by_client"}});
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string RenderMetrics(const Snapshots& snapshots,
                          const MetricsOptions& options) {
  const Totals t = Sum(snapshots);
  Writer w;

  w.Family("turnpike_workers", "gauge",
           "Workers that published a stats snapshot.");
  w.Sample(uint64_t{t.workers});

  w.Family("turnpike_allocations", "gauge",
           "Live TURN allocations by the client's transport.");
  for (core::Transport transport :
       {core::Transport::kUdp, core::Transport::kTcp, core::Transport::kTls,
        core::Transport::kDtls}) {
    w.Sample(t.live.allocations_by_transport[static_cast<size_t>(transport)],
             {{"transport", std::string(core::TransportName(transport))}});
  }
  w.Family("turnpike_permissions", "gauge", "Live permissions.");
  w.Sample(t.live.permissions);
  w.Family("turnpike_channels", "gauge", "Live channel bindings.");
  w.Sample(t.live.channels);
  w.Family("turnpike_relay_sockets", "gauge",
           "Relay sockets open (UDP relays and RFC 6062 TCP listeners).");
  w.Sample(t.relay_sockets);

  w.Family("turnpike_allocations_created_total", "counter",
           "Allocations created.");
  w.Sample(t.events.allocations_created);
  w.Family("turnpike_allocations_deleted_total", "counter",
           "Allocations deleted, by reason.");
  for (size_t i = 0; i < EventCounts::kDeleteReasons; ++i) {
    w.Sample(t.events.allocations_deleted[i],
             {{"reason", std::string(core::DeleteReasonName(
                             static_cast<core::DeleteReason>(i)))}});
  }
  w.Family("turnpike_allocation_errors_total", "counter",
           "Authenticated Allocates that could not be granted.");
  w.Sample(t.events.allocation_errors);
  w.Family("turnpike_permissions_created_total", "counter",
           "Permissions created.");
  w.Sample(t.events.permissions_created);
  w.Family("turnpike_channels_created_total", "counter",
           "Channel bindings created.");
  w.Sample(t.events.channels_created);

  PerMethod(w, "turnpike_requests_total", "STUN/TURN requests, by method.",
            t.server.requests);
  PerMethod(w, "turnpike_indications_total",
            "STUN/TURN indications, by method.", t.server.indications);
  PerMethod(w, "turnpike_success_responses_total",
            "Success responses sent, by method.", t.server.success_responses);
  w.Family("turnpike_error_responses_total", "counter",
           "Error responses sent, by error code (codes seen so far).");
  for (size_t i = 0; i < t.server.error_responses.size(); ++i) {
    if (t.server.error_responses[i] == 0) continue;
    w.Sample(t.server.error_responses[i], {{"code", absl::StrCat(300 + i)}});
  }

  w.Family("turnpike_auth_verdicts_total", "counter",
           "Authentication verdicts, by outcome.");
  for (size_t i = 0; i < EventCounts::kAuthOutcomes; ++i) {
    w.Sample(t.events.auth[i],
             {{"outcome", std::string(core::AuthOutcomeName(
                              static_cast<core::AuthOutcome>(i)))}});
  }

  w.Family("turnpike_relayed_packets_total", "counter",
           "Packets relayed, each way.");
  w.Sample(t.relayed.packets_to_peer, {{"direction", "to_peer"}});
  w.Sample(t.relayed.packets_to_client, {{"direction", "to_client"}});
  w.Family("turnpike_relayed_bytes_total", "counter",
           "Payload bytes relayed, each way (UDP relays and RFC 6062 "
           "splices).");
  w.Sample(t.relayed.bytes_to_peer + t.spliced_bytes_client_to_peer,
           {{"direction", "to_peer"}});
  w.Sample(t.relayed.bytes_to_client + t.spliced_bytes_peer_to_client,
           {{"direction", "to_client"}});

  w.Family("turnpike_drops_total", "counter",
           "Inputs dropped without an answer, by reason.");
  for (size_t i = 0; i < static_cast<size_t>(core::DropReason::kCount); ++i) {
    w.Sample(t.server.drops[i],
             {{"reason", std::string(core::DropReasonName(
                             static_cast<core::DropReason>(i)))}});
  }
  w.Sample(t.datagrams_truncated, {{"reason", "truncated"}});
  w.Sample(t.send_would_block, {{"reason", "send_would_block"}});
  w.Sample(t.send_queue_full + t.tcp.queue_drops + t.tls.queue_drops,
           {{"reason", "send_queue_full"}});
  w.Sample(t.send_errors, {{"reason", "send_error"}});
  w.Sample(t.receive_errors, {{"reason", "receive_error"}});

  w.Family("turnpike_datagrams_received_total", "counter",
           "Datagrams and stream messages received from clients and peers.");
  w.Sample(t.datagrams_received);
  w.Family("turnpike_received_bytes_total", "counter", "Bytes received.");
  w.Sample(t.bytes_received);
  w.Family("turnpike_datagrams_sent_total", "counter",
           "Datagrams and stream messages sent.");
  w.Sample(t.datagrams_sent);
  w.Family("turnpike_sent_bytes_total", "counter", "Bytes sent.");
  w.Sample(t.bytes_sent);

  w.Family("turnpike_connections", "gauge",
           "Client connections open, by transport (DTLS: associations).");
  w.Sample(t.tcp_connections, {{"transport", "tcp"}});
  w.Sample(t.tls_connections, {{"transport", "tls"}});
  w.Sample(t.dtls_associations, {{"transport", "dtls"}});
  w.Family("turnpike_connections_accepted_total", "counter",
           "Client connections accepted, by transport.");
  w.Sample(t.tcp.accepted, {{"transport", "tcp"}});
  w.Sample(t.tls.accepted, {{"transport", "tls"}});
  w.Sample(t.dtls.opened, {{"transport", "dtls"}});
  w.Family("turnpike_connections_refused_total", "counter",
           "Client connections refused by max-connections-per-ip.");
  w.Sample(t.tcp.refused_by_limit, {{"transport", "tcp"}});
  w.Sample(t.tls.refused_by_limit, {{"transport", "tls"}});
  w.Sample(t.dtls.refused_by_limit, {{"transport", "dtls"}});
  w.Family("turnpike_connections_closed_total", "counter",
           "Client connections closed, by transport and reason.");
  Stream(w, "tcp", t.tcp);
  Stream(w, "tls", t.tls);
  w.Sample(t.dtls.closed_idle, {{"transport", "dtls"}, {"reason", "idle"}});
  w.Sample(t.dtls.closed_handshake_timeout,
           {{"transport", "dtls"}, {"reason", "handshake_timeout"}});
  w.Sample(t.dtls.closed_secure_session,
           {{"transport", "dtls"}, {"reason", "secure_session"}});
  w.Sample(t.dtls.closed_by_client,
           {{"transport", "dtls"}, {"reason", "by_client"}});

  w.Family("turnpike_loop_lag_seconds", "gauge",
           "How late each worker's loop ran its stats timer, at most, over "
           "the last second.");
  for (const auto& s : snapshots) {
    w.Sample(absl::ToDoubleSeconds(s->loop_lag),
             {{"worker", absl::StrCat(s->worker)}});
  }

  if (options.per_user) {
    w.Family("turnpike_user_allocations", "gauge",
             "Live allocations, by username.");
    for (const auto& [user, totals] : t.users) {
      w.Sample(totals.allocations, {{"user", user}});
    }
    w.Family("turnpike_user_live_relayed_bytes", "gauge",
             "Bytes relayed by a user's live allocations, each way.");
    for (const auto& [user, totals] : t.users) {
      w.Sample(totals.bytes_to_peer,
               {{"user", user}, {"direction", "to_peer"}});
      w.Sample(totals.bytes_to_client,
               {{"user", user}, {"direction", "to_client"}});
    }
  }
  return w.Take();
}

}  // namespace turnpike::runtime::admin
