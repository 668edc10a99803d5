// Keys and integrity checks of RFC 8489 §9 and §14.5-§14.6.
//
// Every string passed here must already be prepared with OpaqueString
// (opaque_string.h); these functions hash bytes as given.
#ifndef TURNPIKE_CORE_STUN_INTEGRITY_H_
#define TURNPIKE_CORE_STUN_INTEGRITY_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "core/stun/constants.h"
#include "core/stun/message_view.h"

namespace turnpike::stun {

// An HMAC key: the short-term password, or a 16-byte (MD5) or 32-byte
// (SHA-256) long-term key. 32 bytes inline covers the long-term keys.
using HmacKey = absl::InlinedVector<uint8_t, 32>;

// RFC 8489 §9.1.1: the key is the password itself.
HmacKey ShortTermKey(std::string_view password);
// RFC 8489 §9.2.2: MD5 or SHA-256 of username ":" realm ":" password.
HmacKey LongTermKey(PasswordAlgorithmId algorithm, std::string_view username,
                    std::string_view realm, std::string_view password);
// RFC 8489 §14.4: SHA-256(username ":" realm).
std::array<uint8_t, kUserhashSize> ComputeUserhash(std::string_view username,
                                                   std::string_view realm);

enum class IntegrityResult : uint8_t { kAbsent, kOk, kBad };

// Recomputes the HMAC over the message up to the attribute, with the header
// length adjusted to end just after it, and compares in constant time.
IntegrityResult CheckMessageIntegrity(const MessageView& message,
                                      absl::Span<const uint8_t> key);
IntegrityResult CheckMessageIntegritySha256(const MessageView& message,
                                            absl::Span<const uint8_t> key);

// The raw HMACs the builder writes (the prefix must end where the attribute
// header will start, with the header length already counting the attribute).
std::array<uint8_t, 20> HmacSha1(absl::Span<const uint8_t> key,
                                 absl::Span<const uint8_t> data);
std::array<uint8_t, 32> HmacSha256(absl::Span<const uint8_t> key,
                                   absl::Span<const uint8_t> data);

}  // namespace turnpike::stun

#endif  // TURNPIKE_CORE_STUN_INTEGRITY_H_
