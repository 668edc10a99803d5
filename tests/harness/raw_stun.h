// Hand-assembled STUN bytes for malformed-input tests. Unlike MessageBuilder
// this checks nothing: lengths, sizes and order are whatever the test says.
#ifndef TURNPIKE_TESTS_HARNESS_RAW_STUN_H_
#define TURNPIKE_TESTS_HARNESS_RAW_STUN_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/stun/constants.h"

namespace turnpike::testing {

// A fixed transaction ID for hand-made messages.
inline constexpr stun::TransactionId kTestTransactionId = {
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c};

class RawStun {
 public:
  // `type` is the raw 16-bit message type (0x0001 = Binding request).
  explicit RawStun(uint16_t type = 0x0001,
                   const stun::TransactionId& id = kTestTransactionId);

  // An attribute with a correct length field and zero padding.
  RawStun& Attr(uint16_t type, const std::vector<uint8_t>& value);
  RawStun& Attr(stun::AttributeType type, const std::vector<uint8_t>& value) {
    return Attr(static_cast<uint16_t>(type), value);
  }
  RawStun& AttrText(stun::AttributeType type, std::string_view value);
  // An attribute header claiming `declared_length`, then exactly `value`
  // (no padding added): for overrun cases.
  RawStun& AttrWithLength(uint16_t type, uint16_t declared_length,
                          const std::vector<uint8_t>& value);
  // Bytes appended to the body verbatim.
  RawStun& Raw(const std::vector<uint8_t>& bytes);
  // A FINGERPRINT attribute; its CRC is computed by Build() over the final
  // bytes before it (so it is correct exactly when nothing follows it).
  RawStun& Fingerprint();

  // The message with the header length equal to the body size.
  std::vector<uint8_t> Build() const;
  // The message with the header length set to `length` regardless.
  std::vector<uint8_t> BuildWithLength(uint16_t length) const;

 private:
  std::vector<uint8_t> bytes_;
  std::optional<size_t> fingerprint_offset_;
};

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_HARNESS_RAW_STUN_H_
