// Malformed and unusual input for MessageView::Parse: each case asserts the
// exact ParseError and whether the header survives (RFC 8489 §6.3.1: a request
// whose header is sound but whose body is not can still get a 400).
#include "core/stun/message_view.h"

#include <doctest/doctest.h>

#include <array>
#include <string>
#include <vector>

#include "core/stun/message_builder.h"
#include "core/util/byte_io.h"
#include "tests/harness/hex.h"
#include "tests/harness/must_parse.h"
#include "tests/harness/printers.h"
#include "tests/harness/raw_stun.h"
#include "tests/harness/vectors.h"

namespace turnpike::stun {
namespace {

using testing::kTestTransactionId;
using testing::MustParse;
using testing::RawStun;
using AT = AttributeType;

constexpr uint16_t Type(AT t) { return static_cast<uint16_t>(t); }

// Asserts that `bytes` fails with `error`; `with_header` says whether the
// failure must carry the parsed header.
void ExpectParseError(const std::vector<uint8_t>& bytes, ParseError error,
                      bool with_header, uint16_t attribute_type = 0) {
  auto parsed = MessageView::Parse(bytes);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().error == error);
  CHECK(parsed.error().header.has_value() == with_header);
  if (with_header && parsed.error().header) {
    CHECK(parsed.error().header->transaction_id == kTestTransactionId);
  }
  if (attribute_type != 0) {
    CHECK(parsed.error().attribute_type == attribute_type);
  }
}

std::vector<uint8_t> Bytes(std::string_view s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// A valid IPv4 address attribute value (family 1, port, address).
std::vector<uint8_t> V4Value(uint16_t port, std::array<uint8_t, 4> ip) {
  return {0,
          0x01,
          static_cast<uint8_t>(port >> 8),
          static_cast<uint8_t>(port),
          ip[0],
          ip[1],
          ip[2],
          ip[3]};
}

std::vector<uint8_t> Zeros(size_t n) { return std::vector<uint8_t>(n, 0); }

TEST_CASE("a minimal message parses") {
  const MessageView m = MustParse(RawStun().Build());
  CHECK(m.message_class() == MessageClass::kRequest);
  CHECK(m.method() == 1);
  CHECK(m.transaction_id() == kTestTransactionId);
  CHECK(m.Attributes().empty());
  CHECK(m.header().length == 0);
}

TEST_CASE("message type bits decode to class and method") {
  // RFC 8489 §5: 0x0111 is a Binding error response, 0x0113 an Allocate
  // error response, 0x0017 a Data indication, 0x3EEF / 0x3FEF / 0x3FFF the
  // largest method (0xFFF) as request / success / error response.
  struct Case {
    uint16_t type;
    MessageClass message_class;
    uint16_t method;
  };
  const Case cases[] = {
      {0x0001, MessageClass::kRequest, 0x001},
      {0x0101, MessageClass::kSuccessResponse, 0x001},
      {0x0111, MessageClass::kErrorResponse, 0x001},
      {0x0113, MessageClass::kErrorResponse, 0x003},
      {0x0017, MessageClass::kIndication, 0x007},
      {0x0016, MessageClass::kIndication, 0x006},
      {0x0109, MessageClass::kSuccessResponse, 0x009},
      {0x3EEF, MessageClass::kRequest, 0xFFF},
      {0x3FEF, MessageClass::kSuccessResponse, 0xFFF},
      {0x3FFF, MessageClass::kErrorResponse, 0xFFF},
  };
  for (const Case& c : cases) {
    CAPTURE(c.type);
    const MessageView m = MustParse(RawStun(c.type).Build());
    CHECK(m.message_class() == c.message_class);
    CHECK(m.method() == c.method);
  }
}

TEST_CASE("header errors") {
  const std::vector<uint8_t> valid =
      RawStun().AttrText(AT::kSoftware, "abcd").Build();

  SUBCASE("truncated header: 0 to 19 bytes") {
    for (size_t n = 0; n < kHeaderSize; ++n) {
      CAPTURE(n);
      ExpectParseError(std::vector<uint8_t>(valid.begin(), valid.begin() + n),
                       ParseError::kTooShort, false);
    }
  }
  SUBCASE("first two bits not zero") {
    for (uint8_t bits : {0x40, 0x80, 0xC0}) {
      std::vector<uint8_t> b = valid;
      b[0] |= bits;
      ExpectParseError(b, ParseError::kNotStun, false);
    }
  }
  SUBCASE("bad magic cookie") {
    for (size_t i = 4; i < 8; ++i) {
      std::vector<uint8_t> b = valid;
      b[i] ^= 0x01;
      ExpectParseError(b, ParseError::kBadMagicCookie, false);
    }
  }
  SUBCASE("length not a multiple of 4") {
    for (uint16_t length : {1, 2, 3, 5, 7}) {
      CAPTURE(length);
      ExpectParseError(RawStun().Raw(Zeros(length)).Build(),
                       ParseError::kBadLength, false);
    }
  }
  SUBCASE("length longer than the datagram") {
    ExpectParseError(
        RawStun().AttrText(AT::kSoftware, "abcd").BuildWithLength(12),
        ParseError::kLengthMismatch, true);
  }
  SUBCASE("length shorter than the datagram") {
    ExpectParseError(
        RawStun().AttrText(AT::kSoftware, "abcd").BuildWithLength(4),
        ParseError::kLengthMismatch, true);
    ExpectParseError(
        RawStun().AttrText(AT::kSoftware, "abcd").BuildWithLength(0),
        ParseError::kLengthMismatch, true);
  }
}

TEST_CASE("attribute overruns") {
  SUBCASE("attribute header overrunning the body") {
    // The attribute walk only ever starts at 4-byte boundaries of a body
    // whose length is a multiple of 4, so a partial attribute header cannot
    // reach it: 1-3 trailing header bytes make the body length odd and the
    // header check answers first.
    ExpectParseError(
        RawStun().AttrText(AT::kSoftware, "abcd").Raw({0x80, 0x22}).Build(),
        ParseError::kBadLength, false);
    // A whole header with nothing after it is an overrun of its value.
    ExpectParseError(
        RawStun().AttrWithLength(Type(AT::kSoftware), 4, {}).Build(),
        ParseError::kAttributeOverrun, true, Type(AT::kSoftware));
  }
  SUBCASE("attribute value overrunning") {
    ExpectParseError(RawStun()
                         .AttrText(AT::kUsername, "user")
                         .AttrWithLength(Type(AT::kRealm), 8, Bytes("abcd"))
                         .Build(),
                     ParseError::kAttributeOverrun, true, Type(AT::kRealm));
    // Length 0xFFFF claims far more than any datagram holds.
    ExpectParseError(
        RawStun().AttrWithLength(0x8022, 0xFFFF, Bytes("abcd")).Build(),
        ParseError::kAttributeOverrun, true, 0x8022);
  }
  SUBCASE("attribute padding overrunning") {
    // The value of the last attribute fits but its padding does not. With a
    // body that is a multiple of 4 this cannot happen (padding only rounds
    // up to the next multiple of 4), so an unpadded last attribute shows as
    // a body length that is not a multiple of 4 ...
    ExpectParseError(RawStun()
                         .AttrWithLength(Type(AT::kSoftware), 5, Bytes("abcde"))
                         .Build(),
                     ParseError::kBadLength, false);
    // ... or, if the header counts the padding that is missing, as a length
    // mismatch.
    ExpectParseError(RawStun()
                         .AttrWithLength(Type(AT::kSoftware), 5, Bytes("abcde"))
                         .BuildWithLength(12),
                     ParseError::kLengthMismatch, true);
  }
}

TEST_CASE("MESSAGE-INTEGRITY must be 20 bytes") {
  for (size_t size : {0, 16, 19, 21, 24, 32}) {
    CAPTURE(size);
    ExpectParseError(RawStun().Attr(AT::kMessageIntegrity, Zeros(size)).Build(),
                     ParseError::kMalformedAttribute, true,
                     Type(AT::kMessageIntegrity));
  }
  CHECK(MustParse(RawStun().Attr(AT::kMessageIntegrity, Zeros(20)).Build())
            .MessageIntegrity()
            ->size() == 20);
}

TEST_CASE("MESSAGE-INTEGRITY-SHA256 must be 16 to 32 bytes in steps of 4") {
  // RFC 8489 §14.6.
  for (size_t size : {0, 4, 12, 15, 17, 30, 33, 36}) {
    CAPTURE(size);
    ExpectParseError(
        RawStun().Attr(AT::kMessageIntegritySha256, Zeros(size)).Build(),
        ParseError::kMalformedAttribute, true,
        Type(AT::kMessageIntegritySha256));
  }
  for (size_t size : {16, 20, 24, 28, 32}) {
    CAPTURE(size);
    const MessageView m = MustParse(
        RawStun().Attr(AT::kMessageIntegritySha256, Zeros(size)).Build());
    CHECK(m.MessageIntegritySha256()->size() == size);
  }
}

TEST_CASE("FINGERPRINT rules") {
  SUBCASE("valid and last") {
    const MessageView m = MustParse(
        RawStun().AttrText(AT::kSoftware, "abc").Fingerprint().Build());
    CHECK(m.Fingerprint().has_value());
  }
  SUBCASE("not last") {
    ExpectParseError(RawStun()
                         .AttrText(AT::kSoftware, "abc")
                         .Fingerprint()
                         .AttrText(AT::kRealm, "realm")
                         .Build(),
                     ParseError::kFingerprintNotLast, true, Type(AT::kRealm));
    // Not even a second FINGERPRINT may follow.
    ExpectParseError(RawStun().Fingerprint().Fingerprint().Build(),
                     ParseError::kFingerprintNotLast, true,
                     Type(AT::kFingerprint));
  }
  SUBCASE("wrong value") {
    std::vector<uint8_t> b =
        RawStun().AttrText(AT::kSoftware, "abc").Fingerprint().Build();
    b.back() ^= 0x01;
    ExpectParseError(b, ParseError::kBadFingerprint, true);
  }
  SUBCASE("computed without the XOR constant") {
    // A CRC-32 without the 0x5354554E XOR (RFC 8489 §14.7) is wrong.
    std::vector<uint8_t> b =
        RawStun().AttrText(AT::kSoftware, "abc").Fingerprint().Build();
    StoreBe32(&b[b.size() - 4], LoadBe32(&b[b.size() - 4]) ^ kFingerprintXor);
    ExpectParseError(b, ParseError::kBadFingerprint, true);
  }
  SUBCASE("wrong size") {
    for (size_t size : {0, 2, 8}) {
      CAPTURE(size);
      ExpectParseError(RawStun().Attr(AT::kFingerprint, Zeros(size)).Build(),
                       ParseError::kMalformedAttribute, true,
                       Type(AT::kFingerprint));
    }
  }
}

TEST_CASE("duplicate attributes: the first one wins") {
  const TransportAddress peer1 = *TransportAddress::Parse("192.0.2.1:1000");
  const TransportAddress peer2 = *TransportAddress::Parse("[2001:db8::2]:2000");
  std::array<uint8_t, 512> buffer{};
  MessageBuilder b(absl::MakeSpan(buffer), MessageClass::kRequest,
                   Method::kCreatePermission, kTestTransactionId);
  b.AddString(AT::kUsername, "first")
      .AddXorAddress(AT::kXorPeerAddress, peer1)
      .AddString(AT::kUsername, "second")
      .AddLifetime(600)
      .AddXorAddress(AT::kXorPeerAddress, peer2)
      .AddLifetime(0);
  auto out = b.Finish();
  REQUIRE(out.ok());
  const MessageView m =
      MustParse(std::vector<uint8_t>(out->begin(), out->end()));
  CHECK(m.Username() == "first");
  CHECK(m.Lifetime() == 600u);
  // RFC 8656 §18.3: several XOR-PEER-ADDRESS attributes are all meaningful.
  const auto peers = m.XorPeerAddresses();
  REQUIRE(peers.size() == 2);
  CHECK(peers[0] == peer1);
  CHECK(peers[1] == peer2);
  // Attributes() lists every occurrence in order.
  std::vector<uint16_t> types;
  for (const RawAttribute& a : m.Attributes()) types.push_back(a.type);
  CHECK(types ==
        std::vector<uint16_t>{Type(AT::kUsername), Type(AT::kXorPeerAddress),
                              Type(AT::kUsername), Type(AT::kLifetime),
                              Type(AT::kXorPeerAddress), Type(AT::kLifetime)});
}

TEST_CASE("a malformed duplicate is still rejected") {
  // The first-occurrence rule picks what accessors return; it does not let a
  // malformed later copy through.
  ExpectParseError(RawStun()
                       .Attr(AT::kLifetime, {0, 0, 2, 0x58})
                       .Attr(AT::kLifetime, {0, 0})
                       .Build(),
                   ParseError::kMalformedAttribute, true, Type(AT::kLifetime));
}

TEST_CASE("attributes after MESSAGE-INTEGRITY") {
  // RFC 8489 §14.5: after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and
  // FINGERPRINT count.
  const std::vector<uint8_t> bytes =
      RawStun()
          .AttrText(AT::kUsername, "counted")
          .Attr(AT::kMessageIntegrity, Zeros(20))
          .AttrText(AT::kUsername, "ignored")
          .AttrText(AT::kRealm, "ignored")
          .Attr(0x7F01, {1, 2, 3, 4})   // unknown, comprehension-required
          .Attr(AT::kLifetime, {1, 2})  // malformed, but ignored
          .Attr(AT::kMessageIntegrity, Zeros(20))  // a second one, ignored
          .Attr(AT::kMessageIntegritySha256, Zeros(32))
          .AttrText(AT::kNonce, "ignored too")
          .Fingerprint()
          .Build();
  const MessageView m = MustParse(bytes);
  CHECK(m.Username() == "counted");
  CHECK_FALSE(m.Realm().has_value());
  CHECK_FALSE(m.Lifetime().has_value());
  CHECK_FALSE(m.Nonce().has_value());
  CHECK(m.unknown_comprehension_required().empty());
  CHECK(m.message_integrity_offset() == 20 + 4 + 8);
  CHECK(m.MessageIntegritySha256().has_value());
  CHECK(m.message_integrity_sha256_offset() > m.message_integrity_offset());
  CHECK(m.Fingerprint().has_value());
  std::vector<uint16_t> types;
  for (const RawAttribute& a : m.Attributes()) types.push_back(a.type);
  CHECK(types == std::vector<uint16_t>{Type(AT::kUsername),
                                       Type(AT::kMessageIntegrity),
                                       Type(AT::kMessageIntegritySha256),
                                       Type(AT::kFingerprint)});
}

TEST_CASE("attributes after MESSAGE-INTEGRITY-SHA256") {
  // RFC 8489 §14.6: after it, only FINGERPRINT counts (a later
  // MESSAGE-INTEGRITY included).
  const MessageView m =
      MustParse(RawStun()
                    .Attr(AT::kMessageIntegritySha256, Zeros(32))
                    .Attr(AT::kMessageIntegrity, Zeros(20))
                    .AttrText(AT::kSoftware, "ignored")
                    .Attr(0x0002, {})  // unknown, comprehension-required
                    .Build());
  CHECK(m.MessageIntegritySha256().has_value());
  CHECK_FALSE(m.MessageIntegrity().has_value());
  CHECK(m.message_integrity_offset() == 0);
  CHECK_FALSE(m.Software().has_value());
  CHECK(m.unknown_comprehension_required().empty());
  CHECK(m.Attributes().size() == 1);
}

TEST_CASE("zero-length attributes") {
  SUBCASE("zero-length USERNAME is legal") {
    const MessageView m =
        MustParse(RawStun().AttrText(AT::kUsername, "").Build());
    REQUIRE(m.Username().has_value());
    CHECK(m.Username()->empty());
  }
  SUBCASE("zero-length DATA and flags are legal") {
    const MessageView m = MustParse(RawStun()
                                        .Attr(AT::kData, {})
                                        .Attr(AT::kDontFragment, {})
                                        .Attr(AT::kUseCandidate, {})
                                        .Build());
    CHECK(m.Data()->empty());
    CHECK(m.DontFragment());
    CHECK(m.UseCandidate());
  }
  SUBCASE("zero-length LIFETIME is malformed") {
    ExpectParseError(RawStun().Attr(AT::kLifetime, {}).Build(),
                     ParseError::kMalformedAttribute, true,
                     Type(AT::kLifetime));
  }
  SUBCASE("zero-length XOR-MAPPED-ADDRESS is malformed") {
    ExpectParseError(RawStun().Attr(AT::kXorMappedAddress, {}).Build(),
                     ParseError::kMalformedAttribute, true,
                     Type(AT::kXorMappedAddress));
  }
  SUBCASE("DONT-FRAGMENT with a value is malformed") {
    ExpectParseError(RawStun().Attr(AT::kDontFragment, {0, 0, 0, 0}).Build(),
                     ParseError::kMalformedAttribute, true,
                     Type(AT::kDontFragment));
  }
}

TEST_CASE("fixed-size attributes of the wrong size") {
  struct Case {
    AT type;
    size_t bad_size;
  };
  const Case cases[] = {
      {AT::kLifetime, 8},
      {AT::kChannelNumber, 2},
      {AT::kRequestedTransport, 1},
      {AT::kPriority, 8},
      {AT::kIceControlled, 4},
      {AT::kIceControlling, 12},
      {AT::kReservationToken, 4},
      {AT::kUserhash, 20},
      {AT::kIcmp, 4},
      {AT::kEvenPort, 2},
      {AT::kConnectionId, 8},
      {AT::kChangeRequest, 1},
      {AT::kResponsePort, 2},
      {AT::kRequestedAddressFamily, 1},
      {AT::kErrorCode, 3},
      {AT::kPasswordAlgorithm, 2},
      {AT::kUnknownAttributes, 3},
      {AT::kPasswordAlgorithms, 0},
  };
  for (const Case& c : cases) {
    CAPTURE(AttributeName(Type(c.type)));
    CAPTURE(c.bad_size);
    ExpectParseError(RawStun().Attr(c.type, Zeros(c.bad_size)).Build(),
                     ParseError::kMalformedAttribute, true, Type(c.type));
  }
}

TEST_CASE("string attributes over their RFC 8489 limits") {
  struct Case {
    AT type;
    size_t limit;
  };
  const Case cases[] = {{AT::kUsername, kMaxUsernameBytes},
                        {AT::kRealm, kMaxRealmBytes},
                        {AT::kNonce, kMaxNonceBytes},
                        {AT::kSoftware, kMaxSoftwareBytes},
                        {AT::kAlternateDomain, kMaxAlternateDomainBytes}};
  for (const Case& c : cases) {
    CAPTURE(AttributeName(Type(c.type)));
    const MessageView m = MustParse(
        RawStun().Attr(c.type, std::vector<uint8_t>(c.limit, 'a')).Build());
    CHECK(m.Find(c.type)->value.size() == c.limit);
    ExpectParseError(
        RawStun().Attr(c.type, std::vector<uint8_t>(c.limit + 1, 'a')).Build(),
        ParseError::kMalformedAttribute, true, Type(c.type));
  }
}

TEST_CASE("unknown attributes") {
  SUBCASE("comprehension-required ones are reported once each") {
    const MessageView m = MustParse(RawStun()
                                        .Attr(0x7FFF, {1})
                                        .AttrText(AT::kSoftware, "x")
                                        .Attr(0x0002, {})
                                        .Attr(0x7FFF, {2})
                                        .Attr(0x0004, {1, 2, 3, 4})
                                        .Build());
    const auto unknown = m.unknown_comprehension_required();
    CHECK(std::vector<uint16_t>(unknown.begin(), unknown.end()) ==
          std::vector<uint16_t>{0x7FFF, 0x0002, 0x0004});
    // They still appear among the attributes, with their values.
    CHECK(m.Attributes().size() == 5);
  }
  SUBCASE("comprehension-optional ones are not reported") {
    const MessageView m = MustParse(RawStun()
                                        .Attr(0x8005, {1, 2, 3})
                                        .Attr(0xC001, {})
                                        .Attr(0xFFFF, {9})
                                        .Build());
    CHECK(m.unknown_comprehension_required().empty());
    CHECK(m.Attributes().size() == 3);
  }
  SUBCASE("the report is capped at kMaxReportedUnknown") {
    RawStun raw;
    const size_t count = MessageView::kMaxReportedUnknown + 5;
    for (size_t i = 0; i < count; ++i) {
      raw.Attr(static_cast<uint16_t>(0x7000 + i), {});
    }
    const MessageView m = MustParse(raw.Build());
    const auto unknown = m.unknown_comprehension_required();
    REQUIRE(unknown.size() == MessageView::kMaxReportedUnknown);
    for (size_t i = 0; i < unknown.size(); ++i) {
      CHECK(unknown[i] == 0x7000 + i);
    }
  }
  SUBCASE("known types are never reported") {
    const MessageView m = MustParse(RawStun()
                                        .Attr(AT::kLifetime, {0, 0, 0, 1})
                                        .Attr(AT::kChangeRequest, {0, 0, 0, 6})
                                        .Attr(AT::kConnectionId, {0, 0, 0, 7})
                                        .Build());
    CHECK(m.unknown_comprehension_required().empty());
  }
}

TEST_CASE("ERROR-CODE validation") {
  auto error_value = [](uint8_t class_byte, uint8_t number,
                        std::string_view reason) {
    std::vector<uint8_t> v = {0, 0, class_byte, number};
    v.insert(v.end(), reason.begin(), reason.end());
    return v;
  };
  SUBCASE("class 3 to 6 with number 0 to 99 parse") {
    const MessageView m300 = MustParse(
        RawStun(0x0111).Attr(AT::kErrorCode, error_value(3, 0, "")).Build());
    CHECK(m300.ErrorCode()->code == 300);
    CHECK(m300.ErrorCode()->reason.empty());
    const MessageView m699 = MustParse(
        RawStun(0x0111).Attr(AT::kErrorCode, error_value(6, 99, "x")).Build());
    CHECK(m699.ErrorCode()->code == 699);
    CHECK(m699.ErrorCode()->reason == "x");
    const MessageView m438 =
        MustParse(RawStun(0x0113)
                      .Attr(AT::kErrorCode, error_value(4, 38, "Stale Nonce"))
                      .Build());
    CHECK(m438.ErrorCode() == ErrorCodeValue{438, "Stale Nonce"});
  }
  SUBCASE("class 2 is rejected") {
    ExpectParseError(
        RawStun(0x0111).Attr(AT::kErrorCode, error_value(2, 0, "")).Build(),
        ParseError::kMalformedAttribute, true, Type(AT::kErrorCode));
  }
  SUBCASE("class 7 is rejected") {
    ExpectParseError(
        RawStun(0x0111).Attr(AT::kErrorCode, error_value(7, 0, "")).Build(),
        ParseError::kMalformedAttribute, true, Type(AT::kErrorCode));
  }
  SUBCASE("number 100 is rejected") {
    ExpectParseError(
        RawStun(0x0111).Attr(AT::kErrorCode, error_value(4, 100, "")).Build(),
        ParseError::kMalformedAttribute, true, Type(AT::kErrorCode));
  }
  SUBCASE("reason phrase over 763 bytes is rejected") {
    ExpectParseError(
        RawStun(0x0111)
            .Attr(AT::kErrorCode, error_value(4, 0, std::string(764, 'r')))
            .Build(),
        ParseError::kMalformedAttribute, true, Type(AT::kErrorCode));
  }
  SUBCASE("ADDRESS-ERROR-CODE follows the same rules") {
    ExpectParseError(
        RawStun(0x0113).Attr(AT::kAddressErrorCode, {1, 0, 7, 0}).Build(),
        ParseError::kMalformedAttribute, true, Type(AT::kAddressErrorCode));
    const MessageView m =
        MustParse(RawStun(0x0113)
                      .Attr(AT::kAddressErrorCode, {2, 0, 4, 40, 'n', 'o'})
                      .Build());
    CHECK(m.AddressErrorCode() == AddressErrorCodeValue{2, 440, "no"});
  }
}

TEST_CASE("address attribute validation") {
  SUBCASE("family 0x03 is rejected") {
    ExpectParseError(
        RawStun()
            .Attr(AT::kXorMappedAddress, {0, 0x03, 0, 1, 1, 2, 3, 4})
            .Build(),
        ParseError::kMalformedAttribute, true, Type(AT::kXorMappedAddress));
    ExpectParseError(
        RawStun().Attr(AT::kMappedAddress, {0, 0x00, 0, 1, 1, 2, 3, 4}).Build(),
        ParseError::kMalformedAttribute, true, Type(AT::kMappedAddress));
  }
  SUBCASE("family and size must agree") {
    std::vector<uint8_t> v4_with_v6_size(20, 0);
    v4_with_v6_size[1] = 0x01;
    ExpectParseError(
        RawStun().Attr(AT::kXorPeerAddress, v4_with_v6_size).Build(),
        ParseError::kMalformedAttribute, true, Type(AT::kXorPeerAddress));
    ExpectParseError(
        RawStun()
            .Attr(AT::kXorRelayedAddress, {0, 0x02, 0, 1, 1, 2, 3, 4})
            .Build(),
        ParseError::kMalformedAttribute, true, Type(AT::kXorRelayedAddress));
    ExpectParseError(
        RawStun().Attr(AT::kAlternateServer, {0, 0x01, 0, 1, 1, 2, 3}).Build(),
        ParseError::kMalformedAttribute, true, Type(AT::kAlternateServer));
  }
  SUBCASE("plain and XOR forms decode") {
    // XOR-MAPPED-ADDRESS of 192.0.2.1:32853 is the RFC 5769 §2.2 encoding.
    const MessageView m =
        MustParse(RawStun(0x0101)
                      .Attr(AT::kMappedAddress, V4Value(3478, {10, 0, 0, 1}))
                      .Attr(AT::kXorMappedAddress,
                            {0, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43})
                      .Build());
    CHECK(m.MappedAddress()->ToString() == "10.0.0.1:3478");
    CHECK(m.XorMappedAddress()->ToString() == "192.0.2.1:32853");
  }
}

TEST_CASE("typed accessors decode the documented bit layouts") {
  const MessageView m = MustParse(
      RawStun()
          .Attr(AT::kChannelNumber, {0x40, 0x01, 0xAB, 0xCD})
          .Attr(AT::kRequestedTransport, {17, 1, 2, 3})
          .Attr(AT::kRequestedAddressFamily, {0x02, 0, 0, 0})
          .Attr(AT::kAdditionalAddressFamily, {0x02, 0, 0, 0})
          .Attr(AT::kEvenPort, {0x80})
          .Attr(AT::kChangeRequest, {0, 0, 0, 0x04})
          .Attr(AT::kResponsePort, {0x12, 0x34, 0, 0})
          .Attr(AT::kIcmp, {0, 0, 3, 1, 0, 0, 0x05, 0xDC})
          .Attr(AT::kReservationToken, {1, 2, 3, 4, 5, 6, 7, 8})
          .Attr(AT::kConnectionId, {0xDE, 0xAD, 0xBE, 0xEF})
          .Attr(AT::kPadding, {9, 9, 9})
          .Attr(AT::kUnknownAttributes, {0x00, 0x1A, 0x80, 0x22})
          .Attr(AT::kPasswordAlgorithms, {0, 1, 0, 0, 0, 2, 0, 3, 7, 8, 9, 0})
          .Build());
  // RFC 8656 §18.1: the channel number is the first 16 bits; the RFFU bits
  // after it are ignored.
  CHECK(m.ChannelNumber() == 0x4001);
  CHECK(m.RequestedTransport() == 17);
  CHECK(m.RequestedAddressFamily() == 0x02);
  CHECK(m.AdditionalAddressFamily() == 0x02);
  CHECK(m.EvenPort() == true);
  CHECK(m.ChangeRequest() == ChangeRequestValue{true, false});
  CHECK(m.ResponsePort() == 0x1234);
  CHECK(m.Icmp() == IcmpValue{3, 1, 1500});
  CHECK(m.ReservationToken() == 0x0102030405060708ull);
  CHECK(m.ConnectionId() == 0xDEADBEEFu);
  CHECK(m.Padding()->size() == 3);
  const auto listed = m.UnknownAttributes();
  CHECK(std::vector<uint16_t>(listed.begin(), listed.end()) ==
        std::vector<uint16_t>{0x001A, 0x8022});
  const auto algorithms = m.PasswordAlgorithms();
  REQUIRE(algorithms.size() == 2);
  CHECK(algorithms[0].algorithm == 1);
  CHECK(algorithms[0].parameters.empty());
  CHECK(algorithms[1].algorithm == 2);
  CHECK(std::vector<uint8_t>(algorithms[1].parameters.begin(),
                             algorithms[1].parameters.end()) ==
        std::vector<uint8_t>{7, 8, 9});
  // EVEN-PORT in its 4-byte RFC 5766-era form with R clear.
  CHECK(MustParse(RawStun().Attr(AT::kEvenPort, {0x00, 0, 0, 0}).Build())
            .EvenPort() == false);
}

TEST_CASE("PASSWORD-ALGORITHMS with an entry overrunning the attribute") {
  // The second entry claims 8 bytes of parameters with 4 present.
  ExpectParseError(
      RawStun()
          .Attr(AT::kPasswordAlgorithms, {0, 1, 0, 0, 0, 2, 0, 8, 1, 2, 3, 4})
          .Build(),
      ParseError::kMalformedAttribute, true, Type(AT::kPasswordAlgorithms));
  // A trailing partial entry header.
  ExpectParseError(
      RawStun().Attr(AT::kPasswordAlgorithms, {0, 1, 0, 0, 0, 2}).Build(),
      ParseError::kMalformedAttribute, true, Type(AT::kPasswordAlgorithms));
  // PASSWORD-ALGORITHM whose parameter length overruns.
  ExpectParseError(
      RawStun().Attr(AT::kPasswordAlgorithm, {0, 2, 0, 4, 1}).Build(),
      ParseError::kMalformedAttribute, true, Type(AT::kPasswordAlgorithm));
}

TEST_CASE("LooksLikeStun") {
  const std::vector<uint8_t> valid = RawStun().Build();
  CHECK(MessageView::LooksLikeStun(valid));
  CHECK_FALSE(MessageView::LooksLikeStun(
      absl::MakeConstSpan(valid).first(kHeaderSize - 1)));
  std::vector<uint8_t> channel_data = valid;
  channel_data[0] = 0x40;
  CHECK_FALSE(MessageView::LooksLikeStun(channel_data));
  std::vector<uint8_t> old_stun = valid;
  old_stun[7] ^= 0xFF;
  CHECK_FALSE(MessageView::LooksLikeStun(old_stun));
}

TEST_CASE("every ParseError has a name") {
  for (ParseError e :
       {ParseError::kTooShort, ParseError::kNotStun,
        ParseError::kBadMagicCookie, ParseError::kBadLength,
        ParseError::kLengthMismatch, ParseError::kAttributeOverrun,
        ParseError::kMalformedAttribute, ParseError::kFingerprintNotLast,
        ParseError::kBadFingerprint}) {
    CHECK_FALSE(ParseErrorName(e).empty());
    CHECK(ParseErrorName(e) != "?");
  }
}

}  // namespace
}  // namespace turnpike::stun
