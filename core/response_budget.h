// How large a response the server can write, and the configuration check
// that keeps every response inside its buffer by construction (issue 13).
//
// Every response is written into one stack buffer of kResponseBufferSize
// bytes. What varies with the configuration is REALM (only in 401/438) and
// SOFTWARE (in every response); everything else a response carries has a
// fixed upper bound, except RFC 5780 PADDING, which is cut to the room left
// (core/server.cc). So "realm and software fit together beside the largest
// fixed part" is all the configuration check has to say.
#ifndef TURNPIKE_CORE_RESPONSE_BUDGET_H_
#define TURNPIKE_CORE_RESPONSE_BUDGET_H_

#include <cstddef>
#include <optional>

#include "absl/status/status.h"
#include "core/config.h"

namespace turnpike::core {

// RFC 8489 §6.1: a response should fit an unfragmented IPv6 datagram path;
// 1280 bytes is also the most any response here needs.
inline constexpr size_t kResponseBufferSize = 1280;

// Bytes an attribute with a `value_size`-byte value takes: header, value and
// padding to 4 bytes (RFC 8489 §14).
constexpr size_t AttributeSize(size_t value_size) {
  return 4 + value_size + ((4 - (value_size & 3)) & 3);
}

// SOFTWARE, the largest integrity attribute and FINGERPRINT: what
// SendResponse may add after the body of any response.
size_t ResponseTrailerSize(std::optional<size_t> software_size);

// The largest response the server writes (PADDING aside, which takes only
// the room left) with a `realm_size`-byte realm and a `software_size`-byte
// SOFTWARE (nullopt: none).
size_t LargestResponseSize(size_t realm_size,
                           std::optional<size_t> software_size);

// OK when every response fits kResponseBufferSize with this configuration's
// realm and software; otherwise names both settings and how much to cut.
absl::Status CheckResponseBudget(const ServerConfig& config);

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_RESPONSE_BUDGET_H_
