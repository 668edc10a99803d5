// /status: the process's state as one JSON document (nlohmann-json), for
// scripts and dashboards: totals, per-worker figures and the oldest live
// allocations.
#ifndef TURNPIKE_RUNTIME_ADMIN_STATUS_JSON_H_
#define TURNPIKE_RUNTIME_ADMIN_STATUS_JSON_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "runtime/admin/totals.h"

namespace turnpike::runtime::admin {

struct ProcessInfo {
  std::string version;
  absl::Time started;
};

std::string RenderStatusJson(const Snapshots& snapshots,
                             const ProcessInfo& process, absl::Time now);

}  // namespace turnpike::runtime::admin

#endif  // TURNPIKE_RUNTIME_ADMIN_STATUS_JSON_H_
