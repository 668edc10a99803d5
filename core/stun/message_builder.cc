#include "core/stun/message_builder.h"

#include <algorithm>
#include <cstring>

#include "core/stun/fingerprint.h"
#include "core/stun/integrity.h"
#include "core/util/byte_io.h"

namespace turnpike::stun {
namespace {

// RFC 8489 §5: interleave the class bits C1 (bit 8) and C0 (bit 4) with the
// 12 method bits.
uint16_t EncodeType(MessageClass message_class, uint16_t method) {
  const uint16_t c = static_cast<uint16_t>(message_class);
  return static_cast<uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) |
                               ((method & 0x0F80) << 2) | ((c & 0x1) << 4) |
                               ((c & 0x2) << 7));
}

// The largest body a 16-bit length that is a multiple of 4 can describe.
constexpr size_t kMaxBody = 0xFFFC;

// RFC 8489 §14.3, §14.9, §14.10, §14.14, §14.16: the text attributes have
// size limits, which MessageView::Parse enforces; refuse to write what it
// would reject.
size_t MaxValueSize(uint16_t type) {
  switch (static_cast<AttributeType>(type)) {
    case AttributeType::kUsername:
      return kMaxUsernameBytes;
    case AttributeType::kRealm:
      return kMaxRealmBytes;
    case AttributeType::kNonce:
      return kMaxNonceBytes;
    case AttributeType::kSoftware:
      return kMaxSoftwareBytes;
    case AttributeType::kAlternateDomain:
      return kMaxAlternateDomainBytes;
    default:
      return 0xFFFF;
  }
}

}  // namespace

MessageBuilder::MessageBuilder(absl::Span<uint8_t> buffer,
                               MessageClass message_class, uint16_t method,
                               const TransactionId& transaction_id)
    : buffer_(buffer), transaction_id_(transaction_id) {
  if (buffer_.size() < kHeaderSize) {
    Fail(BuildError::kBufferTooSmall);
    return;
  }
  StoreBe16(&buffer_[0], EncodeType(message_class, method & 0x0FFF));
  StoreBe16(&buffer_[2], 0);
  StoreBe32(&buffer_[4], kMagicCookie);
  std::copy(transaction_id.begin(), transaction_id.end(), &buffer_[8]);
  size_ = kHeaderSize;
}

MessageBuilder& MessageBuilder::SetCookieField(uint32_t value) {
  if (!error_) StoreBe32(&buffer_[4], value);
  return *this;
}

void MessageBuilder::SetLength(size_t body_length) {
  StoreBe16(&buffer_[2], static_cast<uint16_t>(body_length));
}

uint8_t* MessageBuilder::Append(uint16_t type, size_t length) {
  if (error_) return nullptr;
  if (sealed_by_fingerprint_) {
    Fail(BuildError::kAfterFingerprint);
    return nullptr;
  }
  const bool trailer =
      type == static_cast<uint16_t>(AttributeType::kMessageIntegrity) ||
      type == static_cast<uint16_t>(AttributeType::kMessageIntegritySha256) ||
      type == static_cast<uint16_t>(AttributeType::kFingerprint);
  if (sealed_by_integrity_ && !trailer) {
    Fail(BuildError::kAfterIntegrity);
    return nullptr;
  }
  if (length > 0xFFFF) {
    Fail(BuildError::kValueTooLong);
    return nullptr;
  }
  const size_t total = kAttributeHeaderSize + length + PaddingFor(length);
  if (total > buffer_.size() - size_ ||
      size_ - kHeaderSize + total > kMaxBody) {
    Fail(BuildError::kBufferTooSmall);
    return nullptr;
  }
  uint8_t* p = &buffer_[size_];
  StoreBe16(p, type);
  StoreBe16(p + 2, static_cast<uint16_t>(length));
  // Padding content is ignored on receipt (RFC 8489 §14); writing a fixed
  // byte keeps encodings deterministic.
  std::memset(p + kAttributeHeaderSize + length, padding_byte_,
              PaddingFor(length));
  size_ += total;
  SetLength(size_ - kHeaderSize);
  return p + kAttributeHeaderSize;
}

MessageBuilder& MessageBuilder::AddBytes(uint16_t type,
                                         absl::Span<const uint8_t> value) {
  if (value.size() > MaxValueSize(type)) {
    Fail(BuildError::kValueTooLong);
    return *this;
  }
  if (uint8_t* p = Append(type, value.size())) {
    if (!value.empty()) std::memcpy(p, value.data(), value.size());
  }
  return *this;
}

MessageBuilder& MessageBuilder::AddBytes(AttributeType type,
                                         absl::Span<const uint8_t> value) {
  return AddBytes(static_cast<uint16_t>(type), value);
}

MessageBuilder& MessageBuilder::AddString(AttributeType type,
                                          std::string_view value) {
  return AddBytes(
      type, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(value.data()),
                                value.size()));
}

