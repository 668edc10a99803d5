// The defaults of max-allocations, user-quota, ip-quota, bandwidth and
// unauthenticated-rate: limits that hold on the host turnpike runs on
// (docs/security.md, "Default limits", gives the reasoning). The total is
// derived from the relay port range and the open-file limit, so it is
// computed at start-up from inputs the caller passes in: this file reads
// no limit itself.
#ifndef TURNPIKE_CLI_DERIVED_LIMITS_H_
#define TURNPIKE_CLI_DERIVED_LIMITS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/default_limits.h"
#include "cli/settings.h"

namespace turnpike::cli {

// Descriptors kept out of the allocation budget: stdio, the log and event
// files, the event loop's own (epoll, signal pipe), the users file on
// reload, plus slack.
inline constexpr uint64_t kReservedDescriptors = 64;

struct AllocationCapacity {
  uint32_t total = 0;     // min(by_ports, by_descriptors), at least 1
  uint32_t by_ports = 0;  // 3/4 of the relay port range
  uint32_t by_descriptors = 0;
};

// `ports`: the relay port range's size (max-port - min-port + 1).
// `relay_families`: 1 or 2 (each family of an allocation is one socket; the
// two families have their own port space, so ports are counted per
// address). `listeners`: listening sockets. `open_files`: the soft
// RLIMIT_NOFILE the process runs with.
//
// Ports: random picks must keep finding a free port in 32 tries
// (runtime/worker.cc), so a quarter of the range stays free (all 32 tries
// taken: 0.75^32 ≈ 1e-4), which also covers EVEN-PORT reservations.
// Descriptors: per allocation one socket per family, and a quarter of the
// budget kept for reservations (port+1) and sockets in their close.
// Relay addresses (issue 10): each has the whole port range, so the port
// bound is multiplied by `addresses_per_family`, the fewest addresses any
// relayed family has (every allocation may ask for that family).
AllocationCapacity DeriveAllocationCapacity(uint32_t ports, int relay_families,
                                            size_t listeners,
                                            uint64_t open_files,
                                            int addresses_per_family = 1);

// max-connections-per-ip: one client IP may hold 1/16 of the descriptor
// budget (open files less the reserve and the listeners), so no single
// address can take the descriptors that relays and other clients need,
// capped at kDefaultIpQuota (one TCP connection per allocation an IP may
// hold) and at least 1.
uint32_t DeriveConnectionsPerIp(size_t listeners, uint64_t open_files);

struct EffectiveLimits {
  uint32_t derived_max_allocations = 0;  // whether or not it applies
  uint32_t derived_connections_per_ip = 0;
  // The start-up log line: every effective limit and where it came from.
  std::string summary;
};

// Puts the derived total into settings.quotas.total unless max-allocations
// was given (an explicit value, 0 = unlimited included, wins). Call after
// the relay addresses are resolved.
EffectiveLimits ApplyDerivedLimits(Settings& settings, uint64_t open_files);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_DERIVED_LIMITS_H_
