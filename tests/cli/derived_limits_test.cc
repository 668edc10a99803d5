// The host-derived default of max-allocations follows the relay port range
// and the open-file limit (passed in, never read here); an explicit value,
// 0 and "unlimited" included, wins; the fixed defaults are in place.
#include "cli/derived_limits.h"

#include <doctest/doctest.h>

#include "tests/cli/fake_inputs.h"

namespace turnpike::cli {
namespace {

using testing::Load;

// Loaded settings with an IPv4 relay address (as ResolveRelayAddresses
// leaves them) and optionally an IPv6 one.
Settings Loaded(std::vector<std::string_view> args, bool dual = false) {
  args.push_back("--relay-ip=192.0.2.10");
  if (dual) args.push_back("--relay-ip=2001:db8::10");
  absl::StatusOr<Settings> settings = Load(args);
  REQUIRE(settings.ok());
  return *std::move(settings);
}

TEST_CASE("derived max-allocations: 3/4 of the relay ports") {
  // Plenty of descriptors: the ports decide.
  const AllocationCapacity wide = DeriveAllocationCapacity(16384, 1, 2, 1 << 20);
  CHECK(wide.by_ports == 12288);
  CHECK(wide.total == 12288);
  const AllocationCapacity narrow = DeriveAllocationCapacity(1000, 1, 2, 1 << 20);
  CHECK(narrow.total == 750);
}

TEST_CASE("derived max-allocations: 3/4 of the open files left, per family") {
  // Debian's default soft limit: 1024 - 64 reserved - 2 listeners = 958.
  const AllocationCapacity one = DeriveAllocationCapacity(16384, 1, 2, 1024);
  CHECK(one.by_descriptors == 958 * 3 / 4);
  CHECK(one.total == 718);
  // Dual-stack: two sockets per allocation.
  CHECK(DeriveAllocationCapacity(16384, 2, 2, 1024).total == 718 / 2);
  // More listeners keep more descriptors back.
  CHECK(DeriveAllocationCapacity(16384, 1, 100, 1024).total ==
        (1024 - 64 - 100) * 3 / 4);
  // A limit that leaves nothing still means a limit, not unlimited (0).
  CHECK(DeriveAllocationCapacity(16384, 1, 2, 10).total == 1);
}

TEST_CASE("ApplyDerivedLimits fills max-allocations from the host") {
  Settings settings = Loaded({"--min-port=50000", "--max-port=50999"});
  const EffectiveLimits limits = ApplyDerivedLimits(settings, 1 << 20);
  CHECK(settings.quotas.total == 750);
  CHECK(limits.derived_max_allocations == 750);
  CHECK(limits.summary.find("max-allocations 750 (derived: 750 by relay "
                            "ports 50000-50999") != std::string::npos);
  // The fd limit decides on a host with few descriptors.
  Settings dual = Loaded({}, /*dual=*/true);
  ApplyDerivedLimits(dual, 1024);
  // Four default listeners: UDP and TCP, each on both families.
  CHECK(dual.quotas.total == (1024 - 64 - 4) * 3 / 4 / 2);
}

TEST_CASE(
    "derived max-allocations: the port bound grows with relay addresses") {
  // Each address has the whole range (issue 10).
  const AllocationCapacity three =
      DeriveAllocationCapacity(1000, 1, 2, 1 << 20, 3);
  CHECK(three.by_ports == 750 * 3);
  CHECK(three.total == 750 * 3);
  // Descriptors still bound it: one socket per allocation whatever the
  // address.
  CHECK(DeriveAllocationCapacity(1000, 1, 2, 1024, 3).total == 718);

  // Two IPv4 addresses: twice the range.
  Settings two =
      Loaded({"--min-port=50000", "--max-port=50999", "--relay-ip=192.0.2.11"});
  ApplyDerivedLimits(two, 1 << 20);
  CHECK(two.quotas.total == 1500);
  // Dual-stack with two IPv4 addresses but one IPv6: any allocation may be
  // IPv6, so the family with fewer addresses decides.
  Settings uneven =
      Loaded({"--min-port=50000", "--max-port=50999", "--relay-ip=192.0.2.11"},
             /*dual=*/true);
  const EffectiveLimits limits = ApplyDerivedLimits(uneven, 1 << 20);
  CHECK(uneven.quotas.total == 750);
  CHECK(limits.summary.find("on 2 addresses") == std::string::npos);
}

TEST_CASE("max-connections-per-ip is derived from the open-file limit") {
  // 1/16 of what is left after the reserve and the listeners...
  CHECK(DeriveConnectionsPerIp(4, 1024) == (1024 - 64 - 4) / 16);
  // ...at most the per-IP allocation quota, at least 1.
  CHECK(DeriveConnectionsPerIp(4, 1 << 20) == 1024);
  CHECK(DeriveConnectionsPerIp(4, 10) == 1);
  Settings settings = Loaded({});
  const EffectiveLimits limits = ApplyDerivedLimits(settings, 1024);
  CHECK(settings.worker.transport.max_connections_per_ip == 59);
  CHECK(limits.derived_connections_per_ip == 59);
  CHECK(limits.summary.find("max-connections-per-ip 59 (derived") !=
        std::string::npos);
  // An explicit value wins, 0 (no limit) included.
  Settings given = Loaded({"--max-connections-per-ip=0"});
  ApplyDerivedLimits(given, 1024);
  CHECK(given.worker.transport.max_connections_per_ip == 0);
}

TEST_CASE("an explicit max-allocations wins over the derived one") {
  Settings settings = Loaded({"--max-allocations=5"});
  const EffectiveLimits limits = ApplyDerivedLimits(settings, 1 << 20);
  CHECK(settings.quotas.total == 5);
  CHECK(limits.derived_max_allocations == 12288);
  CHECK(limits.summary.find("max-allocations 5 (configured)") !=
        std::string::npos);
  for (std::string_view unlimited :
       {"--max-allocations=0", "--max-allocations=unlimited"}) {
    Settings open = Loaded({unlimited});
    ApplyDerivedLimits(open, 1 << 20);
    CHECK(open.quotas.total == 0);
  }
}

TEST_CASE("fixed defaults: quotas, bandwidth and the unauthenticated rate") {
  Settings settings = Loaded({});
  CHECK(settings.quotas.per_user == 256);
  CHECK(settings.quotas.per_client_ip == 1024);
  CHECK(settings.worker.server.bandwidth_bytes_per_second == 6 << 20);
  CHECK(settings.worker.server.unauthenticated_rate == 20);
  CHECK(settings.worker.server.unauthenticated_burst == 100);
  const std::string summary = ApplyDerivedLimits(settings, 1 << 20).summary;
  CHECK(summary.find("user-quota 256, ip-quota 1024, bandwidth 6291456 B/s "
                     "per allocation, unauthenticated-rate 20/s per source "
                     "(burst 100)") != std::string::npos);
  // Each can be switched off.
  Settings off = Loaded({"--user-quota=unlimited", "--ip-quota=0",
                         "--bandwidth=UNLIMITED",
                         "--unauthenticated-rate=unlimited"});
  CHECK(off.quotas.per_user == 0);
  CHECK(off.quotas.per_client_ip == 0);
  CHECK(off.worker.server.bandwidth_bytes_per_second == 0);
  CHECK(off.worker.server.unauthenticated_rate == 0);
  CHECK(ApplyDerivedLimits(off, 1 << 20).summary.find(
            "user-quota unlimited, ip-quota unlimited, bandwidth unlimited "
            "per allocation, unauthenticated-rate unlimited") !=
        std::string::npos);
  Settings tuned = Loaded({"--unauthenticated-rate=3"});
  CHECK(tuned.worker.server.unauthenticated_rate == 3);
  CHECK(tuned.worker.server.unauthenticated_burst == 15);
}

}  // namespace
}  // namespace turnpike::cli
