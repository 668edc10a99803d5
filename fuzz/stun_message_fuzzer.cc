// libFuzzer target for the STUN reader, MessageView::Parse (RFC 8489 §5-§6,
// §14), and the writer it must agree with, MessageBuilder.
//
// No input may crash the reader. Beyond that, for every input:
//   * rejected: ParseFailure.header is set exactly when the 20-byte header
//     was sound (RFC 8489 §6.3.1 needs it to answer 400), and the error names
//     what is actually wrong with the bytes;
//   * accepted: the attribute walk, Find() and every typed accessor agree
//     with each other and with the raw bytes; the integrity checks run; the
//     message rebuilt from its raw attributes (integrity and FINGERPRINT
//     recomputed with the fuzz key) parses to the same attributes and the
//     same typed values, and rebuilding is idempotent; and the values
//     re-encoded through the typed builder methods decode to themselves;
//   * ParseRfc3489BindingRequest accepts only a cookie-less Binding request
//     with sound framing and no FINGERPRINT, which Parse() refused.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "core/net/transport_address.h"
#include "core/stun/attributes.h"
#include "core/stun/constants.h"
#include "core/stun/integrity.h"
#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"
#include "core/util/byte_io.h"
#include "fuzz/fuzz_support.h"

namespace turnpike::stun {
namespace {

using AT = AttributeType;
using Bytes = absl::Span<const uint8_t>;

// Find() must agree with the attribute walk for every type the codec knows.
constexpr auto& kKnownTypes = stun::kKnownAttributeTypes;

constexpr uint16_t Code(AT type) { return static_cast<uint16_t>(type); }

bool SameBytes(Bytes a, Bytes b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

// The attributes a rebuilt message recomputes instead of copying.
bool IsRecomputed(uint16_t type) {
  return type == Code(AT::kMessageIntegrity) ||
         type == Code(AT::kMessageIntegritySha256) ||
         type == Code(AT::kFingerprint);
}

// RFC 8489 §5/§6.3: a header good enough to answer (with 400) is long
// enough, starts with two zero bits, carries the magic cookie and declares a
// body length that is a multiple of 4.
bool HeaderIsSound(Bytes b) {
  return b.size() >= kHeaderSize && (b[0] & 0xC0) == 0 &&
         LoadBe32(&b[4]) == kMagicCookie && LoadBe16(&b[2]) % 4 == 0;
}

bool SameTransactionId(const TransactionId& id, Bytes message) {
  return SameBytes(id, message.subspan(8, kTransactionIdSize));
}

void CheckRejected(Bytes input, const ParseFailure& failure) {
  FUZZ_CHECK(ParseErrorName(failure.error) != "?");
  FUZZ_CHECK(failure.header.has_value() == HeaderIsSound(input));
  const bool long_enough = input.size() >= kHeaderSize;
  switch (failure.error) {
    case ParseError::kTooShort:
      FUZZ_CHECK(!long_enough);
      break;
    case ParseError::kNotStun:
      FUZZ_CHECK(long_enough && (input[0] & 0xC0) != 0);
      break;
    case ParseError::kBadMagicCookie:
      FUZZ_CHECK(long_enough && LoadBe32(&input[4]) != kMagicCookie);
      break;
    case ParseError::kBadLength:
      FUZZ_CHECK(long_enough && LoadBe16(&input[2]) % 4 != 0);
      break;
    case ParseError::kLengthMismatch:
      FUZZ_CHECK(long_enough &&
                 LoadBe16(&input[2]) != input.size() - kHeaderSize);
      break;
    case ParseError::kMalformedAttribute:
      // Only attributes the codec knows have a format to violate.
      FUZZ_CHECK(!AttributeName(failure.attribute_type).empty());
      break;
    case ParseError::kAttributeOverrun:
    case ParseError::kFingerprintNotLast:
    case ParseError::kBadFingerprint:
      break;
  }
  if (failure.header) {
    // The header must be the one in the bytes: a 400 goes to that
    // transaction ID.
    FUZZ_CHECK(MessageView::LooksLikeStun(input));
    FUZZ_CHECK(failure.header->length == LoadBe16(&input[2]));
    FUZZ_CHECK(SameTransactionId(failure.header->transaction_id, input));
    FUZZ_CHECK(failure.header->method <= 0x0FFF);
  }
}

// Every typed accessor, read once.
struct Decoded {
  std::optional<TransportAddress> mapped_address;
  std::optional<TransportAddress> xor_mapped_address;
  std::optional<TransportAddress> alternate_server;
  std::optional<TransportAddress> response_origin;
  std::optional<TransportAddress> other_address;
  absl::InlinedVector<TransportAddress, 2> xor_peer_addresses;
  absl::InlinedVector<TransportAddress, 2> xor_relayed_addresses;
  std::optional<std::string_view> username;
  std::optional<Bytes> userhash;
  std::optional<std::string_view> realm;
  std::optional<std::string_view> nonce;
  std::optional<std::string_view> software;
  std::optional<std::string_view> alternate_domain;
  std::optional<ErrorCodeValue> error_code;
  absl::InlinedVector<uint16_t, 4> unknown_attributes;
  std::optional<PasswordAlgorithmValue> password_algorithm;
  absl::InlinedVector<PasswordAlgorithmValue, 2> password_algorithms;
  std::optional<Bytes> message_integrity;
  std::optional<Bytes> message_integrity_sha256;
  std::optional<uint32_t> fingerprint;
  std::optional<uint16_t> channel_number;
  std::optional<uint32_t> lifetime;
  std::optional<Bytes> data;
  std::optional<uint8_t> requested_address_family;
  std::optional<uint8_t> additional_address_family;
  std::optional<bool> even_port;
  std::optional<uint8_t> requested_transport;
  bool dont_fragment = false;
  std::optional<uint64_t> reservation_token;
  std::optional<AddressErrorCodeValue> address_error_code;
  std::optional<IcmpValue> icmp;
  std::optional<uint32_t> connection_id;
  std::optional<ChangeRequestValue> change_request;
  std::optional<uint16_t> response_port;
  std::optional<Bytes> padding;
  std::optional<uint32_t> priority;
  bool use_candidate = false;
  std::optional<uint64_t> ice_controlled;
  std::optional<uint64_t> ice_controlling;
};

Decoded Decode(const MessageView& m) {
  Decoded d;
  d.mapped_address = m.MappedAddress();
  d.xor_mapped_address = m.XorMappedAddress();
  d.alternate_server = m.AlternateServer();
  d.response_origin = m.ResponseOrigin();
  d.other_address = m.OtherAddress();
  d.xor_peer_addresses = m.XorPeerAddresses();
  d.xor_relayed_addresses = m.XorRelayedAddresses();
  d.username = m.Username();
  d.userhash = m.Userhash();
  d.realm = m.Realm();
  d.nonce = m.Nonce();
  d.software = m.Software();
  d.alternate_domain = m.AlternateDomain();
  d.error_code = m.ErrorCode();
  d.unknown_attributes = m.UnknownAttributes();
  d.password_algorithm = m.PasswordAlgorithm();
  d.password_algorithms = m.PasswordAlgorithms();
  d.message_integrity = m.MessageIntegrity();
  d.message_integrity_sha256 = m.MessageIntegritySha256();
  d.fingerprint = m.Fingerprint();
  d.channel_number = m.ChannelNumber();
  d.lifetime = m.Lifetime();
  d.data = m.Data();
  d.requested_address_family = m.RequestedAddressFamily();
  d.additional_address_family = m.AdditionalAddressFamily();
  d.even_port = m.EvenPort();
  d.requested_transport = m.RequestedTransport();
  d.dont_fragment = m.DontFragment();
  d.reservation_token = m.ReservationToken();
  d.address_error_code = m.AddressErrorCode();
  d.icmp = m.Icmp();
  d.connection_id = m.ConnectionId();
  d.change_request = m.ChangeRequest();
  d.response_port = m.ResponsePort();
  d.padding = m.Padding();
  d.priority = m.Priority();
  d.use_candidate = m.UseCandidate();
  d.ice_controlled = m.IceControlled();
  d.ice_controlling = m.IceControlling();
  return d;
}

// The values that survive a rebuild unchanged: everything except the
// integrity attributes and FINGERPRINT, which are recomputed.
void CheckSameValues(const Decoded& a, const Decoded& b) {
#define TURNPIKE_SAME(field) FUZZ_CHECK(a.field == b.field)
  TURNPIKE_SAME(mapped_address);
  TURNPIKE_SAME(xor_mapped_address);
  TURNPIKE_SAME(alternate_server);
  TURNPIKE_SAME(response_origin);
  TURNPIKE_SAME(other_address);
  TURNPIKE_SAME(xor_peer_addresses);
  TURNPIKE_SAME(xor_relayed_addresses);
  TURNPIKE_SAME(username);
  TURNPIKE_SAME(userhash);
  TURNPIKE_SAME(realm);
  TURNPIKE_SAME(nonce);
  TURNPIKE_SAME(software);
  TURNPIKE_SAME(alternate_domain);
  TURNPIKE_SAME(error_code);
  TURNPIKE_SAME(unknown_attributes);
  TURNPIKE_SAME(password_algorithm);
  TURNPIKE_SAME(password_algorithms);
  TURNPIKE_SAME(channel_number);
  TURNPIKE_SAME(lifetime);
  TURNPIKE_SAME(data);
  TURNPIKE_SAME(requested_address_family);
  TURNPIKE_SAME(additional_address_family);
  TURNPIKE_SAME(even_port);
  TURNPIKE_SAME(requested_transport);
  TURNPIKE_SAME(dont_fragment);
  TURNPIKE_SAME(reservation_token);
  TURNPIKE_SAME(address_error_code);
  TURNPIKE_SAME(icmp);
  TURNPIKE_SAME(connection_id);
  TURNPIKE_SAME(change_request);
  TURNPIKE_SAME(response_port);
  TURNPIKE_SAME(padding);
  TURNPIKE_SAME(priority);
  TURNPIKE_SAME(use_candidate);
  TURNPIKE_SAME(ice_controlled);
  TURNPIKE_SAME(ice_controlling);
#undef TURNPIKE_SAME
  FUZZ_CHECK(a.message_integrity.has_value() ==
             b.message_integrity.has_value());
  FUZZ_CHECK(a.message_integrity_sha256.has_value() ==
             b.message_integrity_sha256.has_value());
  if (a.message_integrity_sha256) {
    // A truncated MESSAGE-INTEGRITY-SHA256 stays truncated (§14.6).
    FUZZ_CHECK(a.message_integrity_sha256->size() ==
               b.message_integrity_sha256->size());
  }
  FUZZ_CHECK(a.fingerprint.has_value() == b.fingerprint.has_value());
}

// An address accessor's result against the attribute it came from (§14.1,
// §14.2): un-XORed, it must give back the family, port and address bytes.
void CheckAddress(const std::optional<TransportAddress>& decoded,
                  const MessageView& m, AT type, bool xored) {
  const std::optional<RawAttribute> raw = m.Find(type);
  FUZZ_CHECK(decoded.has_value() == raw.has_value());
  if (!decoded) return;
  const TransportAddress plain =
      xored ? XorAddress(*decoded, m.transaction_id()) : *decoded;
  const Bytes v = raw->value;
  FUZZ_CHECK(v.size() == 4u + static_cast<size_t>(plain.ip.size()));
  FUZZ_CHECK(v[1] == static_cast<uint8_t>(plain.family()));
  FUZZ_CHECK(plain.port == LoadBe16(&v[2]));
  FUZZ_CHECK(
      SameBytes(v.subspan(4),
                absl::MakeConstSpan(plain.ip.bytes()).first(plain.ip.size())));
}

size_t CountOf(absl::Span<const RawAttribute> attributes, AT type) {
  return static_cast<size_t>(std::count_if(
      attributes.begin(), attributes.end(),
      [&](const RawAttribute& a) { return a.type == Code(type); }));
}

// The attribute walk, Find() and the unknown-attribute report against the
// raw bytes and against each other.
void CheckAttributeWalk(const MessageView& m) {
  const Bytes bytes = m.bytes();
  const auto attributes = m.Attributes();
  size_t previous_end = kHeaderSize;
  for (size_t i = 0; i < attributes.size(); ++i) {
    const RawAttribute& a = attributes[i];
    // In order, 4-aligned, inside the message, pointing at its own header.
    FUZZ_CHECK(a.offset >= previous_end);
    FUZZ_CHECK(a.offset % 4 == 0);
    FUZZ_CHECK(a.offset + kAttributeHeaderSize + a.value.size() <=
               bytes.size());
    FUZZ_CHECK(LoadBe16(&bytes[a.offset]) == a.type);
    FUZZ_CHECK(LoadBe16(&bytes[a.offset + 2]) == a.value.size());
    FUZZ_CHECK(a.value.data() ==
               bytes.data() + a.offset + kAttributeHeaderSize);
    previous_end = a.offset + kAttributeHeaderSize + a.value.size() +
                   PaddingFor(a.value.size());
    // RFC 8489 §14.7: FINGERPRINT is last, in the list and in the bytes.
    if (a.type == Code(AT::kFingerprint)) {
      FUZZ_CHECK(i + 1 == attributes.size());
      FUZZ_CHECK(previous_end == bytes.size());
    }
  }

  // Find() returns the first occurrence among the attributes that count.
  for (const AT type : kKnownTypes) {
    const std::optional<RawAttribute> found = m.Find(type);
    const auto first = std::find_if(
        attributes.begin(), attributes.end(),
        [&](const RawAttribute& a) { return a.type == Code(type); });
    FUZZ_CHECK(found.has_value() == (first != attributes.end()));
    FUZZ_CHECK(m.Has(type) == found.has_value());
    if (found) {
      FUZZ_CHECK(found->type == Code(type));
      FUZZ_CHECK(found->offset == first->offset);
      FUZZ_CHECK(found->value.data() == first->value.data());
      FUZZ_CHECK(found->value.size() == first->value.size());
    }
  }
  const auto integrity = m.Find(AT::kMessageIntegrity);
  FUZZ_CHECK(m.message_integrity_offset() ==
             (integrity ? integrity->offset : 0));
  const auto integrity_sha256 = m.Find(AT::kMessageIntegritySha256);
  FUZZ_CHECK(m.message_integrity_sha256_offset() ==
             (integrity_sha256 ? integrity_sha256->offset : 0));

  // RFC 8489 §6.3.1: the unknown comprehension-required types, each once,
  // in order of first appearance, at most kMaxReportedUnknown of them.
  std::vector<uint16_t> expected_unknown;
  for (const RawAttribute& a : attributes) {
    if (IsComprehensionRequired(a.type) && AttributeName(a.type).empty() &&
        std::find(expected_unknown.begin(), expected_unknown.end(), a.type) ==
            expected_unknown.end()) {
      expected_unknown.push_back(a.type);
    }
  }
  if (expected_unknown.size() > MessageView::kMaxReportedUnknown) {
    expected_unknown.resize(MessageView::kMaxReportedUnknown);
  }
  const auto unknown = m.unknown_comprehension_required();
  FUZZ_CHECK(std::equal(unknown.begin(), unknown.end(),
                        expected_unknown.begin(), expected_unknown.end()));
}

// Typed values against their raw attributes and the RFC ranges Parse()
// promises to have enforced.
void CheckDecoded(const MessageView& m, const Decoded& d) {
  CheckAddress(d.mapped_address, m, AT::kMappedAddress, false);
  CheckAddress(d.xor_mapped_address, m, AT::kXorMappedAddress, true);
  CheckAddress(d.alternate_server, m, AT::kAlternateServer, false);
  CheckAddress(d.response_origin, m, AT::kResponseOrigin, false);
  CheckAddress(d.other_address, m, AT::kOtherAddress, false);
  const auto attributes = m.Attributes();
  FUZZ_CHECK(d.xor_peer_addresses.size() ==
             CountOf(attributes, AT::kXorPeerAddress));
  FUZZ_CHECK(d.xor_relayed_addresses.size() ==
             CountOf(attributes, AT::kXorRelayedAddress));
  if (!d.xor_peer_addresses.empty()) {
    FUZZ_CHECK(
        d.xor_peer_addresses.front() ==
        XorAddress(XorAddress(d.xor_peer_addresses.front(), m.transaction_id()),
                   m.transaction_id()));
  }
  if (d.username) FUZZ_CHECK(d.username->size() <= kMaxUsernameBytes);
  if (d.realm) FUZZ_CHECK(d.realm->size() <= kMaxRealmBytes);
  if (d.nonce) FUZZ_CHECK(d.nonce->size() <= kMaxNonceBytes);
  if (d.software) FUZZ_CHECK(d.software->size() <= kMaxSoftwareBytes);
  if (d.alternate_domain) {
    FUZZ_CHECK(d.alternate_domain->size() <= kMaxAlternateDomainBytes);
  }
  if (d.userhash) FUZZ_CHECK(d.userhash->size() == kUserhashSize);
  if (d.error_code) {
    FUZZ_CHECK(d.error_code->code >= 300 && d.error_code->code <= 699);
    FUZZ_CHECK(d.error_code->reason.size() <= kMaxReasonPhraseBytes);
  }
  if (d.address_error_code) {
    FUZZ_CHECK(d.address_error_code->code >= 300 &&
               d.address_error_code->code <= 699);
    FUZZ_CHECK(d.address_error_code->reason.size() <= kMaxReasonPhraseBytes);
  }
  if (auto raw = m.Find(AT::kUnknownAttributes)) {
    FUZZ_CHECK(d.unknown_attributes.size() == raw->value.size() / 2);
  } else {
    FUZZ_CHECK(d.unknown_attributes.empty());
  }
  if (auto raw = m.Find(AT::kPasswordAlgorithms)) {
    FUZZ_CHECK(!d.password_algorithms.empty());
    for (const PasswordAlgorithmValue& p : d.password_algorithms) {
      // Parameters are views into the attribute, never past it.
      FUZZ_CHECK(p.parameters.data() >= raw->value.data());
      FUZZ_CHECK(p.parameters.data() + p.parameters.size() <=
                 raw->value.data() + raw->value.size());
    }
  } else {
    FUZZ_CHECK(d.password_algorithms.empty());
  }
  if (d.message_integrity) {
    FUZZ_CHECK(d.message_integrity->size() == kMessageIntegritySize);
  }
  if (d.message_integrity_sha256) {
    const size_t n = d.message_integrity_sha256->size();
    FUZZ_CHECK(n >= kMinMessageIntegritySha256Size &&
               n <= kMaxMessageIntegritySha256Size && n % 4 == 0);
  }
  if (auto raw = m.Find(AT::kChannelNumber)) {
    FUZZ_CHECK(d.channel_number == LoadBe16(raw->value.data()));
  }
  if (auto raw = m.Find(AT::kLifetime)) {
    FUZZ_CHECK(d.lifetime == LoadBe32(raw->value.data()));
  }
  if (auto raw = m.Find(AT::kData)) FUZZ_CHECK(d.data == raw->value);
}

// The integrity checks never crash, whatever the key, and say kAbsent
// exactly when the attribute is absent.
void CheckIntegrityRuns(const MessageView& m, const Decoded& d) {
  const IntegrityResult sha1 = CheckMessageIntegrity(m, fuzz::FuzzKey());
  FUZZ_CHECK((sha1 == IntegrityResult::kAbsent) == !d.message_integrity);
  const IntegrityResult sha1_empty_key = CheckMessageIntegrity(m, {});
  FUZZ_CHECK((sha1_empty_key == IntegrityResult::kAbsent) ==
             !d.message_integrity);
  const IntegrityResult sha256 =
      CheckMessageIntegritySha256(m, fuzz::FuzzKey());
  FUZZ_CHECK((sha256 == IntegrityResult::kAbsent) ==
             !d.message_integrity_sha256);
}

// Rebuilds `m` from its raw attributes: each counted attribute copied, the
// integrity attributes and FINGERPRINT recomputed with the fuzz key.
Bytes RebuildRaw(const MessageView& m, uint8_t padding_byte,
                 std::vector<uint8_t>& buffer) {
  buffer.assign(kMaxMessageSize, 0);
  MessageBuilder builder(absl::MakeSpan(buffer), m.message_class(), m.method(),
                         m.transaction_id());
  builder.SetPaddingByte(padding_byte);
  for (const RawAttribute& a : m.Attributes()) {
    if (a.type == Code(AT::kMessageIntegrity)) {
      builder.AddMessageIntegrity(fuzz::FuzzKey());
    } else if (a.type == Code(AT::kMessageIntegritySha256)) {
      builder.AddMessageIntegritySha256(fuzz::FuzzKey(), a.value.size());
    } else if (a.type == Code(AT::kFingerprint)) {
      builder.AddFingerprint();
    } else {
      builder.AddBytes(a.type, a.value);
    }
  }
  // Nothing can legitimately fail: the attributes came from a valid message
  // no larger than this one, in an order Parse() accepted.
  const auto encoded = builder.Finish();
  FUZZ_CHECK(encoded.ok());
  return *encoded;
}

void CheckRawRoundTrip(const MessageView& m, const Decoded& d,
                       uint8_t padding_byte) {
  std::vector<uint8_t> buffer;
  const Bytes rebuilt = RebuildRaw(m, padding_byte, buffer);
  const auto attributes = m.Attributes();
  size_t expected_size = kHeaderSize;
  for (const RawAttribute& a : attributes) {
    expected_size +=
        kAttributeHeaderSize + a.value.size() + PaddingFor(a.value.size());
  }
  FUZZ_CHECK(rebuilt.size() == expected_size);

  const auto reparsed = MessageView::Parse(rebuilt);
  FUZZ_CHECK(reparsed.ok());
  const MessageView& r = *reparsed;
  FUZZ_CHECK(r.message_class() == m.message_class());
  FUZZ_CHECK(r.method() == m.method());
  FUZZ_CHECK(r.transaction_id() == m.transaction_id());
  FUZZ_CHECK(r.header().length == rebuilt.size() - kHeaderSize);

  // The same attribute list: types in order, values byte for byte except
  // the recomputed ones, which keep their size.
  const auto again = r.Attributes();
  FUZZ_CHECK(again.size() == attributes.size());
  for (size_t i = 0; i < attributes.size(); ++i) {
    FUZZ_CHECK(again[i].type == attributes[i].type);
    if (IsRecomputed(attributes[i].type)) {
      FUZZ_CHECK(again[i].value.size() == attributes[i].value.size());
    } else {
      FUZZ_CHECK(SameBytes(again[i].value, attributes[i].value));
    }
  }
  const auto unknown = m.unknown_comprehension_required();
  const auto unknown_again = r.unknown_comprehension_required();
  FUZZ_CHECK(std::equal(unknown.begin(), unknown.end(), unknown_again.begin(),
                        unknown_again.end()));

  // The integrity attributes were computed with the fuzz key, so they
  // verify with it (RFC 8489 §14.5, §14.6).
  const Decoded rd = Decode(r);
  CheckSameValues(d, rd);
  FUZZ_CHECK(
      CheckMessageIntegrity(r, fuzz::FuzzKey()) ==
      (d.message_integrity ? IntegrityResult::kOk : IntegrityResult::kAbsent));
  FUZZ_CHECK(CheckMessageIntegritySha256(r, fuzz::FuzzKey()) ==
             (d.message_integrity_sha256 ? IntegrityResult::kOk
                                         : IntegrityResult::kAbsent));

  // A rebuilt message is a fixed point.
  std::vector<uint8_t> buffer_again;
  FUZZ_CHECK(SameBytes(RebuildRaw(r, padding_byte, buffer_again), rebuilt));
}

// The first occurrence of every known attribute, re-encoded through the
// typed builder methods, must decode to the same values.
void CheckTypedRoundTrip(const MessageView& m, const Decoded& d) {
  std::vector<uint8_t> buffer(kMaxMessageSize);
  MessageBuilder b(absl::MakeSpan(buffer), m.message_class(), m.method(),
                   m.transaction_id());
  if (d.mapped_address) b.AddAddress(AT::kMappedAddress, *d.mapped_address);
  if (d.xor_mapped_address) {
    b.AddXorAddress(AT::kXorMappedAddress, *d.xor_mapped_address);
  }
  if (d.alternate_server) {
    b.AddAddress(AT::kAlternateServer, *d.alternate_server);
  }
  if (d.response_origin) b.AddAddress(AT::kResponseOrigin, *d.response_origin);
  if (d.other_address) b.AddAddress(AT::kOtherAddress, *d.other_address);
  for (const TransportAddress& peer : d.xor_peer_addresses) {
    b.AddXorAddress(AT::kXorPeerAddress, peer);
  }
  for (const TransportAddress& relayed : d.xor_relayed_addresses) {
    b.AddXorAddress(AT::kXorRelayedAddress, relayed);
  }
  if (d.username) b.AddString(AT::kUsername, *d.username);
  if (d.userhash) b.AddBytes(AT::kUserhash, *d.userhash);
  if (d.realm) b.AddString(AT::kRealm, *d.realm);
  if (d.nonce) b.AddString(AT::kNonce, *d.nonce);
  if (d.software) b.AddString(AT::kSoftware, *d.software);
  if (d.alternate_domain)
    b.AddString(AT::kAlternateDomain, *d.alternate_domain);
  if (d.error_code) b.AddErrorCode(d.error_code->code, d.error_code->reason);
  if (m.Has(AT::kUnknownAttributes)) {
    b.AddUnknownAttributes(d.unknown_attributes);
  }
  if (d.password_algorithm) b.AddPasswordAlgorithm(*d.password_algorithm);
  if (!d.password_algorithms.empty()) {
    b.AddPasswordAlgorithms(d.password_algorithms);
  }
  if (d.channel_number) b.AddChannelNumber(*d.channel_number);
  if (d.lifetime) b.AddLifetime(*d.lifetime);
  if (d.data) b.AddBytes(AT::kData, *d.data);
  if (d.requested_address_family) {
    b.AddRequestedAddressFamily(*d.requested_address_family);
  }
  if (d.additional_address_family) {
    b.AddAdditionalAddressFamily(*d.additional_address_family);
  }
  if (d.even_port) b.AddEvenPort(*d.even_port);
  if (d.requested_transport) b.AddRequestedTransport(*d.requested_transport);
  if (d.dont_fragment) b.AddEmpty(AT::kDontFragment);
  if (d.reservation_token) b.AddReservationToken(*d.reservation_token);
  if (d.address_error_code) {
    b.AddAddressErrorCode(d.address_error_code->family,
                          d.address_error_code->code,
                          d.address_error_code->reason);
  }
  if (d.icmp) b.AddIcmp(*d.icmp);
  if (d.connection_id) b.AddConnectionId(*d.connection_id);
  if (d.change_request) b.AddChangeRequest(*d.change_request);
  if (d.response_port) b.AddResponsePort(*d.response_port);
  if (d.padding) b.AddBytes(AT::kPadding, *d.padding);
  if (d.priority) b.AddUint32(AT::kPriority, *d.priority);
  if (d.use_candidate) b.AddEmpty(AT::kUseCandidate);
  if (d.ice_controlled) b.AddUint64(AT::kIceControlled, *d.ice_controlled);
  if (d.ice_controlling) b.AddUint64(AT::kIceControlling, *d.ice_controlling);

  const auto encoded = b.Finish();
  if (!encoded.ok()) {
    // Only PASSWORD-ALGORITHMS can grow (a last entry whose padding was
    // missing gets it back), by at most 3 bytes: that fails only when the
    // original body was already at the 16-bit limit.
    FUZZ_CHECK(encoded.error() == BuildError::kBufferTooSmall);
    FUZZ_CHECK(m.header().length > 0xFFFC - 4);
    return;
  }
  const auto reparsed = MessageView::Parse(*encoded);
  FUZZ_CHECK(reparsed.ok());
  Decoded typed = Decode(*reparsed);
  // The typed message carries no integrity attributes or FINGERPRINT.
  FUZZ_CHECK(!typed.message_integrity && !typed.message_integrity_sha256 &&
             !typed.fingerprint);
  typed.message_integrity = d.message_integrity;
  typed.message_integrity_sha256 = d.message_integrity_sha256;
  typed.fingerprint = d.fingerprint;
  CheckSameValues(d, typed);
}

void CheckAccepted(Bytes input, const MessageView& m) {
  FUZZ_CHECK(MessageView::LooksLikeStun(input));
  FUZZ_CHECK(m.bytes().data() == input.data());
  FUZZ_CHECK(m.bytes().size() == input.size());
  FUZZ_CHECK(m.header().length == input.size() - kHeaderSize);
  FUZZ_CHECK(m.header().length % 4 == 0);
  FUZZ_CHECK(m.method() <= 0x0FFF);
  FUZZ_CHECK(SameTransactionId(m.transaction_id(), input));

  CheckAttributeWalk(m);
  const Decoded d = Decode(m);
  CheckDecoded(m, d);
  CheckIntegrityRuns(m, d);
  // Padding content is ignored on receipt (RFC 8489 §14), so any byte will
  // do; taking it from the input varies it.
  CheckRawRoundTrip(m, d, input.back());
  CheckTypedRoundTrip(m, d);
}

}  // namespace
}  // namespace turnpike::stun

namespace turnpike::stun {
namespace {

// The RFC 3489 entry (RFC 8489 §12.2) takes only what Parse() refused for
// its cookie, and only an exact Binding request with sound framing and no
// FINGERPRINT; its failures carry no header (nothing is answered).
void CheckRfc3489(Bytes input, bool strict_ok,
                  std::optional<ParseError> strict_error) {
  const auto classic = MessageView::ParseRfc3489BindingRequest(input);
  if (!classic.ok()) {
    FUZZ_CHECK(!classic.error().header.has_value());
    return;
  }
  FUZZ_CHECK(!strict_ok && strict_error == ParseError::kBadMagicCookie);
  FUZZ_CHECK(input.size() >= kHeaderSize);
  FUZZ_CHECK(LoadBe16(&input[0]) == 0x0001);
  FUZZ_CHECK(LoadBe32(&input[4]) != kMagicCookie);
  FUZZ_CHECK(LoadBe16(&input[2]) + kHeaderSize == input.size());
  FUZZ_CHECK(classic->rfc3489());
  FUZZ_CHECK(classic->rfc3489_cookie_field() == LoadBe32(&input[4]));
  FUZZ_CHECK(!classic->Fingerprint().has_value());
  FUZZ_CHECK(classic->method() == 0x001 && classic->header().IsRequest());
  for (const RawAttribute& a : classic->Attributes()) {
    FUZZ_CHECK(a.offset + kAttributeHeaderSize + a.value.size() <=
               input.size());
  }
}

}  // namespace
}  // namespace turnpike::stun

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using turnpike::stun::MessageView;
  const absl::Span<const uint8_t> input(data, size);
  const auto parsed = MessageView::Parse(input);
  if (parsed.ok()) {
    turnpike::stun::CheckAccepted(input, *parsed);
  } else {
    turnpike::stun::CheckRejected(input, parsed.error());
  }
  turnpike::stun::CheckRfc3489(
      input, parsed.ok(),
      parsed.ok()
          ? std::nullopt
          : std::optional<turnpike::stun::ParseError>(parsed.error().error));
  return 0;
}
