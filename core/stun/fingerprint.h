// FINGERPRINT (RFC 8489 §14.7): CRC-32 of the message up to the attribute,
// XOR 0x5354554E, so that STUN can be told apart from other protocols sharing
// a port.
#ifndef TURNPIKE_CORE_STUN_FINGERPRINT_H_
#define TURNPIKE_CORE_STUN_FINGERPRINT_H_

#include <cstdint>

#include "absl/types/span.h"

namespace turnpike::stun {

// `covered` is the message from its first byte up to (not including) the
// FINGERPRINT attribute, with the header length already counting it.
uint32_t ComputeFingerprint(absl::Span<const uint8_t> covered);

}  // namespace turnpike::stun

#endif  // TURNPIKE_CORE_STUN_FINGERPRINT_H_
