// Pieces shared by the server_*.cc files that make up Server. Not part of
// the core's API.
#ifndef TURNPIKE_CORE_SERVER_INTERNAL_H_
#define TURNPIKE_CORE_SERVER_INTERNAL_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

#include "core/config.h"
#include "core/response_budget.h"
#include "core/stun/constants.h"
#include "core/types.h"

namespace turnpike::core::internal {

// Large enough for any response the server writes, by the configuration
// check of core/response_budget.h.
using ::turnpike::core::kResponseBufferSize;

// The SOFTWARE value's size, for the response size arithmetic.
inline std::optional<size_t> SoftwareSize(const ServerConfig& config) {
  if (!config.software) return std::nullopt;
  return config.software->size();
}

// Whether `count` objects fill a per-allocation cap; 0 is no cap.
inline bool AtCap(size_t count, uint32_t cap) {
  return cap != 0 && count >= cap;
}

inline uint8_t FamilyCode(AddressFamily family) {
  return static_cast<uint8_t>(family);
}

inline uint32_t WholeSeconds(Duration d) {
  return static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(d).count());
}

}  // namespace turnpike::core::internal

#endif  // TURNPIKE_CORE_SERVER_INTERNAL_H_
