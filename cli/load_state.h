// What LoadSettings builds while it applies option values: the Settings
// themselves plus the pieces that are checked against each other only once
// every option is in (relay addresses per family, the debug switch).
#ifndef TURNPIKE_CLI_LOAD_STATE_H_
#define TURNPIKE_CLI_LOAD_STATE_H_

#include <optional>
#include <string>
#include <vector>

#include "cli/settings.h"
#include "core/net/transport_address.h"

namespace turnpike::cli {

struct ExternalIp {
  IpAddress external;
  // The local address behind the NAT (EXTERNAL/LOCAL), if given.
  std::optional<IpAddress> local;
};

struct LoadState {
  Settings settings;
  // Reads the users file; borrowed from LoadSettings' caller.
  const FileReader* read = nullptr;

  // relay-ip and external-ip, at most one of each per family.
  std::optional<IpAddress> relay_ipv4;
  std::optional<IpAddress> relay_ipv6;
  std::optional<ExternalIp> external_ipv4;
  std::optional<ExternalIp> external_ipv6;
  // Issue 10: further relay-ip of a family after its first, and further
  // external-ip, each EXTERNAL/LOCAL naming one of those
  // (cli/more_relay_addresses.h).
  std::vector<IpAddress> more_relay_ips;
  std::vector<ExternalIp> more_external_ips;

  bool debug = false;
};

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_LOAD_STATE_H_
