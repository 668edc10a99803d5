// Encodes one STUN message into a caller-provided buffer, with no heap
// allocation (RFC 8489 §5, §14).
//
// Attributes are appended in call order. The integrity attributes and
// FINGERPRINT must come last, in the order MESSAGE-INTEGRITY,
// MESSAGE-INTEGRITY-SHA256, FINGERPRINT (RFC 8489 §14.5-§14.7); each fixes up
// the header length before hashing what precedes it. A buffer that is too
// small puts the builder in a failed state that Finish() reports; nothing is
// written past the buffer.
#ifndef TURNPIKE_CORE_STUN_MESSAGE_BUILDER_H_
#define TURNPIKE_CORE_STUN_MESSAGE_BUILDER_H_

#include <cstdint>
#include <string_view>

#include "absl/types/span.h"
#include "core/net/transport_address.h"
#include "core/stun/attributes.h"
#include "core/stun/constants.h"
#include "core/util/expected.h"

namespace turnpike::stun {

enum class BuildError : uint8_t {
  kBufferTooSmall,
  kValueTooLong,      // an attribute value over 65535 bytes or its RFC limit
  kAfterIntegrity,    // a plain attribute after MESSAGE-INTEGRITY(-SHA256)
  kAfterFingerprint,  // anything after FINGERPRINT
};

class MessageBuilder {
 public:
  MessageBuilder(absl::Span<uint8_t> buffer, MessageClass message_class,
                 uint16_t method, const TransactionId& transaction_id);
  MessageBuilder(absl::Span<uint8_t> buffer, MessageClass message_class,
                 Method method, const TransactionId& transaction_id)
      : MessageBuilder(buffer, message_class, static_cast<uint16_t>(method),
                       transaction_id) {}

  // The byte written into attribute padding. Receivers ignore padding
  // content (RFC 8489 §14); zero is the default, and RFC 5769's vectors use
  // spaces, which this reproduces byte for byte.
  MessageBuilder& SetPaddingByte(uint8_t value) {
    padding_byte_ = value;
    return *this;
  }

  // RFC 8489 §12.2: an answer to an RFC 3489 client carries, where the
  // cookie goes, the first 4 bytes of that client's 16-byte transaction ID.
  // Only for such answers (XOR attributes still mask with the real cookie).
  MessageBuilder& SetCookieField(uint32_t value);

  // Generic forms.
  MessageBuilder& AddBytes(AttributeType type, absl::Span<const uint8_t> value);
  MessageBuilder& AddBytes(uint16_t type, absl::Span<const uint8_t> value);
  MessageBuilder& AddString(AttributeType type, std::string_view value);
  MessageBuilder& AddUint32(AttributeType type, uint32_t value);
  MessageBuilder& AddUint64(AttributeType type, uint64_t value);
  MessageBuilder& AddEmpty(AttributeType type);
  // MAPPED-ADDRESS, ALTERNATE-SERVER, RESPONSE-ORIGIN, OTHER-ADDRESS.
  MessageBuilder& AddAddress(AttributeType type,
                             const TransportAddress& address);
  // XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS (§14.2).
  MessageBuilder& AddXorAddress(AttributeType type,
                                const TransportAddress& address);

  // Typed forms for attributes with structure.
  MessageBuilder& AddErrorCode(int code, std::string_view reason);
  MessageBuilder& AddErrorCode(int code);  // with the default reason phrase
  MessageBuilder& AddUnknownAttributes(absl::Span<const uint16_t> types);
  MessageBuilder& AddChannelNumber(uint16_t channel);
  MessageBuilder& AddLifetime(uint32_t seconds);
  MessageBuilder& AddRequestedTransport(uint8_t protocol);
  MessageBuilder& AddRequestedAddressFamily(uint8_t family);
  MessageBuilder& AddAdditionalAddressFamily(uint8_t family);
  MessageBuilder& AddEvenPort(bool reserve_next);
  MessageBuilder& AddReservationToken(uint64_t token);
  MessageBuilder& AddPasswordAlgorithm(const PasswordAlgorithmValue& value);
  MessageBuilder& AddPasswordAlgorithms(
      absl::Span<const PasswordAlgorithmValue> values);
  MessageBuilder& AddAddressErrorCode(uint8_t family, int code,
                                      std::string_view reason);
  MessageBuilder& AddIcmp(const IcmpValue& value);
  MessageBuilder& AddChangeRequest(const ChangeRequestValue& value);
  MessageBuilder& AddResponsePort(uint16_t port);
  MessageBuilder& AddConnectionId(uint32_t id);

  // RFC 8489 §14.5: HMAC-SHA1 with `key` over the message so far.
  MessageBuilder& AddMessageIntegrity(absl::Span<const uint8_t> key);
  // RFC 8489 §14.6: HMAC-SHA256, truncated to `size` bytes (16..32, mult. 4).
  MessageBuilder& AddMessageIntegritySha256(absl::Span<const uint8_t> key,
                                            size_t size = 32);
  // RFC 8489 §14.7.
  MessageBuilder& AddFingerprint();

  // The encoded message, a prefix of the buffer, or why it could not be
  // written.
  Expected<absl::Span<const uint8_t>, BuildError> Finish() const;
  bool failed() const { return error_.has_value(); }
  size_t size() const { return size_; }
  // Bytes still free in the buffer (0 once failed), so a caller can size an
  // optional attribute to fit rather than fail the whole message.
  size_t room() const { return error_ ? 0 : buffer_.size() - size_; }

 private:
  // Reserves an attribute header plus padded value; returns the value's start
  // or nullptr (and records why) when it cannot be written.
  uint8_t* Append(uint16_t type, size_t length);
  void SetLength(size_t body_length);
  void Fail(BuildError error) {
    if (!error_) error_ = error;
  }

  absl::Span<uint8_t> buffer_;
  size_t size_ = 0;
  TransactionId transaction_id_;
  std::optional<BuildError> error_;
  uint8_t padding_byte_ = 0;
  bool sealed_by_integrity_ = false;
  bool sealed_by_fingerprint_ = false;
};

}  // namespace turnpike::stun

#endif  // TURNPIKE_CORE_STUN_MESSAGE_BUILDER_H_
