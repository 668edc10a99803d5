#include "cli/more_relay_addresses.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace turnpike::cli {
namespace {

bool Contains(const std::vector<IpAddress>& list, const IpAddress& ip) {
  return std::find(list.begin(), list.end(), ip) != list.end();
}

}  // namespace

absl::Status AddMoreRelayIp(const IpAddress& ip, LoadState& state) {
  if (ip == state.relay_ipv4 || ip == state.relay_ipv6 ||
      Contains(state.more_relay_ips, ip)) {
    return absl::InvalidArgumentError(absl::StrCat(
        ip.ToString(), " is given twice; give each relay address once"));
  }
  state.more_relay_ips.push_back(ip);
  return absl::OkStatus();
}

absl::Status AddMoreExternalIp(const ExternalIp& entry, LoadState& state) {
  if (!entry.local) {
    return absl::InvalidArgumentError(absl::StrCat(
        entry.external.ToString(),
        " is a further external address of its family, so it must say which "
        "relay-ip it stands for: write EXTERNAL/LOCAL, e.g. ",
        entry.external.ToString(), "/10.0.0.6"));
  }
  state.more_external_ips.push_back(entry);
  return absl::OkStatus();
}

absl::Status ResolveMoreRelayAddresses(LoadState& state) {
  std::vector<runtime::RelayAddress>& more = state.settings.worker.relay.more;
  more.clear();  // LoadSettings may run more than once per process
  for (const IpAddress& ip : state.more_relay_ips) {
    more.push_back(runtime::RelayAddress{ip, std::nullopt});
  }
  for (const ExternalIp& entry : state.more_external_ips) {
    auto it = std::find_if(more.begin(), more.end(),
                           [&](const runtime::RelayAddress& relay) {
                             return relay.bind == *entry.local;
                           });
    if (it == more.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "external-ip ", entry.external.ToString(), "/",
          entry.local->ToString(), " maps to ", entry.local->ToString(),
          ", which is not a further relay-ip of its family; give relay-ip ",
          entry.local->ToString(), " after the family's first relay-ip"));
    }
    if (it->external) {
      return absl::InvalidArgumentError(absl::StrCat(
          "external-ip: relay address ", entry.local->ToString(),
          " is mapped twice (", it->external->ToString(), " and ",
          entry.external.ToString(), "); give one external address each"));
    }
    it->external = entry.external;
  }
  return absl::OkStatus();
}

}  // namespace turnpike::cli
