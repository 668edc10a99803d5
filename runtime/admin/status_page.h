// The human status page, after restund's: "/" lists the subsystems with a
// line each, "/turn" lists the live allocations. `?r=N` adds a meta
// refresh every N seconds (clamped to [kMinRefresh, kMaxRefresh]).
// Everything that came from a client (usernames, realms) is HTML-escaped.
#ifndef TURNPIKE_RUNTIME_ADMIN_STATUS_PAGE_H_
#define TURNPIKE_RUNTIME_ADMIN_STATUS_PAGE_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "runtime/admin/status_json.h"
#include "runtime/admin/totals.h"

namespace turnpike::runtime::admin {

inline constexpr int kMinRefresh = 1;
inline constexpr int kMaxRefresh = 3600;

// The refresh period a query string asks for ("r=N" among '&'-separated
// pairs), clamped; nullopt when there is none or it is not a number.
std::optional<int> RefreshFromQuery(std::string_view query);

std::string HtmlEscape(std::string_view text);

std::string RenderIndexPage(const Snapshots& snapshots,
                            const ProcessInfo& process, absl::Time now,
                            std::optional<int> refresh);
std::string RenderTurnPage(const Snapshots& snapshots,
                           std::optional<int> refresh);

}  // namespace turnpike::runtime::admin

#endif  // TURNPIKE_RUNTIME_ADMIN_STATUS_PAGE_H_
