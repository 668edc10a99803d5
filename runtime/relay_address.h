// One relay address (RFC 8656 §7.2: XOR-RELAYED-ADDRESS): where relay
// sockets bind, and what is advertised behind a 1:1 NAT. Its own header so
// the relay address picker and the worker share it.
#ifndef TURNPIKE_RUNTIME_RELAY_ADDRESS_H_
#define TURNPIKE_RUNTIME_RELAY_ADDRESS_H_

#include <optional>

#include "core/net/transport_address.h"

namespace turnpike::runtime {

struct RelayAddress {
  // The local address relay sockets bind to. Not a wildcard: a relayed
  // address must be one peers can send to, so the operator (or the
  // embedded default, from the host's interfaces) names it.
  IpAddress bind;
  // Advertised in XOR-RELAYED-ADDRESS instead of `bind` when the host sits
  // behind a 1:1 NAT (AWS/GCP elastic addresses; coturn's external-ip).
  std::optional<IpAddress> external;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_RELAY_ADDRESS_H_
