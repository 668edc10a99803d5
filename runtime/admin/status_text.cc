#include "runtime/admin/status_text.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/types.h"
#include "core/util/absl_compat.h"

namespace turnpike::runtime::admin {
namespace {

constexpr std::string_view kTruncated = "... (truncated)\n";

std::string Summary(const Snapshots& snapshots, const ProcessInfo& process,
                    absl::Time now) {
  const Totals t = Sum(snapshots);
  std::string out = absl::StrCat(
      "turnpike ", process.version, ", up ",
      absl::ToInt64Seconds(now - process.started), " s, ", t.workers,
      " workers\nallocations ", t.live.allocations, " (udp ",
      t.live.allocations_by_transport[0], ", tcp ",
      t.live.allocations_by_transport[1], ", tls ",
      t.live.allocations_by_transport[2], ", dtls ",
      t.live.allocations_by_transport[3], ")\npermissions ", t.live.permissions,
      "\nchannels ", t.live.channels, "\nconnections tcp ", t.tcp_connections,
      ", tls ", t.tls_connections, ", dtls ", t.dtls_associations,
      "\nrelayed packets ", t.relayed.packets_to_peer, " to peers, ",
      t.relayed.packets_to_client, " to clients\n");
  for (const auto& s : snapshots) {
    absl::StrAppend(
        &out, "worker ", s->worker, " loop lag ",
        absl::FormatDuration(absl::Trunc(s->loop_lag, absl::Microseconds(1))),
        "\n");
  }
  return out;
}

std::string Allocations(const Snapshots& snapshots) {
  const Totals t = Sum(snapshots);
  std::string out = absl::StrCat(t.live.allocations, " allocations\n");
  for (const auto& s : snapshots) {
    for (const LiveAllocation& a : s->allocations) {
      absl::StrAppend(&out, a.five_tuple.client.ToString(), " ",
                      ToAbsl(core::TransportName(a.five_tuple.transport)),
                      " user=", TerminalSafe(a.username), " relayed=");
      for (size_t i = 0; i < a.relayed.size(); ++i) {
        absl::StrAppend(&out, i ? "," : "", a.relayed[i].ToString());
      }
      absl::StrAppend(&out, " left=", absl::ToInt64Seconds(a.lifetime_left),
                      "s perms=", a.permissions, " chans=", a.channels,
                      " bytes=", a.counters.bytes_to_peer, "/",
                      a.counters.bytes_to_client, "\n");
    }
  }
  return out;
}

}  // namespace

std::string TerminalSafe(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = '?';
  }
  return out;
}

std::string RenderStatusText(std::string_view keyword,
                             const Snapshots& snapshots,
                             const ProcessInfo& process, absl::Time now,
                             const MetricsOptions& metrics, size_t max_bytes) {
  keyword = FromAbsl(absl::StripAsciiWhitespace(ToAbsl(keyword)));
  std::string out;
  if (keyword == "status") {
    out = Summary(snapshots, process, now);
  } else if (keyword == "turn") {
    out = Allocations(snapshots);
  } else if (keyword == "metrics") {
    out = RenderMetrics(snapshots, metrics);
  } else {
    out = "unknown keyword; send one of: status turn metrics\n";
  }
  if (out.size() > max_bytes) {
    const size_t keep =
        max_bytes > kTruncated.size() ? max_bytes - kTruncated.size() : 0;
    out.resize(keep);
    // Cut at a line's end, so no half line is mistaken for a whole one.
    const size_t last_line = out.rfind('\n');
    out.resize(last_line == std::string::npos ? 0 : last_line + 1);
    if (max_bytes >= kTruncated.size()) out.append(kTruncated);
  }
  return out;
}

}  // namespace turnpike::runtime::admin
