#include "core/stun/message_view.h"

#include <algorithm>

#include "core/stun/fingerprint.h"
#include "core/util/byte_io.h"

namespace turnpike::stun {
namespace {

using AT = AttributeType;

// Index of a known attribute type in MessageView::first_offset_, or -1.
int SlotOf(uint16_t type) {
  static_assert(std::size(kKnownAttributeTypes) <= 40);
  for (size_t i = 0; i < std::size(kKnownAttributeTypes); ++i) {
    if (static_cast<uint16_t>(kKnownAttributeTypes[i]) == type) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

bool ValidAddress(absl::Span<const uint8_t> v) {
  // RFC 8489 §14.1: family 0x01 with 4 address bytes, 0x02 with 16.
  return (v.size() == 8 && v[1] == 0x01) || (v.size() == 20 && v[1] == 0x02);
}

bool ValidErrorClassAndNumber(uint8_t class_byte, uint8_t number) {
  const int error_class = class_byte & 0x07;
  return error_class >= 3 && error_class <= 6 && number <= 99;
}

bool ValidPasswordAlgorithmList(absl::Span<const uint8_t> v) {
  size_t p = 0;
  while (p < v.size()) {
    if (v.size() - p < 4) return false;
    const size_t params = LoadBe16(&v[p + 2]);
    if (params > v.size() - p - 4) return false;
    p += 4 + params + PaddingFor(params);
  }
  return true;
}

// Size and format rules for each known attribute (RFC 8489 §14, RFC 8656
// §18, RFC 5780 §7, RFC 6062 §6.2, RFC 8445 §16.1).
bool ValidValue(AT type, absl::Span<const uint8_t> v) {
  switch (type) {
    case AT::kMappedAddress:
    case AT::kXorMappedAddress:
    case AT::kXorPeerAddress:
    case AT::kXorRelayedAddress:
    case AT::kAlternateServer:
    case AT::kResponseOrigin:
    case AT::kOtherAddress:
      return ValidAddress(v);
    case AT::kUsername:
      return v.size() <= kMaxUsernameBytes;
    case AT::kRealm:
      return v.size() <= kMaxRealmBytes;
    case AT::kNonce:
      return v.size() <= kMaxNonceBytes;
    case AT::kSoftware:
      return v.size() <= kMaxSoftwareBytes;
    case AT::kAlternateDomain:
      return v.size() <= kMaxAlternateDomainBytes;
    case AT::kMessageIntegrity:
      return v.size() == kMessageIntegritySize;
    case AT::kMessageIntegritySha256:
      // RFC 8489 §14.6: may be truncated, to no fewer than 16 bytes, in
      // multiples of 4.
      return v.size() >= kMinMessageIntegritySha256Size &&
             v.size() <= kMaxMessageIntegritySha256Size && v.size() % 4 == 0;
    case AT::kFingerprint:
      return v.size() == 4;
    case AT::kErrorCode:
      return v.size() >= 4 && v.size() - 4 <= kMaxReasonPhraseBytes &&
             ValidErrorClassAndNumber(v[2], v[3]);
    case AT::kAddressErrorCode:
      return v.size() >= 4 && v.size() - 4 <= kMaxReasonPhraseBytes &&
             ValidErrorClassAndNumber(v[2], v[3]);
    case AT::kUnknownAttributes:
      return v.size() % 2 == 0;
    case AT::kUserhash:
      return v.size() == kUserhashSize;
    case AT::kPasswordAlgorithm:
      return v.size() >= 4 && LoadBe16(&v[2]) <= v.size() - 4;
    case AT::kPasswordAlgorithms:
      return !v.empty() && ValidPasswordAlgorithmList(v);
    case AT::kChannelNumber:
    case AT::kLifetime:
    case AT::kRequestedAddressFamily:
    case AT::kAdditionalAddressFamily:
    case AT::kRequestedTransport:
    case AT::kConnectionId:
    case AT::kChangeRequest:
    case AT::kResponsePort:
    case AT::kPriority:
      return v.size() == 4;
    case AT::kEvenPort:
      // RFC 8656 §18.6 says one byte; some RFC 5766-era clients send four.
      return v.size() == 1 || v.size() == 4;
    case AT::kDontFragment:
    case AT::kUseCandidate:
      return v.empty();
    case AT::kReservationToken:
      return v.size() == kReservationTokenSize;
    case AT::kIcmp:
      return v.size() == 8;
    case AT::kIceControlled:
    case AT::kIceControlling:
      return v.size() == 8;
    case AT::kData:
    case AT::kPadding:
      return true;
  }
  return true;
}

// Reads an address attribute's value (already validated) without un-XORing.
TransportAddress DecodePlainAddress(absl::Span<const uint8_t> v) {
  TransportAddress address;
  address.port = LoadBe16(&v[2]);
  if (v[1] == 0x01) {
    address.ip = IpAddress::V4({v[4], v[5], v[6], v[7]});
  } else {
    std::array<uint8_t, 16> ip;
    std::copy_n(&v[4], 16, ip.begin());
    address.ip = IpAddress::V6(ip);
  }
  return address;
}

std::string_view AsString(absl::Span<const uint8_t> v) {
  return std::string_view(reinterpret_cast<const char*>(v.data()), v.size());
}

}  // namespace

std::string_view ParseErrorName(ParseError error) {
  switch (error) {
    case ParseError::kTooShort:
      return "too short";
    case ParseError::kNotStun:
      return "not STUN";
    case ParseError::kBadMagicCookie:
      return "bad magic cookie";
    case ParseError::kBadLength:
      return "length not a multiple of 4";
    case ParseError::kLengthMismatch:
      return "length mismatch";
    case ParseError::kAttributeOverrun:
      return "attribute overruns message";
    case ParseError::kMalformedAttribute:
      return "malformed attribute";
    case ParseError::kFingerprintNotLast:
      return "FINGERPRINT not last";
    case ParseError::kBadFingerprint:
      return "bad FINGERPRINT";
  }
  return "?";
}

bool MessageView::LooksLikeStun(absl::Span<const uint8_t> bytes) {
  return bytes.size() >= kHeaderSize && (bytes[0] & 0xC0) == 0 &&
         LoadBe32(&bytes[4]) == kMagicCookie;
}

Expected<MessageView, ParseFailure> MessageView::Parse(
    absl::Span<const uint8_t> bytes) {
  return ParseAs(bytes, /*rfc3489=*/false);
}

Expected<MessageView, ParseFailure> MessageView::ParseRfc3489BindingRequest(
    absl::Span<const uint8_t> bytes) {
  Expected<MessageView, ParseFailure> view = ParseAs(bytes, /*rfc3489=*/true);
  // Nothing of a failed RFC 3489 parse is answered: no header is passed on,
  // so a caller cannot send it an error (RFC 3489 clients take any answer
  // as a success, and random bytes must not draw one).
  if (!view.ok()) return Unexpected(ParseFailure{view.error().error, {}, 0});
  return view;
}

Expected<MessageView, ParseFailure> MessageView::ParseAs(
    absl::Span<const uint8_t> bytes, bool rfc3489) {
  auto fail = [](ParseError e, std::optional<MessageHeader> header = {},
                 uint16_t type = 0) {
    return Unexpected(ParseFailure{e, header, type});
  };
  // RFC 8489 §5 and §6.3: header checks.
  if (bytes.size() < kHeaderSize) return fail(ParseError::kTooShort);
  if ((bytes[0] & 0xC0) != 0) return fail(ParseError::kNotStun);
  if ((LoadBe32(&bytes[4]) == kMagicCookie) == rfc3489) {
    return fail(ParseError::kBadMagicCookie);
  }
  // RFC 3489 §11.1: without the cookie only the exact Binding request type
  // is accepted (0x0001; RFC 3489 had no indications and a server answers
  // nothing else), which with the length and attribute checks below keeps
  // random datagrams from passing for one.
  if (rfc3489 && LoadBe16(&bytes[0]) != 0x0001) {
    return fail(ParseError::kNotStun);
  }
  MessageView view;
  view.rfc3489_ = rfc3489;
  view.bytes_ = bytes;
  const uint16_t type = LoadBe16(&bytes[0]);
  // M11..M0 are bits 13..9, 7..5 and 3..0; C1 is bit 8, C0 bit 4.
  view.header_.method = static_cast<uint16_t>(
      (type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
  view.header_.message_class =
      static_cast<MessageClass>(((type >> 7) & 0x2) | ((type >> 4) & 0x1));
  view.header_.length = LoadBe16(&bytes[2]);
  std::copy_n(&bytes[8], kTransactionIdSize,
              view.header_.transaction_id.begin());
  const MessageHeader& header = view.header_;
  if (header.length % 4 != 0) return fail(ParseError::kBadLength);
  if (header.length != bytes.size() - kHeaderSize) {
    return fail(ParseError::kLengthMismatch, header);
  }

  // The attribute walk (RFC 8489 §14).
  bool after_integrity = false;
  bool after_integrity_sha256 = false;
  size_t offset = kHeaderSize;
  const size_t end = bytes.size();
  while (offset < end) {
    if (end - offset < kAttributeHeaderSize) {
      return fail(ParseError::kAttributeOverrun, header);
    }
    const uint16_t attr_type = LoadBe16(&bytes[offset]);
    const size_t length = LoadBe16(&bytes[offset + 2]);
    const size_t padded = length + PaddingFor(length);
    if (padded > end - offset - kAttributeHeaderSize) {
      return fail(ParseError::kAttributeOverrun, header, attr_type);
    }
    const absl::Span<const uint8_t> value =
        bytes.subspan(offset + kAttributeHeaderSize, length);
    if (view.fingerprint_offset_ != 0) {
      // Something follows FINGERPRINT (RFC 8489 §14.7: it must be last).
      return fail(ParseError::kFingerprintNotLast, header, attr_type);
    }
    if (attr_type == static_cast<uint16_t>(AT::kFingerprint)) {
      // FINGERPRINT's CRC covers the cookie (RFC 8489 §14.7): a message
      // without the cookie that carries one is not an RFC 3489 message.
      if (rfc3489) return fail(ParseError::kBadMagicCookie, header, attr_type);
      if (!ValidValue(AT::kFingerprint, value)) {
        return fail(ParseError::kMalformedAttribute, header, attr_type);
      }
      view.fingerprint_offset_ = offset;
      offset += kAttributeHeaderSize + padded;
      continue;
    }
    // RFC 8489 §14.5/§14.6: after MESSAGE-INTEGRITY only
    // MESSAGE-INTEGRITY-SHA256 and FINGERPRINT count; after
    // MESSAGE-INTEGRITY-SHA256 only FINGERPRINT.
    const bool counted =
        !after_integrity_sha256 &&
        (!after_integrity ||
         attr_type == static_cast<uint16_t>(AT::kMessageIntegritySha256));
    if (counted) {
      const int slot = SlotOf(attr_type);
      if (slot >= 0) {
        if (!ValidValue(static_cast<AT>(attr_type), value)) {
          return fail(ParseError::kMalformedAttribute, header, attr_type);
        }
        if (view.first_offset_[slot] == 0) {
          view.first_offset_[slot] = static_cast<uint32_t>(offset);
        }
        if (attr_type == static_cast<uint16_t>(AT::kMessageIntegrity)) {
          view.integrity_offset_ = offset;
          after_integrity = true;
        } else if (attr_type ==
                   static_cast<uint16_t>(AT::kMessageIntegritySha256)) {
          view.integrity_sha256_offset_ = offset;
          after_integrity_sha256 = true;
        }
      } else if (IsComprehensionRequired(attr_type)) {
        auto reported = view.unknown_comprehension_required();
        if (std::find(reported.begin(), reported.end(), attr_type) ==
                reported.end() &&
            view.unknown_count_ < kMaxReportedUnknown) {
          view.unknown_[view.unknown_count_++] = attr_type;
        }
      }
      view.counted_end_ = offset + kAttributeHeaderSize + padded;
    }
    offset += kAttributeHeaderSize + padded;
  }

  if (view.fingerprint_offset_ != 0) {
    const uint32_t expected =
        ComputeFingerprint(bytes.first(view.fingerprint_offset_));
    if (LoadBe32(&bytes[view.fingerprint_offset_ + 4]) != expected) {
      return fail(ParseError::kBadFingerprint, header);
    }
  }
  return view;
}

uint32_t MessageView::LoadCookieField() const { return LoadBe32(&bytes_[4]); }

absl::Span<const uint8_t> MessageView::ValueAt(size_t offset) const {
  return bytes_.subspan(offset + kAttributeHeaderSize,
                        LoadBe16(&bytes_[offset + 2]));
}

std::optional<RawAttribute> MessageView::Find(AttributeType type) const {
  const int slot = SlotOf(static_cast<uint16_t>(type));
  if (slot < 0) return std::nullopt;
  const size_t offset =
      type == AT::kFingerprint ? fingerprint_offset_ : first_offset_[slot];
  if (offset == 0) return std::nullopt;
  return RawAttribute{static_cast<uint16_t>(type), ValueAt(offset), offset};
}

absl::InlinedVector<RawAttribute, 12> MessageView::Attributes() const {
  absl::InlinedVector<RawAttribute, 12> out;
  size_t offset = kHeaderSize;
  while (offset < counted_end_) {
    const uint16_t type = LoadBe16(&bytes_[offset]);
    const size_t length = LoadBe16(&bytes_[offset + 2]);
    // Between MESSAGE-INTEGRITY and the end of the counted region only
    // MESSAGE-INTEGRITY-SHA256 counts.
    const bool skipped =
        integrity_offset_ != 0 && offset > integrity_offset_ &&
        type != static_cast<uint16_t>(AT::kMessageIntegritySha256);
    if (!skipped) out.push_back({type, ValueAt(offset), offset});
    offset += kAttributeHeaderSize + length + PaddingFor(length);
  }
  if (fingerprint_offset_ != 0) {
    out.push_back({static_cast<uint16_t>(AT::kFingerprint),
                   ValueAt(fingerprint_offset_), fingerprint_offset_});
  }
  return out;
}

TransportAddress XorAddress(const TransportAddress& address,
                            const TransactionId& transaction_id) {
  // RFC 8489 §14.2: port XOR the cookie's high 16 bits; IPv4 XOR the cookie;
  // IPv6 XOR cookie || transaction ID.
  uint8_t mask[16];
  StoreBe32(mask, kMagicCookie);
  std::copy(transaction_id.begin(), transaction_id.end(), mask + 4);
  std::array<uint8_t, 16> bytes = address.ip.bytes();
  for (int i = 0; i < address.ip.size(); ++i) bytes[i] ^= mask[i];
  TransportAddress out;
  if (address.ip.is_v4()) {
    out.ip = IpAddress::V4({bytes[0], bytes[1], bytes[2], bytes[3]});
  } else {
    out.ip = IpAddress::V6(bytes);
  }
  out.port = static_cast<uint16_t>(address.port ^ (kMagicCookie >> 16));
  return out;
}

std::optional<TransportAddress> MessageView::AddressAt(AttributeType type,
                                                       bool xored) const {
  std::optional<RawAttribute> a = Find(type);
  if (!a) return std::nullopt;
  const TransportAddress address = DecodePlainAddress(a->value);
  return xored ? XorAddress(address, header_.transaction_id) : address;
}

std::optional<TransportAddress> MessageView::MappedAddress() const {
  return AddressAt(AT::kMappedAddress, false);
}
std::optional<TransportAddress> MessageView::XorMappedAddress() const {
  return AddressAt(AT::kXorMappedAddress, true);
}
std::optional<TransportAddress> MessageView::AlternateServer() const {
  return AddressAt(AT::kAlternateServer, false);
}
std::optional<TransportAddress> MessageView::ResponseOrigin() const {
  return AddressAt(AT::kResponseOrigin, false);
}
std::optional<TransportAddress> MessageView::OtherAddress() const {
  return AddressAt(AT::kOtherAddress, false);
}

absl::InlinedVector<TransportAddress, 2> MessageView::XorPeerAddresses() const {
  absl::InlinedVector<TransportAddress, 2> out;
  for (const RawAttribute& a : Attributes()) {
    if (a.type == static_cast<uint16_t>(AT::kXorPeerAddress)) {
      out.push_back(
          XorAddress(DecodePlainAddress(a.value), header_.transaction_id));
    }
  }
  return out;
}

absl::InlinedVector<TransportAddress, 2> MessageView::XorRelayedAddresses()
    const {
  absl::InlinedVector<TransportAddress, 2> out;
  for (const RawAttribute& a : Attributes()) {
    if (a.type == static_cast<uint16_t>(AT::kXorRelayedAddress)) {
      out.push_back(
          XorAddress(DecodePlainAddress(a.value), header_.transaction_id));
    }
  }
  return out;
}

namespace {
template <typename T, typename F>
std::optional<T> Map(std::optional<RawAttribute> a, F f) {
  if (!a) return std::nullopt;
  return f(a->value);
}
}  // namespace

std::optional<std::string_view> MessageView::Username() const {
  return Map<std::string_view>(Find(AT::kUsername), AsString);
}
std::optional<absl::Span<const uint8_t>> MessageView::Userhash() const {
  return Map<absl::Span<const uint8_t>>(Find(AT::kUserhash),
                                        [](auto v) { return v; });
}
std::optional<std::string_view> MessageView::Realm() const {
  return Map<std::string_view>(Find(AT::kRealm), AsString);
}
std::optional<std::string_view> MessageView::Nonce() const {
  return Map<std::string_view>(Find(AT::kNonce), AsString);
}
std::optional<std::string_view> MessageView::Software() const {
  return Map<std::string_view>(Find(AT::kSoftware), AsString);
}
std::optional<std::string_view> MessageView::AlternateDomain() const {
  return Map<std::string_view>(Find(AT::kAlternateDomain), AsString);
}

std::optional<ErrorCodeValue> MessageView::ErrorCode() const {
  return Map<ErrorCodeValue>(Find(AT::kErrorCode), [](auto v) {
    return ErrorCodeValue{(v[2] & 0x07) * 100 + v[3], AsString(v.subspan(4))};
  });
}

absl::InlinedVector<uint16_t, 4> MessageView::UnknownAttributes() const {
  absl::InlinedVector<uint16_t, 4> out;
  if (auto a = Find(AT::kUnknownAttributes)) {
    for (size_t i = 0; i + 1 < a->value.size(); i += 2) {
      out.push_back(LoadBe16(&a->value[i]));
    }
  }
  return out;
}

std::optional<PasswordAlgorithmValue> MessageView::PasswordAlgorithm() const {
  return Map<PasswordAlgorithmValue>(Find(AT::kPasswordAlgorithm), [](auto v) {
    return PasswordAlgorithmValue{LoadBe16(&v[0]),
                                  v.subspan(4, LoadBe16(&v[2]))};
  });
}

absl::InlinedVector<PasswordAlgorithmValue, 2> MessageView::PasswordAlgorithms()
    const {
  absl::InlinedVector<PasswordAlgorithmValue, 2> out;
  if (auto a = Find(AT::kPasswordAlgorithms)) {
    const absl::Span<const uint8_t> v = a->value;
    size_t p = 0;
    while (p < v.size()) {  // bounds were checked by Parse()
      const size_t params = LoadBe16(&v[p + 2]);
      out.push_back({LoadBe16(&v[p]), v.subspan(p + 4, params)});
      p += 4 + params + PaddingFor(params);
    }
  }
  return out;
}

std::optional<absl::Span<const uint8_t>> MessageView::MessageIntegrity() const {
  return Map<absl::Span<const uint8_t>>(Find(AT::kMessageIntegrity),
                                        [](auto v) { return v; });
}
std::optional<absl::Span<const uint8_t>> MessageView::MessageIntegritySha256()
    const {
  return Map<absl::Span<const uint8_t>>(Find(AT::kMessageIntegritySha256),
                                        [](auto v) { return v; });
}
std::optional<uint32_t> MessageView::Fingerprint() const {
  return Map<uint32_t>(Find(AT::kFingerprint),
                       [](auto v) { return LoadBe32(v.data()); });
}

std::optional<uint16_t> MessageView::ChannelNumber() const {
  return Map<uint16_t>(Find(AT::kChannelNumber),
                       [](auto v) { return LoadBe16(v.data()); });
}
std::optional<uint32_t> MessageView::Lifetime() const {
  return Map<uint32_t>(Find(AT::kLifetime),
                       [](auto v) { return LoadBe32(v.data()); });
}
std::optional<absl::Span<const uint8_t>> MessageView::Data() const {
  return Map<absl::Span<const uint8_t>>(Find(AT::kData),
                                        [](auto v) { return v; });
}
std::optional<uint8_t> MessageView::RequestedAddressFamily() const {
  return Map<uint8_t>(Find(AT::kRequestedAddressFamily),
                      [](auto v) { return v[0]; });
}
std::optional<uint8_t> MessageView::AdditionalAddressFamily() const {
  return Map<uint8_t>(Find(AT::kAdditionalAddressFamily),
                      [](auto v) { return v[0]; });
}
std::optional<bool> MessageView::EvenPort() const {
  return Map<bool>(Find(AT::kEvenPort),
                   [](auto v) { return (v[0] & 0x80) != 0; });
}
std::optional<uint8_t> MessageView::RequestedTransport() const {
  return Map<uint8_t>(Find(AT::kRequestedTransport),
                      [](auto v) { return v[0]; });
}
std::optional<uint64_t> MessageView::ReservationToken() const {
  return Map<uint64_t>(Find(AT::kReservationToken),
                       [](auto v) { return LoadBe64(v.data()); });
}
std::optional<AddressErrorCodeValue> MessageView::AddressErrorCode() const {
  return Map<AddressErrorCodeValue>(Find(AT::kAddressErrorCode), [](auto v) {
    return AddressErrorCodeValue{v[0], (v[2] & 0x07) * 100 + v[3],
                                 AsString(v.subspan(4))};
  });
}
std::optional<IcmpValue> MessageView::Icmp() const {
  return Map<IcmpValue>(Find(AT::kIcmp), [](auto v) {
    return IcmpValue{v[2], v[3], LoadBe32(&v[4])};
  });
}
std::optional<uint32_t> MessageView::ConnectionId() const {
  return Map<uint32_t>(Find(AT::kConnectionId),
                       [](auto v) { return LoadBe32(v.data()); });
}
std::optional<ChangeRequestValue> MessageView::ChangeRequest() const {
  // RFC 5780 §7.2: A (change IP) is 0x4, B (change port) is 0x2.
  return Map<ChangeRequestValue>(Find(AT::kChangeRequest), [](auto v) {
    return ChangeRequestValue{(v[3] & 0x04) != 0, (v[3] & 0x02) != 0};
  });
}
std::optional<uint16_t> MessageView::ResponsePort() const {
  return Map<uint16_t>(Find(AT::kResponsePort),
                       [](auto v) { return LoadBe16(v.data()); });
}
std::optional<absl::Span<const uint8_t>> MessageView::Padding() const {
  return Map<absl::Span<const uint8_t>>(Find(AT::kPadding),
                                        [](auto v) { return v; });
}
std::optional<uint32_t> MessageView::Priority() const {
  return Map<uint32_t>(Find(AT::kPriority),
                       [](auto v) { return LoadBe32(v.data()); });
}
std::optional<uint64_t> MessageView::IceControlled() const {
  return Map<uint64_t>(Find(AT::kIceControlled),
                       [](auto v) { return LoadBe64(v.data()); });
}
std::optional<uint64_t> MessageView::IceControlling() const {
  return Map<uint64_t>(Find(AT::kIceControlling),
                       [](auto v) { return LoadBe64(v.data()); });
}

}  // namespace turnpike::stun
