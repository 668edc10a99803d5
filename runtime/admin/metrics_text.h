// /metrics: the Prometheus text exposition format (version 0.0.4) of every
// worker's snapshot, summed, plus one loop-lag gauge per worker.
#ifndef TURNPIKE_RUNTIME_ADMIN_METRICS_TEXT_H_
#define TURNPIKE_RUNTIME_ADMIN_METRICS_TEXT_H_

#include <string>
#include <string_view>

#include "runtime/admin/totals.h"

namespace turnpike::runtime::admin {

struct MetricsOptions {
  // Per-user series (--metrics-per-user): one label value per user with a
  // live allocation, so unbounded; off by default.
  bool per_user = false;
};

std::string RenderMetrics(const Snapshots& snapshots,
                          const MetricsOptions& options);

// A label value as the format wants it: backslash, double quote and line
// feed escaped.
std::string EscapeLabelValue(std::string_view value);

}  // namespace turnpike::runtime::admin

#endif  // TURNPIKE_RUNTIME_ADMIN_METRICS_TEXT_H_
