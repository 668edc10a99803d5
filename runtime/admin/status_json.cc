#include "runtime/admin/status_json.h"

#include <nlohmann/json.hpp>

#include "core/events.h"
#include "core/stats.h"
#include "core/types.h"

namespace turnpike::runtime::admin {
namespace {

using nlohmann::json;

json Relayed(const core::RelayCounters& c) {
  return {{"packets_to_peer", c.packets_to_peer},
          {"bytes_to_peer", c.bytes_to_peer},
          {"packets_to_client", c.packets_to_client},
          {"bytes_to_client", c.bytes_to_client}};
}

json Allocation(const LiveAllocation& a) {
  json relayed = json::array();
  for (const TransportAddress& r : a.relayed) relayed.push_back(r.ToString());
  return {{"client", a.five_tuple.client.ToString()},
          {"server", a.five_tuple.server.ToString()},
          {"transport", core::TransportName(a.five_tuple.transport)},
          {"relay_transport", core::TransportName(a.relay_transport)},
          {"username", a.username},
          {"realm", a.realm},
          {"relayed", relayed},
          {"lifetime_left_seconds", absl::ToInt64Seconds(a.lifetime_left)},
          {"permissions", a.permissions},
          {"channels", a.channels},
          {"relayed_counts", Relayed(a.counters)}};
}

}  // namespace

std::string RenderStatusJson(const Snapshots& snapshots,
                             const ProcessInfo& process, absl::Time now) {
  const Totals t = Sum(snapshots);
  json deleted = json::object();
  for (size_t i = 0; i < EventCounts::kDeleteReasons; ++i) {
    deleted[std::string(core::DeleteReasonName(
        static_cast<core::DeleteReason>(i)))] = t.events.allocations_deleted[i];
  }
  json auth = json::object();
  for (size_t i = 0; i < EventCounts::kAuthOutcomes; ++i) {
    auth[std::string(core::AuthOutcomeName(
        static_cast<core::AuthOutcome>(i)))] = t.events.auth[i];
  }
  json drops = json::object();
  for (size_t i = 0; i < static_cast<size_t>(core::DropReason::kCount); ++i) {
    drops[std::string(core::DropReasonName(static_cast<core::DropReason>(i)))] =
        t.server.drops[i];
  }
  json workers = json::array();
  json allocations = json::array();
  for (const auto& s : snapshots) {
    workers.push_back(
        {{"worker", s->worker},
         {"allocations", s->live.allocations},
         {"loop_lag_seconds", absl::ToDoubleSeconds(s->loop_lag)},
         {"snapshot_age_seconds", absl::ToDoubleSeconds(now - s->taken)}});
    for (const LiveAllocation& a : s->allocations) {
      allocations.push_back(Allocation(a));
    }
  }
  json doc = {
      {"version", process.version},
      {"uptime_seconds", absl::ToInt64Seconds(now - process.started)},
      {"workers", workers},
      {"allocations",
       {{"live", t.live.allocations},
        {"by_transport",
         {{"udp", t.live.allocations_by_transport[0]},
          {"tcp", t.live.allocations_by_transport[1]},
          {"tls", t.live.allocations_by_transport[2]},
          {"dtls", t.live.allocations_by_transport[3]}}},
        {"created", t.events.allocations_created},
        {"deleted", deleted},
        {"errors", t.events.allocation_errors}}},
      {"permissions", t.live.permissions},
      {"channels", t.live.channels},
      {"auth", auth},
      {"relayed", Relayed(t.relayed)},
      {"drops", drops},
      {"connections",
       {{"tcp", t.tcp_connections},
        {"tls", t.tls_connections},
        {"dtls", t.dtls_associations}}},
      // The oldest live allocations, at most a bounded number per worker.
      {"allocation_list", allocations},
  };
  // Usernames and realms come from clients: invalid UTF-8 is replaced,
  // never thrown on.
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace turnpike::runtime::admin
