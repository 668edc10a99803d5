// The fixed defaults of the per-client limits and of the bandwidth cap;
// docs/security.md ("Default limits") gives the reasoning. The total
// (max-allocations) depends on the host: cli/derived_limits.h.
#ifndef TURNPIKE_CLI_DEFAULT_LIMITS_H_
#define TURNPIKE_CLI_DEFAULT_LIMITS_H_

#include <cstdint>

namespace turnpike::cli {

// Fixed defaults, each a reasoned number (docs/security.md).
// One client IP: a large office or a carrier-grade NAT, ~250 people in
// calls at once behind one address, each holding up to 4 allocations (UDP
// and TCP to the server, IPv4 and IPv6 relays).
inline constexpr uint32_t kDefaultIpQuota = 1024;
// One user: a person in a large mesh call from several tabs needs ~64; the
// rest leaves room for a small deployment sharing one static user.
inline constexpr uint32_t kDefaultUserQuota = 256;
// Per allocation and direction: 6 MiB/s ≈ 50 Mbit/s, above what even a
// broadcast encoder spends on 2160p30 (13-34 Mbit/s); a 1080p WebRTC
// simulcast upload is ~5.5 Mbit/s.
inline constexpr uint64_t kDefaultBandwidthBytesPerSecond = 6 << 20;

// Unauthenticated answers (401/438) per source IP and second; a quiet
// source may get kUnauthenticatedBurstSeconds' worth at once (a whole
// office starting calls together behind one NAT).
inline constexpr uint32_t kDefaultUnauthenticatedRate = 20;
inline constexpr uint32_t kUnauthenticatedBurstSeconds = 5;

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_DEFAULT_LIMITS_H_
