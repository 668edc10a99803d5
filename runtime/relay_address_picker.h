// Which relay address a new relay socket binds to, when a family has
// several (relay-ip given more than once; issue 10). Each address has the
// whole relay port range, so the addresses multiply what one range holds.
// New relays take the addresses of their family in turn (round-robin), so
// they spread evenly; when the one whose turn it is has no free port, the
// worker tries the next in the same order (Candidates), so a family is
// full only when every address is.
//
// No libuv here: the order is plain data, tested on its own.
#ifndef TURNPIKE_RUNTIME_RELAY_ADDRESS_PICKER_H_
#define TURNPIKE_RUNTIME_RELAY_ADDRESS_PICKER_H_

#include <array>
#include <cstddef>
#include <optional>
#include <vector>

#include "core/net/transport_address.h"
#include "runtime/relay_address.h"

namespace turnpike::runtime {

struct RelayOptions;

class RelayAddressPicker {
 public:
  RelayAddressPicker() = default;
  // Keeps copies of the addresses: the primary of each family first, then
  // the further ones in configured order.
  explicit RelayAddressPicker(const RelayOptions& options);

  // The family's addresses to try for one new relay, the one whose turn it
  // is first; advances the turn. Empty when the family has none.
  std::vector<const RelayAddress*> Candidates(AddressFamily family);

  // Every address of `family`, in configured order.
  const std::vector<RelayAddress>& addresses(AddressFamily family) const {
    return family == AddressFamily::kIpv4 ? v4_ : v6_;
  }

 private:
  std::vector<RelayAddress> v4_;
  std::vector<RelayAddress> v6_;
  std::array<size_t, 2> next_{};  // the turn, per family
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_RELAY_ADDRESS_PICKER_H_