MessageBuilder& MessageBuilder::AddUint32(AttributeType type, uint32_t value) {
  if (uint8_t* p = Append(static_cast<uint16_t>(type), 4)) StoreBe32(p, value);
  return *this;
}

MessageBuilder& MessageBuilder::AddUint64(AttributeType type, uint64_t value) {
  if (uint8_t* p = Append(static_cast<uint16_t>(type), 8)) StoreBe64(p, value);
  return *this;
}

MessageBuilder& MessageBuilder::AddEmpty(AttributeType type) {
  Append(static_cast<uint16_t>(type), 0);
  return *this;
}

MessageBuilder& MessageBuilder::AddAddress(AttributeType type,
                                           const TransportAddress& address) {
  // RFC 8489 §14.1: zero octet, family, port, address.
  const size_t ip_size = static_cast<size_t>(address.ip.size());
  if (uint8_t* p = Append(static_cast<uint16_t>(type), 4 + ip_size)) {
    p[0] = 0;
    p[1] = static_cast<uint8_t>(address.family());
    StoreBe16(p + 2, address.port);
    std::memcpy(p + 4, address.ip.bytes().data(), ip_size);
  }
  return *this;
}

MessageBuilder& MessageBuilder::AddXorAddress(AttributeType type,
                                              const TransportAddress& address) {
  return AddAddress(type, XorAddress(address, transaction_id_));
}

MessageBuilder& MessageBuilder::AddErrorCode(int code,
                                             std::string_view reason) {
  // RFC 8489 §14.8: 21 reserved bits, class (3 bits), number (8 bits).
  if (code < 300 || code > 699 || reason.size() > kMaxReasonPhraseBytes) {
    Fail(BuildError::kValueTooLong);
    return *this;
  }
  if (uint8_t* p = Append(static_cast<uint16_t>(AttributeType::kErrorCode),
                          4 + reason.size())) {
    p[0] = 0;
    p[1] = 0;
    p[2] = static_cast<uint8_t>(code / 100);
    p[3] = static_cast<uint8_t>(code % 100);
    if (!reason.empty()) std::memcpy(p + 4, reason.data(), reason.size());
  }
  return *this;
}

MessageBuilder& MessageBuilder::AddErrorCode(int code) {
  return AddErrorCode(code, DefaultReasonPhrase(code));
}

MessageBuilder& MessageBuilder::AddUnknownAttributes(
    absl::Span<const uint16_t> types) {
  if (uint8_t* p =
          Append(static_cast<uint16_t>(AttributeType::kUnknownAttributes),
                 2 * types.size())) {
    for (size_t i = 0; i < types.size(); ++i) StoreBe16(p + 2 * i, types[i]);
  }
  return *this;
}

MessageBuilder& MessageBuilder::AddChannelNumber(uint16_t channel) {
  // RFC 8656 §18.1: number, then 16 RFFU bits.
  return AddUint32(AttributeType::kChannelNumber, uint32_t{channel} << 16);
}

MessageBuilder& MessageBuilder::AddLifetime(uint32_t seconds) {
  return AddUint32(AttributeType::kLifetime, seconds);
}

MessageBuilder& MessageBuilder::AddRequestedTransport(uint8_t protocol) {
  // RFC 8656 §18.7: protocol, then 24 RFFU bits.
  return AddUint32(AttributeType::kRequestedTransport,
                   uint32_t{protocol} << 24);
}

MessageBuilder& MessageBuilder::AddRequestedAddressFamily(uint8_t family) {
  return AddUint32(AttributeType::kRequestedAddressFamily,
                   uint32_t{family} << 24);
}

MessageBuilder& MessageBuilder::AddAdditionalAddressFamily(uint8_t family) {
  return AddUint32(AttributeType::kAdditionalAddressFamily,
                   uint32_t{family} << 24);
}

MessageBuilder& MessageBuilder::AddEvenPort(bool reserve_next) {
  const uint8_t value = reserve_next ? 0x80 : 0x00;
  return AddBytes(AttributeType::kEvenPort, absl::MakeConstSpan(&value, 1));
}

MessageBuilder& MessageBuilder::AddReservationToken(uint64_t token) {
  return AddUint64(AttributeType::kReservationToken, token);
}

MessageBuilder& MessageBuilder::AddPasswordAlgorithm(
    const PasswordAlgorithmValue& value) {
  const size_t params = value.parameters.size();
  if (uint8_t* p =
          Append(static_cast<uint16_t>(AttributeType::kPasswordAlgorithm),
                 4 + params)) {
    StoreBe16(p, value.algorithm);
    StoreBe16(p + 2, static_cast<uint16_t>(params));
    if (params) std::memcpy(p + 4, value.parameters.data(), params);
  }
  return *this;
}

