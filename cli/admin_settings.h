// The admin endpoint's settings (admin-listen, admin-token,
// admin-token-file, admin-max-requests-per-ip, metrics-per-user,
// status-udp) and the check that keeps it from running open.
#ifndef TURNPIKE_CLI_ADMIN_SETTINGS_H_
#define TURNPIKE_CLI_ADMIN_SETTINGS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "core/net/transport_address.h"

namespace turnpike::cli {

struct AdminSettings {
  // Off unless given.
  std::optional<TransportAddress> listen;
  // Required as "Authorization: Bearer <token>" when not empty.
  std::string token;
  uint32_t max_requests_per_ip = 2;
  bool metrics_per_user = false;
  std::optional<TransportAddress> status_udp;
};

// Refuses an admin endpoint that other hosts can reach without a token
// (the status page shows usernames and addresses, /reload and /drain act),
// and a UDP status socket off loopback (its answers amplify). The message
// names the setting and the fix.
absl::Status CheckAdminSettings(const AdminSettings& admin);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_ADMIN_SETTINGS_H_
