// The drain options (issue 12): where a draining node sends new
// Allocates, and how long it waits for its allocations to end. Kept out of
// option_table.cc so that file stays a table.
#ifndef TURNPIKE_CLI_DRAIN_OPTIONS_H_
#define TURNPIKE_CLI_DRAIN_OPTIONS_H_

#include <string_view>

#include "absl/status/status.h"
#include "cli/load_state.h"

namespace turnpike::cli {

// alternate-server ADDR:PORT, repeatable: RFC 8489 §14.15 ALTERNATE-SERVER.
absl::Status ApplyAlternateServer(std::string_view value, LoadState& state);
// alternate-domain NAME: RFC 8489 §14.16, for TLS and DTLS clients.
absl::Status ApplyAlternateDomain(std::string_view value, LoadState& state);
// drain-timeout SECONDS.
absl::Status ApplyDrainTimeout(std::string_view value, LoadState& state);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_DRAIN_OPTIONS_H_
