#include "tests/property/stun_generators.h"

#include <rapidcheck.h>

#include <algorithm>

#include "core/util/byte_io.h"
#include "tests/harness/hex.h"
#include "tests/property/uniform.h"

namespace turnpike::testing {
namespace {

using stun::AttributeType;
using AT = AttributeType;
using Kind = AttributeOp::Kind;

constexpr int kKindCount = static_cast<int>(Kind::kUnknown) + 1;

// A length up to `limit`, biased towards short values and the limit itself,
// where bugs live.
size_t PickLength(size_t limit) {
  switch (Uniform(0, 10)) {
    case 0:
      return limit;
    case 1:
    case 2:
      return Uniform<size_t>(0, limit + 1);
    default:
      return Uniform<size_t>(0, std::min<size_t>(limit, 24) + 1);
  }
}

// `n` random bytes. Short values come from rapidcheck element by element (so
// they shrink well); long ones are filled from one generated seed, which
// keeps 1000 cases fast under the sanitizers.
std::vector<uint8_t> PickBytes(size_t n) {
  if (n <= 32) {
    return *rc::gen::container<std::vector<uint8_t>>(
        n, rc::gen::arbitrary<uint8_t>());
  }
  uint64_t state = *rc::gen::arbitrary<uint64_t>();
  std::vector<uint8_t> out(n);
  for (uint8_t& b : out) {
    // SplitMix64.
    state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    b = static_cast<uint8_t>(z ^ (z >> 31));
  }
  return out;
}

std::string PickText(size_t limit) {
  const std::vector<uint8_t> bytes = PickBytes(PickLength(limit));
  return std::string(bytes.begin(), bytes.end());
}

int PickErrorCode() {
  // Mostly the registered codes, sometimes anything in 300..699.
  if (*rc::gen::arbitrary<bool>()) {
    return *rc::gen::element(300, 400, 401, 403, 420, 437, 438, 440, 441, 442,
                             443, 486, 487, 500, 508, 699);
  }
  return Uniform(300, 700);
}

uint16_t PickUnknownType() {
  // Half comprehension-required (which the view must report), half optional.
  // Sometimes from a small set, so that the same unknown type repeats.
  const bool required = *rc::gen::arbitrary<bool>();
  if (*rc::gen::arbitrary<bool>()) {
    return required ? *rc::gen::element<uint16_t>(0x0000, 0x0002, 0x7FFF)
                    : *rc::gen::element<uint16_t>(0x8005, 0xC000, 0xFFFF);
  }
  while (true) {
    const uint16_t t = static_cast<uint16_t>(
        required ? Uniform(0, 0x8000) : Uniform(0x8000, 0x10000));
    if (stun::AttributeName(t).empty()) return t;
  }
}

std::vector<std::pair<uint16_t, std::vector<uint8_t>>> PickAlgorithms(
    size_t count) {
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> out;
  for (size_t i = 0; i < count; ++i) {
    const uint16_t algorithm = *rc::gen::arbitrary<bool>()
                                   ? *rc::gen::element<uint16_t>(1, 2)
                                   : *rc::gen::arbitrary<uint16_t>();
    out.emplace_back(algorithm, PickBytes(PickLength(40)));
  }
  return out;
}

std::string_view KindName(Kind k) {
  switch (k) {
    case Kind::kAddress:
      return "Address";
    case Kind::kXorAddress:
      return "XorAddress";
    case Kind::kString:
      return "String";
    case Kind::kErrorCode:
      return "ErrorCode";
    case Kind::kUnknownAttributes:
      return "UnknownAttributes";
    case Kind::kChannelNumber:
      return "ChannelNumber";
    case Kind::kLifetime:
      return "Lifetime";
    case Kind::kData:
      return "Data";
    case Kind::kPadding:
      return "Padding";
    case Kind::kUserhash:
      return "Userhash";
    case Kind::kRequestedAddressFamily:
      return "RequestedAddressFamily";
    case Kind::kAdditionalAddressFamily:
      return "AdditionalAddressFamily";
    case Kind::kEvenPort:
      return "EvenPort";
    case Kind::kRequestedTransport:
      return "RequestedTransport";
    case Kind::kDontFragment:
      return "DontFragment";
    case Kind::kUseCandidate:
      return "UseCandidate";
    case Kind::kReservationToken:
      return "ReservationToken";
    case Kind::kPasswordAlgorithm:
      return "PasswordAlgorithm";
    case Kind::kPasswordAlgorithms:
      return "PasswordAlgorithms";
    case Kind::kAddressErrorCode:
      return "AddressErrorCode";
    case Kind::kIcmp:
      return "Icmp";
    case Kind::kConnectionId:
      return "ConnectionId";
    case Kind::kChangeRequest:
      return "ChangeRequest";
    case Kind::kResponsePort:
      return "ResponsePort";
    case Kind::kPriority:
      return "Priority";
    case Kind::kIceControlled:
      return "IceControlled";
    case Kind::kIceControlling:
      return "IceControlling";
    case Kind::kUnknown:
      return "Unknown";
  }
  return "?";
}

std::vector<uint8_t> WithExtraByte(const std::vector<uint8_t>& key) {
  std::vector<uint8_t> other = key;
  other.push_back(0x5A);
  return other;
}

}  // namespace

uint16_t AttributeOp::WireType() const {
  switch (kind) {
    case Kind::kAddress:
    case Kind::kXorAddress:
    case Kind::kString:
      return static_cast<uint16_t>(type);
    case Kind::kErrorCode:
      return static_cast<uint16_t>(AT::kErrorCode);
    case Kind::kUnknownAttributes:
      return static_cast<uint16_t>(AT::kUnknownAttributes);
    case Kind::kChannelNumber:
      return static_cast<uint16_t>(AT::kChannelNumber);
    case Kind::kLifetime:
      return static_cast<uint16_t>(AT::kLifetime);
    case Kind::kData:
      return static_cast<uint16_t>(AT::kData);
    case Kind::kPadding:
      return static_cast<uint16_t>(AT::kPadding);
    case Kind::kUserhash:
      return static_cast<uint16_t>(AT::kUserhash);
    case Kind::kRequestedAddressFamily:
      return static_cast<uint16_t>(AT::kRequestedAddressFamily);
    case Kind::kAdditionalAddressFamily:
      return static_cast<uint16_t>(AT::kAdditionalAddressFamily);
    case Kind::kEvenPort:
      return static_cast<uint16_t>(AT::kEvenPort);
    case Kind::kRequestedTransport:
      return static_cast<uint16_t>(AT::kRequestedTransport);
    case Kind::kDontFragment:
      return static_cast<uint16_t>(AT::kDontFragment);
    case Kind::kUseCandidate:
      return static_cast<uint16_t>(AT::kUseCandidate);
    case Kind::kReservationToken:
      return static_cast<uint16_t>(AT::kReservationToken);
    case Kind::kPasswordAlgorithm:
      return static_cast<uint16_t>(AT::kPasswordAlgorithm);
    case Kind::kPasswordAlgorithms:
      return static_cast<uint16_t>(AT::kPasswordAlgorithms);
    case Kind::kAddressErrorCode:
      return static_cast<uint16_t>(AT::kAddressErrorCode);
    case Kind::kIcmp:
      return static_cast<uint16_t>(AT::kIcmp);
    case Kind::kConnectionId:
      return static_cast<uint16_t>(AT::kConnectionId);
    case Kind::kChangeRequest:
      return static_cast<uint16_t>(AT::kChangeRequest);
    case Kind::kResponsePort:
      return static_cast<uint16_t>(AT::kResponsePort);
    case Kind::kPriority:
      return static_cast<uint16_t>(AT::kPriority);
    case Kind::kIceControlled:
      return static_cast<uint16_t>(AT::kIceControlled);
    case Kind::kIceControlling:
      return static_cast<uint16_t>(AT::kIceControlling);
    case Kind::kUnknown:
      return raw_type;
  }
  return 0;
}

void AttributeOp::Apply(stun::MessageBuilder& b) const {
  switch (kind) {
    case Kind::kAddress:
      b.AddAddress(type, address);
      return;
    case Kind::kXorAddress:
      b.AddXorAddress(type, address);
      return;
    case Kind::kString:
      b.AddString(type, text);
      return;
    case Kind::kErrorCode:
      b.AddErrorCode(static_cast<int>(number), text);
      return;
    case Kind::kUnknownAttributes:
      b.AddUnknownAttributes(types);
      return;
    case Kind::kChannelNumber:
      b.AddChannelNumber(static_cast<uint16_t>(number));
      return;
    case Kind::kLifetime:
      b.AddLifetime(static_cast<uint32_t>(number));
      return;
    case Kind::kData:
      b.AddBytes(AT::kData, bytes);
      return;
    case Kind::kPadding:
      b.AddBytes(AT::kPadding, bytes);
      return;
    case Kind::kUserhash:
      b.AddBytes(AT::kUserhash, bytes);
      return;
    case Kind::kRequestedAddressFamily:
      b.AddRequestedAddressFamily(family);
      return;
    case Kind::kAdditionalAddressFamily:
      b.AddAdditionalAddressFamily(family);
      return;
    case Kind::kEvenPort:
      b.AddEvenPort(flag);
      return;
    case Kind::kRequestedTransport:
      b.AddRequestedTransport(static_cast<uint8_t>(number));
      return;
    case Kind::kDontFragment:
      b.AddEmpty(AT::kDontFragment);
      return;
    case Kind::kUseCandidate:
      b.AddEmpty(AT::kUseCandidate);
      return;
    case Kind::kReservationToken:
      b.AddReservationToken(number);
      return;
    case Kind::kPasswordAlgorithm:
      b.AddPasswordAlgorithm({algorithms[0].first, algorithms[0].second});
      return;
    case Kind::kPasswordAlgorithms: {
      std::vector<stun::PasswordAlgorithmValue> values;
      for (const auto& [algorithm, params] : algorithms) {
        values.push_back({algorithm, params});
      }
      b.AddPasswordAlgorithms(values);
      return;
    }
    case Kind::kAddressErrorCode:
      b.AddAddressErrorCode(family, static_cast<int>(number), text);
      return;
    case Kind::kIcmp:
      b.AddIcmp(icmp);
      return;
    case Kind::kConnectionId:
      b.AddConnectionId(static_cast<uint32_t>(number));
      return;
    case Kind::kChangeRequest:
      b.AddChangeRequest({flag, flag2});
      return;
    case Kind::kResponsePort:
      b.AddResponsePort(static_cast<uint16_t>(number));
      return;
    case Kind::kPriority:
      b.AddUint32(AT::kPriority, static_cast<uint32_t>(number));
      return;
    case Kind::kIceControlled:
      b.AddUint64(AT::kIceControlled, number);
      return;
    case Kind::kIceControlling:
      b.AddUint64(AT::kIceControlling, number);
      return;
    case Kind::kUnknown:
      b.AddBytes(raw_type, bytes);
      return;
  }
}

std::ostream& operator<<(std::ostream& os, const AttributeOp& op) {
  os << KindName(op.kind) << "(0x" << std::hex << op.WireType() << std::dec;
  switch (op.kind) {
    case Kind::kAddress:
    case Kind::kXorAddress:
      os << " " << op.address.ToString();
      break;
    case Kind::kString:
      os << " " << op.text.size() << " bytes";
      break;
    case Kind::kErrorCode:
    case Kind::kAddressErrorCode:
      os << " family=" << int{op.family} << " code=" << op.number
         << " reason=" << op.text.size() << " bytes";
      break;
    case Kind::kUnknownAttributes:
      os << " " << op.types.size() << " types";
      break;
    case Kind::kPasswordAlgorithm:
    case Kind::kPasswordAlgorithms:
      for (const auto& [a, p] : op.algorithms) {
        os << " {" << a << ", " << p.size() << " bytes}";
      }
      break;
    case Kind::kIcmp:
      os << " " << int{op.icmp.type} << "/" << int{op.icmp.code} << "/"
         << op.icmp.error_data;
      break;
    default:
      os << " number=" << op.number << " family=" << int{op.family}
         << " flags=" << op.flag << op.flag2 << " bytes=" << ToHex(op.bytes);
  }
  return os << ")";
}

std::ostream& operator<<(std::ostream& os, const Trailer& t) {
  os << "{";
  if (t.integrity_key) os << " MI key=" << ToHex(*t.integrity_key);
  if (t.integrity_sha256_key) {
    os << " MI-SHA256/" << t.sha256_size
       << " key=" << ToHex(*t.integrity_sha256_key);
  }
  if (t.fingerprint) os << " FINGERPRINT";
  return os << " }";
}

std::ostream& operator<<(std::ostream& os, const GeneratedMessage& m) {
  os << "class=" << static_cast<int>(m.message_class) << " method=0x"
     << std::hex << m.method << std::dec << " id=" << ToHex(m.transaction_id)
     << " padding=" << int{m.padding_byte} << "\n";
  for (const AttributeOp& op : m.attributes) os << "  " << op << "\n";
  return os << "  trailer " << m.trailer;
}

TransportAddress PickAddress() {
  TransportAddress a;
  if (*rc::gen::arbitrary<bool>()) {
    a.ip = IpAddress::V4(*rc::gen::arbitrary<std::array<uint8_t, 4>>());
  } else {
    a.ip = IpAddress::V6(*rc::gen::arbitrary<std::array<uint8_t, 16>>());
  }
  a.port = *rc::gen::arbitrary<uint16_t>();
  return a;
}

namespace {

// RFC 8489 §14.3 (USERNAME), §14.9 (REALM), §14.10 (NONCE), §14.14
// (SOFTWARE), §14.16 (ALTERNATE-DOMAIN).
size_t StringLimit(AT type) {
  switch (type) {
    case AT::kUsername:
      return stun::kMaxUsernameBytes;
    case AT::kRealm:
      return stun::kMaxRealmBytes;
    case AT::kNonce:
      return stun::kMaxNonceBytes;
    case AT::kSoftware:
      return stun::kMaxSoftwareBytes;
    case AT::kAlternateDomain:
      return stun::kMaxAlternateDomainBytes;
    default:
      return 0;
  }
}

AttributeOp PickAttributeOfKind(Kind kind) {
  AttributeOp op;
  op.kind = kind;
  switch (op.kind) {
    case Kind::kAddress:
      op.type = *rc::gen::element(AT::kMappedAddress, AT::kAlternateServer,
                                  AT::kResponseOrigin, AT::kOtherAddress);
      op.address = PickAddress();
      break;
    case Kind::kXorAddress:
      op.type = *rc::gen::element(AT::kXorMappedAddress, AT::kXorPeerAddress,
                                  AT::kXorRelayedAddress);
      op.address = PickAddress();
      break;
    case Kind::kString:
      op.type = *rc::gen::element(AT::kUsername, AT::kRealm, AT::kNonce,
                                  AT::kSoftware, AT::kAlternateDomain);
      op.text = PickText(StringLimit(op.type));
      break;
    case Kind::kErrorCode:
      op.number = static_cast<uint64_t>(PickErrorCode());
      op.text = PickText(stun::kMaxReasonPhraseBytes);
      break;
    case Kind::kUnknownAttributes:
      op.types = *rc::gen::container<std::vector<uint16_t>>(
          PickLength(12), rc::gen::arbitrary<uint16_t>());
      break;
    case Kind::kChannelNumber:
      op.number = *rc::gen::arbitrary<uint16_t>();
      break;
    case Kind::kLifetime:
    case Kind::kConnectionId:
    case Kind::kPriority:
      op.number = *rc::gen::arbitrary<uint32_t>();
      break;
    case Kind::kData:
    case Kind::kPadding:
      op.bytes = PickBytes(PickLength(1500));
      break;
    case Kind::kUserhash:
      op.bytes = PickBytes(stun::kUserhashSize);
      break;
    case Kind::kRequestedAddressFamily:
    case Kind::kAdditionalAddressFamily:
      op.family = *rc::gen::arbitrary<bool>()
                      ? *rc::gen::element<uint8_t>(0x01, 0x02)
                      : *rc::gen::arbitrary<uint8_t>();
      break;
    case Kind::kEvenPort:
      op.flag = *rc::gen::arbitrary<bool>();
      break;
    case Kind::kRequestedTransport:
      op.number = *rc::gen::arbitrary<uint8_t>();
      break;
    case Kind::kDontFragment:
    case Kind::kUseCandidate:
      break;
    case Kind::kReservationToken:
    case Kind::kIceControlled:
    case Kind::kIceControlling:
      op.number = *rc::gen::arbitrary<uint64_t>();
      break;
    case Kind::kPasswordAlgorithm:
      op.algorithms = PickAlgorithms(1);
      break;
    case Kind::kPasswordAlgorithms:
      op.algorithms = PickAlgorithms(Uniform<size_t>(1, 5));
      break;
    case Kind::kAddressErrorCode:
      op.family = *rc::gen::element<uint8_t>(0x01, 0x02);
      op.number = static_cast<uint64_t>(PickErrorCode());
      op.text = PickText(stun::kMaxReasonPhraseBytes);
      break;
    case Kind::kIcmp:
      op.icmp.type = *rc::gen::arbitrary<uint8_t>();
      op.icmp.code = *rc::gen::arbitrary<uint8_t>();
      op.icmp.error_data = *rc::gen::arbitrary<uint32_t>();
      break;
    case Kind::kChangeRequest:
      op.flag = *rc::gen::arbitrary<bool>();
      op.flag2 = *rc::gen::arbitrary<bool>();
      break;
    case Kind::kResponsePort:
      op.number = *rc::gen::arbitrary<uint16_t>();
      break;
    case Kind::kUnknown:
      op.raw_type = PickUnknownType();
      op.bytes = PickBytes(PickLength(64));
      break;
  }
  return op;
}

}  // namespace

AttributeOp PickAttribute() {
  // Every kind equally, except that unknown types and XOR addresses (which
  // carry the interesting duplicate rules: UNKNOWN-ATTRIBUTES reporting and
  // repeated XOR-PEER-ADDRESS) come up three times as often.
  static const std::vector<Kind> kKinds = [] {
    std::vector<Kind> kinds;
    for (int k = 0; k < kKindCount; ++k) kinds.push_back(static_cast<Kind>(k));
    for (int i = 0; i < 2; ++i) {
      kinds.push_back(Kind::kUnknown);
      kinds.push_back(Kind::kXorAddress);
    }
    return kinds;
  }();
  return PickAttributeOfKind(*rc::gen::elementOf(kKinds));
}

AttributeOp PickAttributeLike(const AttributeOp& like) {
  AttributeOp op = PickAttributeOfKind(like.kind);
  switch (like.kind) {
    case Kind::kAddress:
    case Kind::kXorAddress:
      op.type = like.type;
      break;
    case Kind::kString:
      op.type = like.type;
      op.text = PickText(StringLimit(like.type));
      break;
    case Kind::kUnknown:
      op.raw_type = like.raw_type;
      break;
    default:
      break;
  }
  return op;
}

GeneratedMessage PickMessage(size_t max_attributes) {
  GeneratedMessage m;
  m.message_class = *rc::gen::element(
      stun::MessageClass::kRequest, stun::MessageClass::kIndication,
      stun::MessageClass::kSuccessResponse, stun::MessageClass::kErrorResponse);
  m.method = Uniform<uint16_t>(0, 0x1000);
  m.transaction_id = *rc::gen::arbitrary<stun::TransactionId>();
  m.padding_byte =
      *rc::gen::arbitrary<bool>() ? 0 : *rc::gen::arbitrary<uint8_t>();
  const size_t count = Uniform<size_t>(0, max_attributes + 1);
  for (size_t i = 0; i < count; ++i) m.attributes.push_back(PickAttribute());
  // RFC 8656 §18.3: CreatePermission may carry several XOR-PEER-ADDRESS
  // attributes, all of which count; make that shape common.
  if (Uniform(0, 6) == 0) {
    const size_t peers = Uniform<size_t>(2, 4);
    for (size_t i = 0; i < peers; ++i) {
      AttributeOp op;
      op.kind = Kind::kXorAddress;
      op.type = AT::kXorPeerAddress;
      op.address = PickAddress();
      const size_t at = Uniform<size_t>(0, m.attributes.size() + 1);
      m.attributes.insert(
          m.attributes.begin() + static_cast<std::ptrdiff_t>(at), op);
    }
  }
  if (*rc::gen::arbitrary<bool>()) {
    m.trailer.integrity_key = PickBytes(PickLength(64));
  }
  if (*rc::gen::arbitrary<bool>()) {
    m.trailer.integrity_sha256_key = PickBytes(PickLength(64));
    m.trailer.sha256_size = *rc::gen::element<size_t>(16, 20, 24, 28, 32);
  }
  m.trailer.fingerprint = *rc::gen::arbitrary<bool>();
  return m;
}

std::vector<uint8_t> GeneratedMessage::Encode() const {
  std::vector<uint8_t> buffer(stun::kHeaderSize + 0xFFFC);
  stun::MessageBuilder b(absl::MakeSpan(buffer), message_class, method,
                         transaction_id);
  b.SetPaddingByte(padding_byte);
  for (const AttributeOp& op : attributes) op.Apply(b);
  if (trailer.integrity_key) b.AddMessageIntegrity(*trailer.integrity_key);
  if (trailer.integrity_sha256_key) {
    b.AddMessageIntegritySha256(*trailer.integrity_sha256_key,
                                trailer.sha256_size);
  }
  if (trailer.fingerprint) b.AddFingerprint();
  auto out = b.Finish();
  RC_ASSERT(out.ok());
  RC_ASSERT(b.size() == out->size());
  return std::vector<uint8_t>(out->begin(), out->end());
}

namespace {

// The first attribute of wire type `type`, as RFC 8489 §14 says a receiver
// must read duplicates; nullptr when absent.
const AttributeOp* First(const GeneratedMessage& m, AT type) {
  for (const AttributeOp& op : m.attributes) {
    if (op.WireType() == static_cast<uint16_t>(type)) return &op;
  }
  return nullptr;
}

std::vector<uint8_t> ToVector(absl::Span<const uint8_t> s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

std::optional<TransportAddress> ExpectedAddress(const GeneratedMessage& m,
                                                AT type) {
  const AttributeOp* op = First(m, type);
  if (!op) return std::nullopt;
  return op->address;
}

std::vector<TransportAddress> AllAddresses(const GeneratedMessage& m, AT type) {
  std::vector<TransportAddress> out;
  for (const AttributeOp& op : m.attributes) {
    if (op.WireType() == static_cast<uint16_t>(type)) out.push_back(op.address);
  }
  return out;
}

std::optional<std::string> ExpectedText(const GeneratedMessage& m, AT type) {
  const AttributeOp* op = First(m, type);
  if (!op) return std::nullopt;
  return op->text;
}

std::optional<std::string> ToOptString(std::optional<std::string_view> v) {
  if (!v) return std::nullopt;
  return std::string(*v);
}

std::optional<uint64_t> ExpectedNumber(const GeneratedMessage& m, AT type) {
  const AttributeOp* op = First(m, type);
  if (!op) return std::nullopt;
  return op->number;
}

template <typename T>
std::optional<uint64_t> Widen(std::optional<T> v) {
  if (!v) return std::nullopt;
  return static_cast<uint64_t>(*v);
}

std::optional<std::vector<uint8_t>> ExpectedBytes(const GeneratedMessage& m,
                                                  AT type) {
  const AttributeOp* op = First(m, type);
  if (!op) return std::nullopt;
  return op->bytes;
}

std::optional<std::vector<uint8_t>> ToOptVector(
    std::optional<absl::Span<const uint8_t>> v) {
  if (!v) return std::nullopt;
  return ToVector(*v);
}

using AlgorithmList = std::vector<std::pair<uint16_t, std::vector<uint8_t>>>;

AlgorithmList ToAlgorithmList(
    absl::Span<const stun::PasswordAlgorithmValue> values) {
  AlgorithmList out;
  for (const auto& v : values) {
    out.emplace_back(v.algorithm, ToVector(v.parameters));
  }
  return out;
}

}  // namespace

void AssertDecodesTo(const stun::MessageView& view, const GeneratedMessage& m) {
  // Header.
  RC_ASSERT(view.message_class() == m.message_class);
  RC_ASSERT(view.method() == m.method);
  RC_ASSERT(view.transaction_id() == m.transaction_id);
  RC_ASSERT(size_t{view.header().length} + stun::kHeaderSize ==
            view.bytes().size());

  // The attribute list, in order, with the trailer.
  std::vector<uint16_t> expected_types;
  for (const AttributeOp& op : m.attributes) {
    expected_types.push_back(op.WireType());
  }
  if (m.trailer.integrity_key) {
    expected_types.push_back(static_cast<uint16_t>(AT::kMessageIntegrity));
  }
  if (m.trailer.integrity_sha256_key) {
    expected_types.push_back(
        static_cast<uint16_t>(AT::kMessageIntegritySha256));
  }
  if (m.trailer.fingerprint) {
    expected_types.push_back(static_cast<uint16_t>(AT::kFingerprint));
  }
  std::vector<uint16_t> got_types;
  for (const stun::RawAttribute& a : view.Attributes()) {
    got_types.push_back(a.type);
  }
  RC_ASSERT(got_types == expected_types);

  // Unknown comprehension-required types: distinct, in order, capped.
  std::vector<uint16_t> expected_unknown;
  for (const AttributeOp& op : m.attributes) {
    if (op.kind == Kind::kUnknown &&
        stun::IsComprehensionRequired(op.raw_type) &&
        std::find(expected_unknown.begin(), expected_unknown.end(),
                  op.raw_type) == expected_unknown.end() &&
        expected_unknown.size() < stun::MessageView::kMaxReportedUnknown) {
      expected_unknown.push_back(op.raw_type);
    }
  }
  const auto unknown = view.unknown_comprehension_required();
  RC_ASSERT(std::vector<uint16_t>(unknown.begin(), unknown.end()) ==
            expected_unknown);

  // Addresses.
  RC_ASSERT(view.MappedAddress() == ExpectedAddress(m, AT::kMappedAddress));
  RC_ASSERT(view.AlternateServer() == ExpectedAddress(m, AT::kAlternateServer));
  RC_ASSERT(view.ResponseOrigin() == ExpectedAddress(m, AT::kResponseOrigin));
  RC_ASSERT(view.OtherAddress() == ExpectedAddress(m, AT::kOtherAddress));
  RC_ASSERT(view.XorMappedAddress() ==
            ExpectedAddress(m, AT::kXorMappedAddress));
  const auto peers = view.XorPeerAddresses();
  RC_ASSERT(std::vector<TransportAddress>(peers.begin(), peers.end()) ==
            AllAddresses(m, AT::kXorPeerAddress));
  const auto relayed = view.XorRelayedAddresses();
  RC_ASSERT(std::vector<TransportAddress>(relayed.begin(), relayed.end()) ==
            AllAddresses(m, AT::kXorRelayedAddress));

  // Strings.
  RC_ASSERT(ToOptString(view.Username()) == ExpectedText(m, AT::kUsername));
  RC_ASSERT(ToOptString(view.Realm()) == ExpectedText(m, AT::kRealm));
  RC_ASSERT(ToOptString(view.Nonce()) == ExpectedText(m, AT::kNonce));
  RC_ASSERT(ToOptString(view.Software()) == ExpectedText(m, AT::kSoftware));
  RC_ASSERT(ToOptString(view.AlternateDomain()) ==
            ExpectedText(m, AT::kAlternateDomain));

  // Error codes.
  if (const AttributeOp* op = First(m, AT::kErrorCode)) {
    RC_ASSERT(view.ErrorCode().has_value());
    RC_ASSERT(view.ErrorCode()->code == static_cast<int>(op->number));
    RC_ASSERT(std::string(view.ErrorCode()->reason) == op->text);
  } else {
    RC_ASSERT(!view.ErrorCode().has_value());
  }
  if (const AttributeOp* op = First(m, AT::kAddressErrorCode)) {
    RC_ASSERT(view.AddressErrorCode().has_value());
    RC_ASSERT(view.AddressErrorCode()->family == op->family);
    RC_ASSERT(view.AddressErrorCode()->code == static_cast<int>(op->number));
    RC_ASSERT(std::string(view.AddressErrorCode()->reason) == op->text);
  } else {
    RC_ASSERT(!view.AddressErrorCode().has_value());
  }
  {
    const AttributeOp* op = First(m, AT::kUnknownAttributes);
    const auto listed = view.UnknownAttributes();
    RC_ASSERT(std::vector<uint16_t>(listed.begin(), listed.end()) ==
              (op ? op->types : std::vector<uint16_t>{}));
  }

  // Numbers.
  RC_ASSERT(Widen(view.ChannelNumber()) ==
            ExpectedNumber(m, AT::kChannelNumber));
  RC_ASSERT(Widen(view.Lifetime()) == ExpectedNumber(m, AT::kLifetime));
  RC_ASSERT(Widen(view.RequestedTransport()) ==
            ExpectedNumber(m, AT::kRequestedTransport));
  RC_ASSERT(view.ReservationToken() ==
            ExpectedNumber(m, AT::kReservationToken));
  RC_ASSERT(Widen(view.ConnectionId()) == ExpectedNumber(m, AT::kConnectionId));
  RC_ASSERT(Widen(view.ResponsePort()) == ExpectedNumber(m, AT::kResponsePort));
  RC_ASSERT(Widen(view.Priority()) == ExpectedNumber(m, AT::kPriority));
  RC_ASSERT(view.IceControlled() == ExpectedNumber(m, AT::kIceControlled));
  RC_ASSERT(view.IceControlling() == ExpectedNumber(m, AT::kIceControlling));
  {
    const AttributeOp* op = First(m, AT::kRequestedAddressFamily);
    RC_ASSERT(Widen(view.RequestedAddressFamily()) ==
              (op ? std::optional<uint64_t>(op->family) : std::nullopt));
    op = First(m, AT::kAdditionalAddressFamily);
    RC_ASSERT(Widen(view.AdditionalAddressFamily()) ==
              (op ? std::optional<uint64_t>(op->family) : std::nullopt));
  }

  // Flags and small structures.
  {
    const AttributeOp* op = First(m, AT::kEvenPort);
    RC_ASSERT(view.EvenPort() ==
              (op ? std::optional<bool>(op->flag) : std::nullopt));
    op = First(m, AT::kChangeRequest);
    RC_ASSERT(view.ChangeRequest() ==
              (op ? std::optional<stun::ChangeRequestValue>(
                        stun::ChangeRequestValue{op->flag, op->flag2})
                  : std::nullopt));
    op = First(m, AT::kIcmp);
    RC_ASSERT(view.Icmp() ==
              (op ? std::optional<stun::IcmpValue>(op->icmp) : std::nullopt));
    RC_ASSERT(view.DontFragment() == (First(m, AT::kDontFragment) != nullptr));
    RC_ASSERT(view.UseCandidate() == (First(m, AT::kUseCandidate) != nullptr));
  }

  // Byte strings.
  RC_ASSERT(ToOptVector(view.Data()) == ExpectedBytes(m, AT::kData));
  RC_ASSERT(ToOptVector(view.Padding()) == ExpectedBytes(m, AT::kPadding));
  RC_ASSERT(ToOptVector(view.Userhash()) == ExpectedBytes(m, AT::kUserhash));

  // Password algorithms.
  if (const AttributeOp* op = First(m, AT::kPasswordAlgorithm)) {
    RC_ASSERT(view.PasswordAlgorithm().has_value());
    RC_ASSERT(view.PasswordAlgorithm()->algorithm == op->algorithms[0].first);
    RC_ASSERT(ToVector(view.PasswordAlgorithm()->parameters) ==
              op->algorithms[0].second);
  } else {
    RC_ASSERT(!view.PasswordAlgorithm().has_value());
  }
  {
    const AttributeOp* op = First(m, AT::kPasswordAlgorithms);
    RC_ASSERT(ToAlgorithmList(view.PasswordAlgorithms()) ==
              (op ? op->algorithms : AlgorithmList{}));
  }

  // Integrity: right key verifies, any other key does not, absent is absent.
  if (m.trailer.integrity_key) {
    const auto& key = *m.trailer.integrity_key;
    RC_ASSERT(view.MessageIntegrity().has_value());
    RC_ASSERT(stun::CheckMessageIntegrity(view, key) ==
              stun::IntegrityResult::kOk);
    RC_ASSERT(stun::CheckMessageIntegrity(view, WithExtraByte(key)) ==
              stun::IntegrityResult::kBad);
  } else {
    RC_ASSERT(!view.MessageIntegrity().has_value());
    RC_ASSERT(stun::CheckMessageIntegrity(view, {}) ==
              stun::IntegrityResult::kAbsent);
  }
  if (m.trailer.integrity_sha256_key) {
    const auto& key = *m.trailer.integrity_sha256_key;
    RC_ASSERT(view.MessageIntegritySha256().has_value());
    RC_ASSERT(view.MessageIntegritySha256()->size() == m.trailer.sha256_size);
    RC_ASSERT(stun::CheckMessageIntegritySha256(view, key) ==
              stun::IntegrityResult::kOk);
    RC_ASSERT(stun::CheckMessageIntegritySha256(view, WithExtraByte(key)) ==
              stun::IntegrityResult::kBad);
  } else {
    RC_ASSERT(!view.MessageIntegritySha256().has_value());
    RC_ASSERT(stun::CheckMessageIntegritySha256(view, {}) ==
              stun::IntegrityResult::kAbsent);
  }
  RC_ASSERT(view.Fingerprint().has_value() == m.trailer.fingerprint);
}

}  // namespace turnpike::testing
