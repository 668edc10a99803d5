// Fills in the relay addresses the operator left to the host (the embedded
// default, or external-ip without /LOCAL): one address per family from the
// host's interfaces (runtime/host_addresses.h), so a relay with no
// configuration relays on the addresses peers can reach.
#ifndef TURNPIKE_CLI_RELAY_ADDRESSES_H_
#define TURNPIKE_CLI_RELAY_ADDRESSES_H_

#include <vector>

#include "absl/status/status.h"
#include "cli/settings.h"
#include "runtime/host_addresses.h"

namespace turnpike::cli {

// `host` is the host's interface addresses. Fails with FailedPrecondition,
// saying which option fixes it, when no relay address of any family is
// left, or when external-ip names a family the host has no address of.
absl::Status ResolveRelayAddresses(
    const std::vector<runtime::InterfaceAddress>& host, Settings& settings);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_RELAY_ADDRESSES_H_
