#include "cli/derived_limits.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace turnpike::cli {
namespace {

uint32_t Clamp32(uint64_t value) {
  return static_cast<uint32_t>(
      std::min<uint64_t>(value, std::numeric_limits<uint32_t>::max()));
}

std::string Limit(uint64_t value, std::string_view unit = "") {
  return value == 0 ? std::string("unlimited")
                    : absl::StrCat(value, std::string(unit));
}

}  // namespace

AllocationCapacity DeriveAllocationCapacity(uint32_t ports, int relay_families,
                                            size_t listeners,
                                            uint64_t open_files,
                                            int addresses_per_family) {
  AllocationCapacity capacity;
  capacity.by_ports =
      Clamp32(uint64_t{ports} * 3 / 4 *
              static_cast<uint64_t>(std::max(addresses_per_family, 1)));
  const uint64_t reserved = kReservedDescriptors + listeners;
  const uint64_t budget = open_files > reserved ? open_files - reserved : 0;
  const uint64_t families = std::max(relay_families, 1);
  capacity.by_descriptors = Clamp32(budget * 3 / 4 / families);
  // 0 would mean unlimited: a host that cannot hold one allocation still
  // gets a limit of 1 (and its 508s say why in the log line).
  capacity.total =
      std::max<uint32_t>(1, std::min(capacity.by_ports, capacity.by_descriptors));
  return capacity;
}

uint32_t DeriveConnectionsPerIp(size_t listeners, uint64_t open_files) {
  const uint64_t reserved = kReservedDescriptors + listeners;
  const uint64_t budget = open_files > reserved ? open_files - reserved : 0;
  return Clamp32(std::clamp<uint64_t>(budget / 16, 1, kDefaultIpQuota));
}

EffectiveLimits ApplyDerivedLimits(Settings& settings, uint64_t open_files) {
  const runtime::RelayOptions& relay = settings.worker.relay;
  const int families = (relay.ipv4 ? 1 : 0) + (relay.ipv6 ? 1 : 0);
  // The fewest addresses of a relayed family (issue 10).
  int per_family = 0;
  for (const auto& [first, is_v4] :
       {std::pair{&relay.ipv4, true}, std::pair{&relay.ipv6, false}}) {
    if (!*first) continue;
    const int count = 1 + static_cast<int>(std::count_if(
                              relay.more.begin(), relay.more.end(),
                              [v4 = is_v4](const runtime::RelayAddress& more) {
                                return more.bind.is_v4() == v4;
                              }));
    per_family = per_family == 0 ? count : std::min(per_family, count);
  }
  const AllocationCapacity capacity = DeriveAllocationCapacity(
      uint32_t{relay.max_port} - relay.min_port + 1, families,
      settings.worker.listeners.size(), open_files, per_family);
  std::string total;
  if (settings.max_allocations_given) {
    total = absl::StrCat(Limit(settings.quotas.total), " (configured)");
  } else {
    settings.quotas.total = capacity.total;
    total = absl::StrCat(
        capacity.total, " (derived: ", capacity.by_ports, " by relay ports ",
        relay.min_port, "-", relay.max_port,
        per_family > 1
            ? absl::StrCat(" on ", per_family, " addresses per family")
            : std::string(),
        ", ", capacity.by_descriptors, " by ", open_files, " open files for ",
        families, families == 1 ? " family" : " families", ")");
  }
  const uint32_t per_ip =
      DeriveConnectionsPerIp(settings.worker.listeners.size(), open_files);
  std::string connections;
  if (settings.max_connections_per_ip_given) {
    connections = absl::StrCat(
        Limit(settings.worker.transport.max_connections_per_ip),
        " (configured)");
  } else {
    settings.worker.transport.max_connections_per_ip = per_ip;
    connections = absl::StrCat(per_ip, " (derived from ", open_files,
                               " open files)");
  }
  const core::ServerConfig& server = settings.worker.server;
  EffectiveLimits out;
  out.derived_max_allocations = capacity.total;
  out.derived_connections_per_ip = per_ip;
  out.summary = absl::StrCat(
      "limits: max-allocations ", total, ", user-quota ",
      Limit(settings.quotas.per_user), ", ip-quota ",
      Limit(settings.quotas.per_client_ip), ", bandwidth ",
      Limit(server.bandwidth_bytes_per_second, " B/s"),
      " per allocation, unauthenticated-rate ",
      Limit(server.unauthenticated_rate, "/s"),
      server.unauthenticated_rate == 0
          ? std::string()
          : absl::StrCat(" per source (burst ", server.unauthenticated_burst,
                         ")"),
      ", max-connections-per-ip ", connections);
  return out;
}

}  // namespace turnpike::cli
