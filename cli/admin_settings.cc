#include "cli/admin_settings.h"

#include "absl/strings/str_cat.h"
#include "runtime/admin/loopback.h"

namespace turnpike::cli {

absl::Status CheckAdminSettings(const AdminSettings& admin) {
  if (admin.listen && admin.token.empty() &&
      !runtime::admin::IsLoopback(admin.listen->ip)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "admin-listen ", admin.listen->ToString(),
        " can be reached from other hosts, and no admin-token is set: set "
        "admin-token-file (or admin-token), or listen on 127.0.0.1"));
  }
  if (admin.status_udp && !runtime::admin::IsLoopback(admin.status_udp->ip)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "status-udp ", admin.status_udp->ToString(),
        " is not a loopback address: the UDP status answers only this host; "
        "use 127.0.0.1:PORT (or the admin endpoint from elsewhere)"));
  }
  return absl::OkStatus();
}

}  // namespace turnpike::cli