MessageBuilder& MessageBuilder::AddPasswordAlgorithms(
    absl::Span<const PasswordAlgorithmValue> values) {
  // RFC 8489 §14.11: each entry's parameters are padded to 4 bytes.
  size_t length = 0;
  for (const auto& v : values) {
    length += 4 + v.parameters.size() + PaddingFor(v.parameters.size());
  }
  if (uint8_t* p = Append(
          static_cast<uint16_t>(AttributeType::kPasswordAlgorithms), length)) {
    for (const auto& v : values) {
      const size_t params = v.parameters.size();
      StoreBe16(p, v.algorithm);
      StoreBe16(p + 2, static_cast<uint16_t>(params));
      if (params) std::memcpy(p + 4, v.parameters.data(), params);
      std::memset(p + 4 + params, padding_byte_, PaddingFor(params));
      p += 4 + params + PaddingFor(params);
    }
  }
  return *this;
}

MessageBuilder& MessageBuilder::AddAddressErrorCode(uint8_t family, int code,
                                                    std::string_view reason) {
  // RFC 8656 §18.11: family, reserved, class, number, reason.
  if (code < 300 || code > 699 || reason.size() > kMaxReasonPhraseBytes) {
    Fail(BuildError::kValueTooLong);
    return *this;
  }
  if (uint8_t* p =
          Append(static_cast<uint16_t>(AttributeType::kAddressErrorCode),
                 4 + reason.size())) {
    p[0] = family;
    p[1] = 0;
    p[2] = static_cast<uint8_t>(code / 100);
    p[3] = static_cast<uint8_t>(code % 100);
    if (!reason.empty()) std::memcpy(p + 4, reason.data(), reason.size());
  }
  return *this;
}

MessageBuilder& MessageBuilder::AddIcmp(const IcmpValue& value) {
  // RFC 8656 §18.13: reserved (16 bits), type, code, error data.
  if (uint8_t* p = Append(static_cast<uint16_t>(AttributeType::kIcmp), 8)) {
    p[0] = 0;
    p[1] = 0;
    p[2] = value.type;
    p[3] = value.code;
    StoreBe32(p + 4, value.error_data);
  }
  return *this;
}

MessageBuilder& MessageBuilder::AddChangeRequest(
    const ChangeRequestValue& value) {
  return AddUint32(
      AttributeType::kChangeRequest,
      (value.change_ip ? 0x4u : 0u) | (value.change_port ? 0x2u : 0u));
}

MessageBuilder& MessageBuilder::AddResponsePort(uint16_t port) {
  // RFC 5780 §7.5: port, then 16 bits of padding.
  return AddUint32(AttributeType::kResponsePort, uint32_t{port} << 16);
}

MessageBuilder& MessageBuilder::AddConnectionId(uint32_t id) {
  return AddUint32(AttributeType::kConnectionId, id);
}

MessageBuilder& MessageBuilder::AddMessageIntegrity(
    absl::Span<const uint8_t> key) {
  const size_t offset = size_;
  uint8_t* p = Append(static_cast<uint16_t>(AttributeType::kMessageIntegrity),
                      kMessageIntegritySize);
  if (p == nullptr) return *this;
  // Append() already set the header length to include this attribute, which
  // is what §14.5 requires while hashing.
  const std::array<uint8_t, 20> mac = HmacSha1(key, buffer_.subspan(0, offset));
  std::memcpy(p, mac.data(), mac.size());
  sealed_by_integrity_ = true;
  return *this;
}

MessageBuilder& MessageBuilder::AddMessageIntegritySha256(
    absl::Span<const uint8_t> key, size_t size) {
  if (size < kMinMessageIntegritySha256Size ||
      size > kMaxMessageIntegritySha256Size || size % 4 != 0) {
    Fail(BuildError::kValueTooLong);
    return *this;
  }
  const size_t offset = size_;
  uint8_t* p = Append(
      static_cast<uint16_t>(AttributeType::kMessageIntegritySha256), size);
  if (p == nullptr) return *this;
  const std::array<uint8_t, 32> mac =
      HmacSha256(key, buffer_.subspan(0, offset));
  std::memcpy(p, mac.data(), size);
  sealed_by_integrity_ = true;
  return *this;
}

MessageBuilder& MessageBuilder::AddFingerprint() {
  const size_t offset = size_;
  uint8_t* p = Append(static_cast<uint16_t>(AttributeType::kFingerprint), 4);
  if (p == nullptr) return *this;
  StoreBe32(p, ComputeFingerprint(buffer_.subspan(0, offset)));
  sealed_by_fingerprint_ = true;
  return *this;
}

Expected<absl::Span<const uint8_t>, BuildError> MessageBuilder::Finish() const {
  if (error_) return Unexpected(*error_);
  return absl::Span<const uint8_t>(buffer_.data(), size_);
}

}  // namespace turnpike::stun
