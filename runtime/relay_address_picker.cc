#include "runtime/relay_address_picker.h"

#include "runtime/worker.h"

namespace turnpike::runtime {

RelayAddressPicker::RelayAddressPicker(const RelayOptions& options) {
  if (options.ipv4) v4_.push_back(*options.ipv4);
  if (options.ipv6) v6_.push_back(*options.ipv6);
  for (const RelayAddress& more : options.more) {
    (more.bind.is_v4() ? v4_ : v6_).push_back(more);
  }
}

std::vector<const RelayAddress*> RelayAddressPicker::Candidates(
    AddressFamily family) {
  const bool v4 = family == AddressFamily::kIpv4;
  const std::vector<RelayAddress>& all = v4 ? v4_ : v6_;
  std::vector<const RelayAddress*> order;
  if (all.empty()) return order;
  size_t& next = next_[v4 ? 0 : 1];
  order.reserve(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    order.push_back(&all[(next + i) % all.size()]);
  }
  next = (next + 1) % all.size();
  return order;
}

}  // namespace turnpike::runtime
