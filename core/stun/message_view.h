// A zero-copy, validated view of one STUN message (RFC 8489 §5, §14).
//
// Parse() checks everything that makes bytes a well-formed STUN message before
// any accessor runs: the header, the attribute walk, the size and format of
// every attribute this codec knows, and FINGERPRINT. Accessors therefore
// cannot fail; they return nullopt only when an attribute is absent. All
// returned views borrow from the parsed bytes, which must outlive the view.
#ifndef TURNPIKE_CORE_STUN_MESSAGE_VIEW_H_
#define TURNPIKE_CORE_STUN_MESSAGE_VIEW_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "core/net/transport_address.h"
#include "core/stun/attributes.h"
#include "core/stun/constants.h"
#include "core/util/expected.h"

namespace turnpike::stun {

struct MessageHeader {
  MessageClass message_class = MessageClass::kRequest;
  uint16_t method = 0;  // 12 bits; may be a method this codec does not know
  uint16_t length = 0;  // of the body, as written in the header
  TransactionId transaction_id{};

  Method known_method() const { return static_cast<Method>(method); }
  bool IsRequest() const { return message_class == MessageClass::kRequest; }
};

enum class ParseError : uint8_t {
  kTooShort,            // fewer than 20 bytes
  kNotStun,             // the first two bits are not zero
  kBadMagicCookie,      // RFC 3489-era message or not STUN at all
  kBadLength,           // body length is not a multiple of 4
  kLengthMismatch,      // header length disagrees with the datagram
  kAttributeOverrun,    // an attribute (with its padding) runs past the end
  kMalformedAttribute,  // a known attribute has the wrong size or content
  kFingerprintNotLast,
  kBadFingerprint,
};
std::string_view ParseErrorName(ParseError error);

struct ParseFailure {
  ParseError error;
  // Set when the 20-byte header was sound, so a request can still be answered
  // with 400 (RFC 8489 §6.3.1) using its transaction ID.
  std::optional<MessageHeader> header;
  // The offending attribute for kMalformedAttribute / kAttributeOverrun.
  uint16_t attribute_type = 0;
};

// One raw attribute: its type and the value without padding.
struct RawAttribute {
  uint16_t type = 0;
  absl::Span<const uint8_t> value;
  size_t offset = 0;  // of the attribute header from the message start
};

class MessageView {
 public:
  // Upper bound on the distinct unknown comprehension-required types
  // reported; more are still rejected, only not listed.
  static constexpr size_t kMaxReportedUnknown = 8;

  static Expected<MessageView, ParseFailure> Parse(
      absl::Span<const uint8_t> bytes);

  // An RFC 3489 ("classic") Binding request: no magic cookie, so its
  // transaction ID is all 16 bytes from offset 4 (RFC 8489 §12.2). Accepted
  // only when the bytes could not be anything else: first two bits 00, type
  // exactly 0x0001, length a multiple of 4 equal to the datagram's body,
  // every attribute well formed, and no FINGERPRINT. Bytes with the cookie
  // fail (kBadMagicCookie): Parse() is the only path for RFC 5389+ messages.
  // A failure carries no header: nothing about it may be answered.
  static Expected<MessageView, ParseFailure> ParseRfc3489BindingRequest(
      absl::Span<const uint8_t> bytes);

  // Cheap pre-check used to demultiplex (RFC 7983): first two bits zero and
  // the magic cookie present. Does not validate the rest.
  static bool LooksLikeStun(absl::Span<const uint8_t> bytes);

  const MessageHeader& header() const { return header_; }
  MessageClass message_class() const { return header_.message_class; }
  uint16_t method() const { return header_.method; }
  const TransactionId& transaction_id() const { return header_.transaction_id; }
  absl::Span<const uint8_t> bytes() const { return bytes_; }
  // From ParseRfc3489BindingRequest(): transaction_id() then holds only the
  // last 12 of the 16 ID bytes; the first 4 are rfc3489_cookie_field().
  bool rfc3489() const { return rfc3489_; }
  uint32_t rfc3489_cookie_field() const { return LoadCookieField(); }

  bool Has(AttributeType type) const { return Find(type).has_value(); }
  // First occurrence among the attributes that count (RFC 8489 §14: later
  // duplicates are ignored; so is everything after MESSAGE-INTEGRITY(-SHA256)
  // except FINGERPRINT, §14.5/§14.6).
  std::optional<RawAttribute> Find(AttributeType type) const;
  // Every attribute that counts, in order (duplicates and unknown included).
  absl::InlinedVector<RawAttribute, 12> Attributes() const;

  // Comprehension-required types this codec does not know (RFC 8489 §6.3.1:
  // a request carrying any gets 420 with UNKNOWN-ATTRIBUTES).
  absl::Span<const uint16_t> unknown_comprehension_required() const {
    return absl::MakeConstSpan(unknown_.data(), unknown_count_);
  }

