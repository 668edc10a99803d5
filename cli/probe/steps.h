// The checks `turnpike probe` runs against one URL, in order, each a step
// with a verdict, a round-trip time and what it learned:
//   Binding (RFC 8489 §7) on client A: the mapped address;
//   Allocate on A and on B (RFC 8656 §7.1), each on its own connection:
//     the relayed addresses;
//   CreatePermission (§9) on each relay for the other's relayed address;
//   Send indications A to B and B to A (§11), checked to arrive as Data
//     indications from the other relay;
//   ChannelBind (§12.1) and ChannelData both ways (§12.4-§12.6) - the path
//     two relayed WebRTC peers take;
//   Refresh with LIFETIME 0 (§7.4) on both, to leave nothing behind.
// The first failing step ends the run; the allocations made are still
// released. A stun: URL stops after the Binding.
#ifndef TURNPIKE_CLI_PROBE_STEPS_H_
#define TURNPIKE_CLI_PROBE_STEPS_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/probe/connection.h"
#include "cli/probe/probe_url.h"
#include "cli/probe/secure_connection.h"

namespace turnpike::cli::probe {

struct StepResult {
  std::string name;  // "Allocate A"
  bool passed = false;
  std::optional<Clock::duration> rtt;
  std::string detail;  // what it learned, or why it failed
};

struct ProbeOptions {
  std::string username;  // prepared; empty: no credentials
  std::string password;  // prepared
  Clock::duration timeout = std::chrono::seconds(5);
  TlsOptions tls;
};

// Runs every step against `url`, calling `on_step` as each finishes (so the
// operator sees progress), and returns them all.
std::vector<StepResult> RunProbe(
    const ProbeUrl& url, const ProbeOptions& options,
    const std::function<void(const StepResult&)>& on_step);

}  // namespace turnpike::cli::probe

#endif  // TURNPIKE_CLI_PROBE_STEPS_H_
