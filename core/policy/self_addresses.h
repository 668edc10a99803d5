// The server's own addresses, so that a client cannot make the relay send
// into the server itself (issue 13 "Hostile input", item 4;
// docs/security.md "The relay never relays into itself").
//
// Two clients of one server reach each other through their relayed
// addresses, which are the server's own: that is the most common WebRTC
// path and must work. Anything else on the server's own addresses (its
// listening ports, where a Send indication would come back as the server's
// own answer or make a nested allocation; any other local service) must
// not be reachable through the relay. So to and from its own addresses
// only the relay port range is open, and the relay addresses are
// permitted even when the peer filter's default ranges deny them (a relay
// on a private address behind 1:1 NAT).
#ifndef TURNPIKE_CORE_POLICY_SELF_ADDRESSES_H_
#define TURNPIKE_CORE_POLICY_SELF_ADDRESSES_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "core/net/transport_address.h"

namespace turnpike::core {

struct SelfAddressConfig {
  // The relay addresses and their external (1:1 NAT) counterparts: what
  // XOR-RELAYED-ADDRESS can hold, so what one client may name as another
  // client's peer.
  std::vector<IpAddress> relay;
  // Other addresses that reach this host: its interface addresses when a
  // listener is a wildcard. Listening addresses, loopback and the
  // unspecified addresses are added by SelfAddresses itself.
  std::vector<IpAddress> host;
  // Where relay sockets are bound (runtime RelayOptions).
  uint16_t relay_min_port = 49152;
  uint16_t relay_max_port = 65535;
};

class SelfAddresses {
 public:
  SelfAddresses(const SelfAddressConfig& config,
                absl::Span<const TransportAddress> listeners);

  // `ip` is exactly one of the relay addresses: a peer there is another
  // allocation, permitted whatever the default peer ranges say.
  bool IsRelayAddress(const IpAddress& ip) const;

  // A datagram to or from `peer` would cross into this host somewhere
  // other than a relay port: `peer` is one of the server's own addresses
  // (or loopback, unspecified, or the IPv4-mapped form of one) and its port
  // is outside the relay range or a listener's. Costs a port comparison
  // when the port is a relay port, the usual case.
  bool Refuses(const TransportAddress& peer) const;

 private:
  bool IsOwn(const IpAddress& ip) const;

  std::vector<IpAddress> relay_;
  // Normalised (IPv4-mapped addresses as IPv4), without loopback and the
  // unspecified addresses, which IsOwn tests by rule.
  std::vector<IpAddress> own_;
  // Listening ports inside the relay range (usually none).
  std::vector<uint16_t> listener_ports_in_range_;
  uint16_t min_port_;
  uint16_t max_port_;
};

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_POLICY_SELF_ADDRESSES_H_
