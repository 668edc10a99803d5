// A deliberately separate, minimal STUN encoder and decoder for the
// end-to-end tests: it shares no code with core/stun, so a codec bug cannot
// confirm itself. Only what the runtime tests need (RFC 8489 §5, §14.2,
// §14.7, §14.8, §14.9).
#ifndef TURNPIKE_TESTS_RUNTIME_STUN_WIRE_H_
#define TURNPIKE_TESTS_RUNTIME_STUN_WIRE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace turnpike::testing::wire {

using Bytes = std::vector<uint8_t>;
using TransactionId = std::array<uint8_t, 12>;

inline constexpr uint16_t kBindingRequest = 0x0001;
inline constexpr uint16_t kBindingSuccess = 0x0101;
inline constexpr uint16_t kBindingError = 0x0111;
inline constexpr uint16_t kErrorCode = 0x0009;
inline constexpr uint16_t kUnknownAttributes = 0x000A;
inline constexpr uint16_t kXorMappedAddress = 0x0020;
inline constexpr uint16_t kSoftware = 0x8022;
inline constexpr uint16_t kFingerprint = 0x8028;

struct Attribute {
  uint16_t type = 0;
  Bytes value;
};

// Header, attributes (padded to 4 bytes), and FINGERPRINT last when asked.
Bytes Encode(uint16_t type, const TransactionId& id,
             const std::vector<Attribute>& attributes, bool fingerprint);

struct Message {
  uint16_t type = 0;
  TransactionId id{};
  std::vector<Attribute> attributes;
  // FINGERPRINT present, last, and equal to the CRC-32 of what precedes it
  // XOR 0x5354554E (RFC 8489 §14.7).
  bool fingerprint_valid = false;

  const Attribute* Find(uint16_t attribute_type) const;
};

// nullopt unless `bytes` is a whole STUN message with the magic cookie and
// attributes that exactly fill the declared length.
std::optional<Message> Decode(const Bytes& bytes);

struct Endpoint {
  std::string ip;  // inet_ntop text
  uint16_t port = 0;
};
std::optional<Endpoint> XorMappedAddress(const Message& message);
// class * 100 + number (RFC 8489 §14.8).
std::optional<int> ErrorCode(const Message& message);
std::vector<uint16_t> UnknownAttributes(const Message& message);

// A transaction ID whose bytes all derive from `seed`.
TransactionId MakeTransactionId(uint8_t seed);

}  // namespace turnpike::testing::wire

#endif  // TURNPIKE_TESTS_RUNTIME_STUN_WIRE_H_
