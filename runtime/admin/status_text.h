// Plain-text status for the UDP status socket (restund's style: a keyword
// in, text out, for netcat): "status" a summary, "turn" the live
// allocations, "metrics" the Prometheus text. Bounded to max_bytes.
#ifndef TURNPIKE_RUNTIME_ADMIN_STATUS_TEXT_H_
#define TURNPIKE_RUNTIME_ADMIN_STATUS_TEXT_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "runtime/admin/metrics_text.h"
#include "runtime/admin/status_json.h"
#include "runtime/admin/totals.h"

namespace turnpike::runtime::admin {

std::string RenderStatusText(std::string_view keyword,
                             const Snapshots& snapshots,
                             const ProcessInfo& process, absl::Time now,
                             const MetricsOptions& metrics, size_t max_bytes);

// Client-supplied text made safe for a terminal: control bytes become '?'.
std::string TerminalSafe(std::string_view text);

}  // namespace turnpike::runtime::admin

#endif  // TURNPIKE_RUNTIME_ADMIN_STATUS_TEXT_H_
