// The runtime's only window on time. Everything else, the core included,
// receives time as a value (DESIGN.md "Core API": time is an input).
#ifndef TURNPIKE_RUNTIME_CLOCK_H_
#define TURNPIKE_RUNTIME_CLOCK_H_

#include "core/types.h"

namespace turnpike::runtime {

// Reads both clocks once. `mono` comes from uv_hrtime() (nanoseconds, never
// steps backwards; uv_now() would be milliseconds cached per loop tick),
// `wall` from absl::Now() (may step; used only for what is compared with
// other machines' clocks).
core::Now StampNow();

// The wall clock alone, for stamps outside the receive path (log lines):
// the same source as StampNow().wall, without the monotonic read.
absl::Time WallNow();

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_CLOCK_H_
