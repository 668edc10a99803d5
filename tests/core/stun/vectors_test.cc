// The published STUN test vectors (RFC 5769 §2, RFC 8489 Appendix B.1 with
// erratum 6268): parse, verify integrity and FINGERPRINT, check every decoded
// value, and re-encode byte for byte with MessageBuilder.
#include "tests/harness/vectors.h"

#include <doctest/doctest.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "core/stun/fingerprint.h"
#include "core/stun/integrity.h"
#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"
#include "core/stun/opaque_string.h"
#include "core/util/byte_io.h"
#include "tests/harness/hex.h"
#include "tests/harness/must_parse.h"
#include "tests/harness/printers.h"

namespace turnpike::stun {
namespace {

using testing::Hex;
using testing::LoadVector;
using testing::MustParse;
using testing::ToHex;

// RFC 5769 §2.1-§2.3 short-term password.
constexpr std::string_view kShortTermPassword = "VOkJxbRl1RmTxUk/WvJxBt";
// RFC 5769 §2.4 and RFC 8489 B.1 long-term credentials. The username is
// "マトリックス" (U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9) spelled as UTF-8
// bytes so the test does not depend on the source file's encoding.
constexpr std::string_view kLongTermUsername =
    "\xE3\x83\x9E\xE3\x83\x88\xE3\x83\xAA\xE3\x83\x83\xE3\x82\xAF\xE3\x82\xB9";
constexpr std::string_view kRealm = "example.org";
constexpr std::string_view kLongTermPassword = "TheMatrIX";
constexpr std::string_view kNonce24 = "f//499k954d6OL34oL9FSTvy64sA";
// RFC 8489 §9.2: the "obMatJos2" cookie, then the security-feature bits and
// the nonce proper.
constexpr std::string_view kNonceB1 =
    "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA";

// RFC 5769's transaction IDs.
const TransactionId kId21To23 = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
const TransactionId kId24AndB1 = {0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
                                  0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e};

const HmacKey& WrongKey() {
  static const HmacKey key = ShortTermKey("not the password");
  return key;
}

HmacKey Md5LongTermKey() {
  return LongTermKey(PasswordAlgorithmId::kMd5, kLongTermUsername, kRealm,
                     kLongTermPassword);
}

HmacKey Sha256LongTermKey() {
  return LongTermKey(PasswordAlgorithmId::kSha256, kLongTermUsername, kRealm,
                     kLongTermPassword);
}

// Flipping one bit anywhere before FINGERPRINT must be caught by it, and the
// header must still be reported (the bit is in the body).
void ExpectFingerprintCatchesBitFlip(std::vector<uint8_t> bytes,
                                     size_t position) {
  bytes[position] ^= 0x01;
  auto parsed = MessageView::Parse(bytes);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().error == ParseError::kBadFingerprint);
  CHECK(parsed.error().header.has_value());
}

// RFC 5769 §2.2 and §2.3 differ only in the mapped address: rebuilding
// either from its parts must give back the vector's bytes.
void ExpectResponseReencodes(const std::vector<uint8_t>& bytes,
                             const TransportAddress& mapped) {
  std::array<uint8_t, 256> buffer{};
  MessageBuilder b(absl::MakeSpan(buffer), MessageClass::kSuccessResponse,
                   Method::kBinding, kId21To23);
  b.SetPaddingByte(0x20)
      .AddString(AttributeType::kSoftware, "test vector")
      .AddXorAddress(AttributeType::kXorMappedAddress, mapped)
      .AddMessageIntegrity(ShortTermKey(kShortTermPassword))
      .AddFingerprint();
  auto out = b.Finish();
  REQUIRE(out.ok());
  CHECK(ToHex(*out) == ToHex(bytes));
}

TEST_CASE("RFC 5769 2.1 sample request parses and verifies") {
  const std::vector<uint8_t> bytes = LoadVector(testing::kVector21);
  REQUIRE(bytes.size() == 108);
  const MessageView m = MustParse(bytes);

  CHECK(m.message_class() == MessageClass::kRequest);
  CHECK(m.method() == static_cast<uint16_t>(Method::kBinding));
  CHECK(m.transaction_id() == kId21To23);
  CHECK(m.Software() == "STUN test client");
  CHECK(m.Priority() == 0x6e0001ffu);
  CHECK(m.IceControlled() == 0x932ff9b151263b36ull);
  CHECK_FALSE(m.IceControlling().has_value());
  // The value is 9 bytes; the 3 spaces after it are padding, not content.
  CHECK(m.Username() == "evtj:h6vY");
  CHECK(m.unknown_comprehension_required().empty());

  SUBCASE("integrity: right key, wrong key, absent SHA-256") {
    CHECK(CheckMessageIntegrity(m, ShortTermKey(kShortTermPassword)) ==
          IntegrityResult::kOk);
    CHECK(CheckMessageIntegrity(m, WrongKey()) == IntegrityResult::kBad);
    CHECK(CheckMessageIntegritySha256(m, ShortTermKey(kShortTermPassword)) ==
          IntegrityResult::kAbsent);
  }
  SUBCASE("fingerprint") {
    CHECK(m.Fingerprint() == 0xe57a3bcfu);
    const size_t fp = m.Find(AttributeType::kFingerprint)->offset;
    CHECK(fp == bytes.size() - 8);
    CHECK(ComputeFingerprint(absl::MakeConstSpan(bytes).first(fp)) ==
          0xe57a3bcfu);
    ExpectFingerprintCatchesBitFlip(bytes, 30);      // inside SOFTWARE
    ExpectFingerprintCatchesBitFlip(bytes, 1);       // the message type
    ExpectFingerprintCatchesBitFlip(bytes, 9);       // the transaction ID
    ExpectFingerprintCatchesBitFlip(bytes, fp + 4);  // the CRC itself
  }
  SUBCASE("padding content is ignored, but integrity covers it") {
    // RFC 8489 §14: padding bytes are ignored on receipt, yet they are part
    // of the bytes MESSAGE-INTEGRITY covers: change a USERNAME padding space
    // and the value is unchanged while the HMAC no longer matches. Cut the
    // FINGERPRINT so that it does not reject the message first.
    std::vector<uint8_t> changed(bytes.begin(), bytes.end() - 8);
    StoreBe16(&changed[2], static_cast<uint16_t>(changed.size() - 20));
    const size_t username = m.Find(AttributeType::kUsername)->offset;
    changed[username + 4 + 9] = 0x00;
    const MessageView c = MustParse(changed);
    CHECK(c.Username() == "evtj:h6vY");
    CHECK(CheckMessageIntegrity(c, ShortTermKey(kShortTermPassword)) ==
          IntegrityResult::kBad);
  }
  SUBCASE("re-encodes byte for byte") {
    std::array<uint8_t, 256> buffer{};
    MessageBuilder b(absl::MakeSpan(buffer), MessageClass::kRequest,
                     Method::kBinding, kId21To23);
    b.SetPaddingByte(0x20)
        .AddString(AttributeType::kSoftware, "STUN test client")
        .AddUint32(AttributeType::kPriority, 0x6e0001ff)
        .AddUint64(AttributeType::kIceControlled, 0x932ff9b151263b36)
        .AddString(AttributeType::kUsername, "evtj:h6vY")
        .AddMessageIntegrity(ShortTermKey(kShortTermPassword))
        .AddFingerprint();
    auto out = b.Finish();
    REQUIRE(out.ok());
    CHECK(ToHex(*out) == ToHex(bytes));
  }
}

TEST_CASE("RFC 5769 2.2 IPv4 response parses and verifies") {
  const std::vector<uint8_t> bytes = LoadVector(testing::kVector22);
  REQUIRE(bytes.size() == 80);
  const MessageView m = MustParse(bytes);

  CHECK(m.message_class() == MessageClass::kSuccessResponse);
  CHECK(m.method() == static_cast<uint16_t>(Method::kBinding));
  CHECK(m.transaction_id() == kId21To23);
  // "test vector " is 11 bytes: the trailing space of the 12 on the wire is
  // padding.
  CHECK(m.Software() == "test vector");
  const std::optional<TransportAddress> mapped = m.XorMappedAddress();
  REQUIRE(mapped.has_value());
  CHECK(mapped->ToString() == "192.0.2.1:32853");
  CHECK(mapped->ip == IpAddress::V4({192, 0, 2, 1}));
  CHECK(mapped->port == 32853);
  CHECK_FALSE(m.MappedAddress().has_value());

  CHECK(CheckMessageIntegrity(m, ShortTermKey(kShortTermPassword)) ==
        IntegrityResult::kOk);
  CHECK(CheckMessageIntegrity(m, WrongKey()) == IntegrityResult::kBad);
  CHECK(CheckMessageIntegritySha256(m, WrongKey()) == IntegrityResult::kAbsent);
  CHECK(m.Fingerprint() == 0xc07d4c96u);
  ExpectFingerprintCatchesBitFlip(bytes, 36);  // inside XOR-MAPPED-ADDRESS

  ExpectResponseReencodes(bytes, *mapped);
}

TEST_CASE("RFC 5769 2.3 IPv6 response parses and verifies") {
  const std::vector<uint8_t> bytes = LoadVector(testing::kVector23);
  REQUIRE(bytes.size() == 92);
  const MessageView m = MustParse(bytes);

  CHECK(m.message_class() == MessageClass::kSuccessResponse);
  CHECK(m.method() == static_cast<uint16_t>(Method::kBinding));
  CHECK(m.Software() == "test vector");
  const std::optional<TransportAddress> mapped = m.XorMappedAddress();
  REQUIRE(mapped.has_value());
  CHECK(mapped->ip.is_v6());
  CHECK(mapped->ToString() == "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
  CHECK(mapped->ip ==
        *IpAddress::Parse("2001:0db8:1234:5678:0011:2233:4455:6677"));

  CHECK(CheckMessageIntegrity(m, ShortTermKey(kShortTermPassword)) ==
        IntegrityResult::kOk);
  CHECK(CheckMessageIntegrity(m, WrongKey()) == IntegrityResult::kBad);
  CHECK(m.Fingerprint() == 0xc8fb0b4cu);
  // Inside the XORed IPv6 address, whose mask includes the transaction ID.
  ExpectFingerprintCatchesBitFlip(bytes, 50);
  ExpectFingerprintCatchesBitFlip(bytes, 10);  // the transaction ID

  ExpectResponseReencodes(bytes, *mapped);
}

TEST_CASE("RFC 5769 2.4 long-term request parses and verifies") {
  const std::vector<uint8_t> bytes = LoadVector(testing::kVector24);
  REQUIRE(bytes.size() == 116);
  const MessageView m = MustParse(bytes);

  CHECK(m.message_class() == MessageClass::kRequest);
  CHECK(m.method() == static_cast<uint16_t>(Method::kBinding));
  CHECK(m.transaction_id() == kId24AndB1);
  CHECK(m.Username() == kLongTermUsername);
  CHECK(m.Nonce() == kNonce24);
  CHECK(m.Realm() == kRealm);
  CHECK_FALSE(m.Fingerprint().has_value());

  SUBCASE("OpaqueString leaves the credentials unchanged") {
    // RFC 8489 §9.2.2 prepares username, realm and password before hashing;
    // all three are already in their prepared form here.
    auto username = PrepareOpaqueString(kLongTermUsername);
    auto realm = PrepareOpaqueString(kRealm);
    auto password = PrepareOpaqueString(kLongTermPassword);
    REQUIRE(username.ok());
    REQUIRE(realm.ok());
    REQUIRE(password.ok());
    CHECK(*username == kLongTermUsername);
    CHECK(*realm == kRealm);
    CHECK(*password == kLongTermPassword);
    const HmacKey key =
        LongTermKey(PasswordAlgorithmId::kMd5, *username, *realm, *password);
    CHECK(key.size() == 16);
    CHECK(CheckMessageIntegrity(m, key) == IntegrityResult::kOk);
  }
  SUBCASE("integrity: right key, wrong keys") {
    CHECK(CheckMessageIntegrity(m, Md5LongTermKey()) == IntegrityResult::kOk);
    CHECK(CheckMessageIntegrity(m, WrongKey()) == IntegrityResult::kBad);
    // The password as a short-term key is not the long-term key.
    CHECK(CheckMessageIntegrity(m, ShortTermKey(kLongTermPassword)) ==
          IntegrityResult::kBad);
    // Nor is the SHA-256 long-term key.
    CHECK(CheckMessageIntegrity(m, Sha256LongTermKey()) ==
          IntegrityResult::kBad);
    CHECK(CheckMessageIntegritySha256(m, Md5LongTermKey()) ==
          IntegrityResult::kAbsent);
  }
  SUBCASE("key derivation matches MD5 and SHA-256 of username:realm:password") {
    // Computed independently (Python's hashlib) from the credentials.
    CHECK(ToHex(Md5LongTermKey()) ==
          ToHex(Hex("e8 ca 7a d5 9d 5e b0 51 8e 31 29 11 d2 da b2 a9")));
    CHECK(ToHex(Sha256LongTermKey()) ==
          ToHex(Hex("dd 29 5a 61 3b 90 58 c3 c2 3d 6d c7 16 5b da 07"
                    "23 04 d9 89 c9 d0 af 3a 8c 7e 18 4b 4f 9b b4 a1")));
  }
  SUBCASE("re-encodes byte for byte") {
    std::array<uint8_t, 256> buffer{};
    MessageBuilder b(absl::MakeSpan(buffer), MessageClass::kRequest,
                     Method::kBinding, kId24AndB1);
    b.AddString(AttributeType::kUsername, kLongTermUsername)
        .AddString(AttributeType::kNonce, kNonce24)
        .AddString(AttributeType::kRealm, kRealm)
        .AddMessageIntegrity(Md5LongTermKey());
    auto out = b.Finish();
    REQUIRE(out.ok());
    CHECK(ToHex(*out) == ToHex(bytes));
  }
}

TEST_CASE("RFC 8489 B.1 SHA-256 request with USERHASH parses and verifies") {
  const std::vector<uint8_t> bytes = LoadVector(testing::kVectorB1);
  REQUIRE(bytes.size() == 164);
  const MessageView m = MustParse(bytes);

  CHECK(m.message_class() == MessageClass::kRequest);
  CHECK(m.method() == static_cast<uint16_t>(Method::kBinding));
  CHECK(m.transaction_id() == kId24AndB1);
  CHECK_FALSE(m.Username().has_value());
  REQUIRE(m.Userhash().has_value());
  CHECK(ToHex(*m.Userhash()) ==
        ToHex(ComputeUserhash(kLongTermUsername, kRealm)));
  CHECK(ToHex(*m.Userhash()) ==
        ToHex(Hex("4a 3c f3 8f ef 69 92 bd a9 52 c6 78 04 17 da 0f"
                  "24 81 94 15 56 9e 60 b2 05 c4 6e 41 40 7f 17 04")));
  CHECK(m.Nonce() == kNonceB1);
  CHECK(m.Realm() == kRealm);
  const std::optional<PasswordAlgorithmValue> algorithm = m.PasswordAlgorithm();
  REQUIRE(algorithm.has_value());
  CHECK(algorithm->algorithm ==
        static_cast<uint16_t>(PasswordAlgorithmId::kSha256));
  CHECK(algorithm->parameters.empty());
  REQUIRE(m.MessageIntegritySha256().has_value());
  CHECK(m.MessageIntegritySha256()->size() == 32);
  CHECK_FALSE(m.MessageIntegrity().has_value());

  CHECK(Sha256LongTermKey().size() == 32);
  CHECK(CheckMessageIntegritySha256(m, Sha256LongTermKey()) ==
        IntegrityResult::kOk);
  CHECK(CheckMessageIntegritySha256(m, Md5LongTermKey()) ==
        IntegrityResult::kBad);
  CHECK(CheckMessageIntegritySha256(m, WrongKey()) == IntegrityResult::kBad);
  CHECK(CheckMessageIntegrity(m, Sha256LongTermKey()) ==
        IntegrityResult::kAbsent);

  std::array<uint8_t, 256> buffer{};
  MessageBuilder b(absl::MakeSpan(buffer), MessageClass::kRequest,
                   Method::kBinding, kId24AndB1);
  b.AddBytes(AttributeType::kUserhash,
             ComputeUserhash(kLongTermUsername, kRealm))
      .AddString(AttributeType::kNonce, kNonceB1)
      .AddString(AttributeType::kRealm, kRealm)
      .AddPasswordAlgorithm(
          {static_cast<uint16_t>(PasswordAlgorithmId::kSha256), {}})
      .AddMessageIntegritySha256(Sha256LongTermKey());
  auto out = b.Finish();
  REQUIRE(out.ok());
  CHECK(ToHex(*out) == ToHex(bytes));
}

TEST_CASE("vector integrity fails after any change to the covered bytes") {
  // Each vector without FINGERPRINT (2.4, B.1) has only its HMAC to catch a
  // change: flip one bit in each covered body byte and in the transaction ID.
  struct Case {
    std::string_view file;
    bool sha256;
    HmacKey key;
  };
  const Case cases[] = {{testing::kVector24, false, Md5LongTermKey()},
                        {testing::kVectorB1, true, Sha256LongTermKey()}};
  for (const Case& c : cases) {
    CAPTURE(c.file);
    const std::vector<uint8_t> bytes = LoadVector(c.file);
    const size_t integrity_offset =
        c.sha256 ? MustParse(bytes).message_integrity_sha256_offset()
                 : MustParse(bytes).message_integrity_offset();
    REQUIRE(integrity_offset > 0);
    for (size_t i = 8; i < integrity_offset; ++i) {
      CAPTURE(i);
      std::vector<uint8_t> changed = bytes;
      changed[i] ^= 0x80;
      auto parsed = MessageView::Parse(changed);
      // A flipped length byte may make the message unparseable; otherwise
      // the HMAC must object.
      if (!parsed.ok()) continue;
      const IntegrityResult r =
          c.sha256 ? CheckMessageIntegritySha256(*parsed, c.key)
                   : CheckMessageIntegrity(*parsed, c.key);
      CHECK(r == IntegrityResult::kBad);
    }
  }
}

}  // namespace
}  // namespace turnpike::stun
