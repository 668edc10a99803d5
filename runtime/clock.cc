#include "runtime/clock.h"

#include <uv.h>

#include <cstdint>

#include "absl/time/clock.h"

namespace turnpike::runtime {

core::Now StampNow() {
  // uv_hrtime() counts from an arbitrary origin; only differences matter, and
  // its range (2^63 ns ≈ 292 years of uptime) fits the core's int64 ticks.
  const auto mono_ns = static_cast<int64_t>(uv_hrtime());
  return core::Now{core::MonoTime(core::Duration(mono_ns)), absl::Now()};
}

absl::Time WallNow() { return absl::Now(); }

}  // namespace turnpike::runtime
