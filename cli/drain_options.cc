#include "cli/drain_options.h"

#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/value_parsers.h"
#include "core/stun/constants.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli {
namespace {

// A week: a drain is for a rolling upgrade, and an allocation that lives
// longer than that has been refreshed by hand for days.
constexpr int64_t kMaxDrainSeconds = 7 * 86400;

}  // namespace

absl::Status ApplyAlternateServer(std::string_view value, LoadState& state) {
  absl::StatusOr<TransportAddress> parsed = ParseListenAddress(value);
  if (!parsed.ok()) return parsed.status();
  const TransportAddress& address = *parsed;
  if (address.port == 0 || address.ip.IsUnspecified()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", ToAbsl(value),
        "' is not an address a client can be sent to; give the other "
        "server's public address and port, e.g. 203.0.113.7:3478"));
  }
  state.settings.worker.server.alternate_servers.push_back(address);
  return absl::OkStatus();
}

absl::Status ApplyAlternateDomain(std::string_view value, LoadState& state) {
  // RFC 8489 §14.16: a DNS name of fewer than 255 bytes.
  if (value.empty() || value.size() >= stun::kMaxAlternateDomainBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the name is ", value.size(),
        " bytes; RFC 8489 §14.16 wants 1 to 254, the name on the alternate "
        "server's certificate"));
  }
  state.settings.worker.server.alternate_domain = std::string(value);
  return absl::OkStatus();
}

absl::Status ApplyDrainTimeout(std::string_view value, LoadState& state) {
  absl::StatusOr<std::chrono::seconds> seconds =
      ParseSeconds(value, kMaxDrainSeconds);
  if (!seconds.ok()) return seconds.status();
  state.settings.worker.drain_timeout = *seconds;
  return absl::OkStatus();
}

}  // namespace turnpike::cli
