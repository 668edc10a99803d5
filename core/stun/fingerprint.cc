#include "core/stun/fingerprint.h"

#include <zlib.h>

#include "core/stun/constants.h"

namespace turnpike::stun {

uint32_t ComputeFingerprint(absl::Span<const uint8_t> covered) {
  // zlib's crc32 is the ISO/IEC 13239 CRC-32 that RFC 8489 §14.7 names.
  const uLong crc =
      crc32(0L, covered.data(), static_cast<uInt>(covered.size()));
  return static_cast<uint32_t>(crc) ^ kFingerprintXor;
}

}  // namespace turnpike::stun
