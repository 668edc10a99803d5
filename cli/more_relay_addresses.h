// Several relay addresses per family (issue 10): relay-ip given again for
// a family, and external-ip EXTERNAL/LOCAL for each further address. The
// first relay-ip and external-ip of a family keep their meaning
// (settings.cc); the further ones land in runtime::RelayOptions::more.
#ifndef TURNPIKE_CLI_MORE_RELAY_ADDRESSES_H_
#define TURNPIKE_CLI_MORE_RELAY_ADDRESSES_H_

#include "absl/status/status.h"
#include "cli/load_state.h"
#include "core/net/transport_address.h"

namespace turnpike::cli {

// A relay-ip after the first of its family; refuses one given twice.
absl::Status AddMoreRelayIp(const IpAddress& ip, LoadState& state);
// An external-ip after the first of its family: it must say which further
// relay-ip it stands for (EXTERNAL/LOCAL).
absl::Status AddMoreExternalIp(const ExternalIp& entry, LoadState& state);
// Once every option is in: pairs each further external-ip with its
// relay-ip and fills settings.worker.relay.more, in configured order.
absl::Status ResolveMoreRelayAddresses(LoadState& state);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_MORE_RELAY_ADDRESSES_H_
