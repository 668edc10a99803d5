#include "core/policy/self_addresses.h"

#include <algorithm>

namespace turnpike::core {
namespace {

template <typename T>
bool Has(const std::vector<T>& values, const T& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

SelfAddresses::SelfAddresses(const SelfAddressConfig& config,
                             absl::Span<const TransportAddress> listeners)
    : relay_(config.relay),
      min_port_(config.relay_min_port),
      max_port_(config.relay_max_port) {
  const auto add = [this](const IpAddress& ip) {
    const IpAddress own = ip.Unmapped();
    if (!Has(own_, own)) own_.push_back(own);
  };
  for (const IpAddress& ip : config.relay) add(ip);
  for (const IpAddress& ip : config.host) add(ip);
  for (const TransportAddress& listener : listeners) {
    add(listener.ip);
    if (listener.port >= min_port_ && listener.port <= max_port_ &&
        !Has(listener_ports_in_range_, listener.port)) {
      listener_ports_in_range_.push_back(listener.port);
    }
  }
}

bool SelfAddresses::IsRelayAddress(const IpAddress& ip) const {
  return Has(relay_, ip);
}

bool SelfAddresses::IsOwn(const IpAddress& address) const {
  const IpAddress ip = address.Unmapped();
  // Loopback and the unspecified address reach this host whatever its
  // interfaces (RFC 1122 §3.2.1.3; Linux delivers 0.0.0.0 and :: locally).
  if (ip.is_v4()) {
    if (ip.bytes()[0] == 127 || ip.IsUnspecified()) return true;
  } else {
    static constexpr IpAddress kLoopback6 =
        IpAddress::V6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
    if (ip == kLoopback6 || ip.IsUnspecified()) return true;
  }
  return Has(own_, ip);
}

bool SelfAddresses::Refuses(const TransportAddress& peer) const {
  if (peer.port >= min_port_ && peer.port <= max_port_ &&
      (listener_ports_in_range_.empty() ||
       !Has(listener_ports_in_range_, peer.port))) {
    return false;  // another allocation's port, wherever it is
  }
  return IsOwn(peer.ip);
}

}  // namespace turnpike::core
