#include "runtime/admin/status_page.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/types.h"
#include "core/util/absl_compat.h"

namespace turnpike::runtime::admin {
namespace {

std::string Head(std::string_view title, std::optional<int> refresh) {
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>",
      HtmlEscape(title), "</title>\n");
  if (refresh) {
    absl::StrAppend(&out, "<meta http-equiv=\"refresh\" content=\"", *refresh,
                    "\">\n");
  }
  absl::StrAppend(&out,
                  "<style>body{font-family:monospace}"
                  "td,th{padding:0 1em;text-align:left}</style>\n"
                  "</head><body>\n");
  return out;
}

std::string RefreshNote(std::optional<int> refresh) {
  return refresh ? absl::StrCat("<p id=\"refresh\">refreshing every ", *refresh,
                                " s</p>\n")
                 : std::string();
}

// Keeps the refresh when following links.
std::string Link(std::string_view path, std::optional<int> refresh) {
  return refresh ? absl::StrCat(ToAbsl(path), "?r=", *refresh)
                 : std::string(path);
}

}  // namespace

std::optional<int> RefreshFromQuery(std::string_view query) {
  for (absl::string_view pair : absl::StrSplit(ToAbsl(query), '&')) {
    if (!absl::ConsumePrefix(&pair, "r=")) continue;
    int64_t seconds = 0;
    if (!absl::SimpleAtoi(pair, &seconds)) return std::nullopt;
    return static_cast<int>(
        std::clamp<int64_t>(seconds, kMinRefresh, kMaxRefresh));
  }
  return std::nullopt;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        // Control characters would only confuse a reader of the page.
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "&#xFFFD;";
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string RenderIndexPage(const Snapshots& snapshots,
                            const ProcessInfo& process, absl::Time now,
                            std::optional<int> refresh) {
  const Totals t = Sum(snapshots);
  std::string out = Head("turnpike status", refresh);
  absl::StrAppend(
      &out, "<h1>turnpike ", HtmlEscape(process.version), "</h1>\n",
      RefreshNote(refresh), "<p>up ",
      absl::ToInt64Seconds(now - process.started),
      " s</p>\n<table>\n<tr><th>subsystem</th><th>state</th></tr>\n");
  absl::StrAppend(&out, "<tr><td><a href=\"", Link("/turn", refresh),
                  "\">turn</a></td><td>", t.live.allocations, " allocations, ",
                  t.live.permissions, " permissions, ", t.live.channels,
                  " channels</td></tr>\n");
  absl::StrAppend(&out, "<tr><td>connections</td><td>tcp ", t.tcp_connections,
                  ", tls ", t.tls_connections, ", dtls ", t.dtls_associations,
                  "</td></tr>\n");
  absl::StrAppend(&out, "<tr><td>relay</td><td>", t.relayed.packets_to_peer,
                  " packets to peers, ", t.relayed.packets_to_client,
                  " to clients</td></tr>\n");
  for (const auto& s : snapshots) {
    absl::StrAppend(
        &out, "<tr><td>worker ", s->worker, "</td><td>", s->live.allocations,
        " allocations, loop lag ",
        absl::FormatDuration(absl::Trunc(s->loop_lag, absl::Microseconds(1))),
        "</td></tr>\n");
  }
  absl::StrAppend(&out,
                  "<tr><td><a href=\"/metrics\">metrics</a></td>"
                  "<td>Prometheus text format</td></tr>\n"
                  "<tr><td><a href=\"/status\">status</a></td>"
                  "<td>JSON</td></tr>\n</table>\n</body></html>\n");
  return out;
}

std::string RenderTurnPage(const Snapshots& snapshots,
                           std::optional<int> refresh) {
  const Totals t = Sum(snapshots);
  size_t listed = 0;
  for (const auto& s : snapshots) listed += s->allocations.size();
  std::string out = Head("turnpike allocations", refresh);
  absl::StrAppend(&out, "<h1>TURN allocations</h1>\n", RefreshNote(refresh),
                  "<p><a href=\"", Link("/", refresh), "\">back</a></p>\n",
                  "<p id=\"count\">", t.live.allocations, " live, ", listed,
                  " listed</p>\n<table>\n<tr><th>client</th><th>transport</th>"
                  "<th>username</th><th>realm</th><th>relayed</th>"
                  "<th>lifetime left</th><th>permissions</th>"
                  "<th>channels</th><th>bytes to peer</th>"
                  "<th>bytes to client</th></tr>\n");
  for (const auto& s : snapshots) {
    for (const LiveAllocation& a : s->allocations) {
      std::string relayed;
      for (const TransportAddress& r : a.relayed) {
        if (!relayed.empty()) relayed += " ";
        relayed += r.ToString();
      }
      absl::StrAppend(
          &out, "<tr><td>", HtmlEscape(a.five_tuple.client.ToString()),
          "</td><td>", ToAbsl(core::TransportName(a.five_tuple.transport)),
          "</td><td class=\"username\">", HtmlEscape(a.username), "</td><td>",
          HtmlEscape(a.realm), "</td><td>", HtmlEscape(relayed), "</td><td>",
          absl::ToInt64Seconds(a.lifetime_left), " s</td><td>", a.permissions,
          "</td><td>", a.channels, "</td><td>", a.counters.bytes_to_peer,
          "</td><td>", a.counters.bytes_to_client, "</td></tr>\n");
    }
  }
  absl::StrAppend(&out, "</table>\n</body></html>\n");
  return out;
}

}  // namespace turnpike::runtime::admin
