// Starts what cli/admin_settings.h configures: the admin HTTP endpoint and
// the UDP status socket, over the workers' stats slots. Stopping is
// destroying the returned object (before the slots and callbacks go).
#ifndef TURNPIKE_CLI_ADMIN_ENDPOINT_H_
#define TURNPIKE_CLI_ADMIN_ENDPOINT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/admin_settings.h"
#include "runtime/admin/admin_handler.h"
#include "runtime/admin/admin_server.h"
#include "runtime/admin/status_udp.h"
#include "runtime/stats_board.h"

namespace turnpike::cli {

struct AdminHooks {
  std::string version;
  absl::Time started;
  // POST /reload: the same as SIGHUP.
  std::function<absl::Status()> reload;
  // POST /drain: 501 while empty.
  std::function<absl::Status()> drain;
};

class AdminEndpoint {
 public:
  // nullptr when neither admin-listen nor status-udp is set. Logs the
  // addresses bound ("admin: listening on http://..."). `slots` are
  // borrowed, one per worker.
  static absl::StatusOr<std::unique_ptr<AdminEndpoint>> Start(
      const AdminSettings& settings, std::vector<runtime::StatsSlot*> slots,
      AdminHooks hooks);

 private:
  AdminEndpoint() = default;
  // Destroyed in reverse: the server before the handler it calls.
  std::unique_ptr<runtime::admin::AdminHandler> handler_;
  std::unique_ptr<runtime::admin::AdminServer> server_;
  std::unique_ptr<runtime::admin::StatusUdp> status_udp_;
};

// Whether any of it is configured (the workers publish stats only then).
inline bool AdminWanted(const AdminSettings& settings) {
  return settings.listen.has_value() || settings.status_udp.has_value();
}

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_ADMIN_ENDPOINT_H_