  // --- Typed accessors, one per attribute. ---
  std::optional<TransportAddress> MappedAddress() const;
  std::optional<TransportAddress> XorMappedAddress() const;
  std::optional<TransportAddress> AlternateServer() const;
  std::optional<TransportAddress> ResponseOrigin() const;
  std::optional<TransportAddress> OtherAddress() const;
  // RFC 8656 §18.3: a request may list several peers.
  absl::InlinedVector<TransportAddress, 2> XorPeerAddresses() const;
  // RFC 8656 §18.5: one per family in a dual allocation's response.
  absl::InlinedVector<TransportAddress, 2> XorRelayedAddresses() const;

  std::optional<std::string_view> Username() const;
  std::optional<absl::Span<const uint8_t>> Userhash() const;  // 32 bytes
  std::optional<std::string_view> Realm() const;
  std::optional<std::string_view> Nonce() const;
  std::optional<std::string_view> Software() const;
  std::optional<std::string_view> AlternateDomain() const;
  std::optional<ErrorCodeValue> ErrorCode() const;
  absl::InlinedVector<uint16_t, 4> UnknownAttributes() const;
  std::optional<PasswordAlgorithmValue> PasswordAlgorithm() const;
  absl::InlinedVector<PasswordAlgorithmValue, 2> PasswordAlgorithms() const;

  std::optional<absl::Span<const uint8_t>> MessageIntegrity() const;
  std::optional<absl::Span<const uint8_t>> MessageIntegritySha256() const;
  std::optional<uint32_t> Fingerprint() const;
  // Offsets of the integrity attributes' headers; 0 when absent.
  size_t message_integrity_offset() const { return integrity_offset_; }
  size_t message_integrity_sha256_offset() const {
    return integrity_sha256_offset_;
  }

  std::optional<uint16_t> ChannelNumber() const;
  std::optional<uint32_t> Lifetime() const;  // seconds
  std::optional<absl::Span<const uint8_t>> Data() const;
  // Raw family octet: 0x01 IPv4, 0x02 IPv6; anything else is the server's 440.
  std::optional<uint8_t> RequestedAddressFamily() const;
  std::optional<uint8_t> AdditionalAddressFamily() const;
  // The R bit (RFC 8656 §18.6).
  std::optional<bool> EvenPort() const;
  // The IANA protocol number (17 UDP, 6 TCP).
  std::optional<uint8_t> RequestedTransport() const;
  bool DontFragment() const { return Has(AttributeType::kDontFragment); }
  std::optional<uint64_t> ReservationToken() const;
  std::optional<AddressErrorCodeValue> AddressErrorCode() const;
  std::optional<IcmpValue> Icmp() const;
  std::optional<uint32_t> ConnectionId() const;
  std::optional<ChangeRequestValue> ChangeRequest() const;
  std::optional<uint16_t> ResponsePort() const;
  std::optional<absl::Span<const uint8_t>> Padding() const;
  std::optional<uint32_t> Priority() const;
  bool UseCandidate() const { return Has(AttributeType::kUseCandidate); }
  std::optional<uint64_t> IceControlled() const;
  std::optional<uint64_t> IceControlling() const;

 private:
  // Slots for first-occurrence offsets of the known attribute types.
  static constexpr size_t kSlotCount = 40;

  MessageView() = default;
  static Expected<MessageView, ParseFailure> ParseAs(
      absl::Span<const uint8_t> bytes, bool rfc3489);
  uint32_t LoadCookieField() const;
  std::optional<TransportAddress> AddressAt(AttributeType type,
                                            bool xored) const;
  absl::Span<const uint8_t> ValueAt(size_t offset) const;

  absl::Span<const uint8_t> bytes_;
  MessageHeader header_;
  bool rfc3489_ = false;
  // Attributes at or beyond this offset are ignored (except FINGERPRINT).
  size_t counted_end_ = 0;
  size_t integrity_offset_ = 0;
  size_t integrity_sha256_offset_ = 0;
  size_t fingerprint_offset_ = 0;
  // 32 bits: an attribute header can start past offset 65535 (the body
  // alone may be 65532 bytes, after a 20-byte header).
  std::array<uint32_t, kSlotCount> first_offset_{};
  std::array<uint16_t, kMaxReportedUnknown> unknown_{};
  uint8_t unknown_count_ = 0;
};

// The XOR mask of RFC 8489 §14.2 applied to `address`; its own inverse.
TransportAddress XorAddress(const TransportAddress& address,
                            const TransactionId& transaction_id);

}  // namespace turnpike::stun

#endif  // TURNPIKE_CORE_STUN_MESSAGE_VIEW_H_
