#include "cli/relay_addresses.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli {
namespace {

// One family: an external-ip without /LOCAL left `bind` a wildcard to be
// replaced; auto mode adds the family when the host has it.
absl::Status ResolveFamily(std::optional<runtime::RelayAddress>& relay,
                           const std::optional<IpAddress>& picked,
                           const std::string& missing_reason, bool automatic,
                           const char* family) {
  if (relay && relay->bind.IsUnspecified()) {
    if (!picked) {
      return absl::FailedPreconditionError(absl::StrCat(
          "external-ip gives a public ", family,
          " address but this host has none to bind (", missing_reason,
          "); write external-ip as PUBLIC/LOCAL or set relay-ip"));
    }
    relay->bind = *picked;
  } else if (!relay && automatic && picked) {
    relay = runtime::RelayAddress{*picked, std::nullopt};
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ResolveRelayAddresses(
    const std::vector<runtime::InterfaceAddress>& host, Settings& settings) {
  const runtime::HostRelayAddresses picked = runtime::PickRelayAddresses(host);
  runtime::RelayOptions& relay = settings.worker.relay;
  if (absl::Status s =
          ResolveFamily(relay.ipv4, picked.ipv4, picked.ipv4_missing_reason,
                        settings.relay_auto, "IPv4");
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ResolveFamily(relay.ipv6, picked.ipv6, picked.ipv6_missing_reason,
                        settings.relay_auto, "IPv6");
      !s.ok()) {
    return s;
  }
  if (!relay.ipv4 && !relay.ipv6) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no relay address: ", picked.ipv4_missing_reason, "; ",
        picked.ipv6_missing_reason,
        "; set relay-ip to an address of this host that peers can reach"));
  }
  return absl::OkStatus();
}

}  // namespace turnpike::cli
