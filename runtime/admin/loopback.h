// Whether an address is this host's own loopback (127.0.0.0/8, ::1, or
// ::ffff:127.0.0.0/104): where the admin endpoint and the UDP status may
// answer without a token.
#ifndef TURNPIKE_RUNTIME_ADMIN_LOOPBACK_H_
#define TURNPIKE_RUNTIME_ADMIN_LOOPBACK_H_

#include "core/net/transport_address.h"

namespace turnpike::runtime::admin {

inline bool IsLoopback(const IpAddress& address) {
  const IpAddress ip = address.Unmapped();
  if (ip.is_v4()) return ip.bytes()[0] == 127;
  for (int i = 0; i < 15; ++i) {
    if (ip.bytes()[i] != 0) return false;
  }
  return ip.bytes()[15] == 1;
}

}  // namespace turnpike::runtime::admin

#endif  // TURNPIKE_RUNTIME_ADMIN_LOOPBACK_H_
