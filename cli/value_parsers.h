// Text to typed values for the configuration options. Each parser knows only
// the value: it fails with InvalidArgument whose message says what is wrong
// and how to write it, and the caller prefixes where the value came from
// ("turnpike.conf:12: max-port: ", "--max-port: ", "TURNPIKE_MAX_PORT: ").
#ifndef TURNPIKE_CLI_VALUE_PARSERS_H_
#define TURNPIKE_CLI_VALUE_PARSERS_H_

#include <chrono>
#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/deps.h"
#include "core/net/transport_address.h"
#include "core/policy/cidr.h"

namespace turnpike::cli {

// true/false, yes/no, on/off, 1/0 (any case).
absl::StatusOr<bool> ParseBool(std::string_view text);

// A decimal whole number in [0, max]; no sign, no suffix.
absl::StatusOr<uint64_t> ParseCount(std::string_view text, uint64_t max);

// A limit: a count as ParseCount, or "unlimited" (any case), which is 0.
absl::StatusOr<uint64_t> ParseLimit(std::string_view text, uint64_t max);

// A UDP port in [min, 65535].
absl::StatusOr<uint16_t> ParsePort(std::string_view text, uint16_t min);

// Whole seconds in [1, max_seconds].
absl::StatusOr<std::chrono::seconds> ParseSeconds(std::string_view text,
                                                  int64_t max_seconds);

// A socket buffer size: positive bytes up to 1G, optionally with a binary
// K or M suffix ("4M").
absl::StatusOr<int> ParseBufferSize(std::string_view text);

// A rate in bytes per second, optionally with a binary K, M or G suffix;
// 0 and "unlimited" (any case) mean unlimited and give 0.
absl::StatusOr<uint64_t> ParseRate(std::string_view text);

// ADDR:PORT with IPv6 in brackets; port 0 means any free port.
absl::StatusOr<TransportAddress> ParseListenAddress(std::string_view text);

// One IP address, no port.
absl::StatusOr<IpAddress> ParseIp(std::string_view text);

// A prefix such as 10.0.0.0/8 or a single address.
absl::StatusOr<core::Cidr> ParseCidr(std::string_view text);

// name:password (the password may itself hold ':'), or name:KEY as
// cli/user_key.h describes.
absl::StatusOr<core::Credential> ParseUserEntry(std::string_view text);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_VALUE_PARSERS_H_
