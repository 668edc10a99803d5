// MESSAGE-INTEGRITY(-SHA256) checking beyond the vectors: the length
// adjustment of RFC 8489 §14.5-§14.6, truncated SHA-256 values, and the
// tri-state result.
#include "core/stun/integrity.h"

#include <doctest/doctest.h>

#include <array>
#include <string>
#include <vector>

#include "core/stun/fingerprint.h"
#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"
#include "core/util/byte_io.h"
#include "tests/harness/hex.h"
#include "tests/harness/must_parse.h"
#include "tests/harness/printers.h"
#include "tests/harness/raw_stun.h"

namespace turnpike::stun {
namespace {

using testing::Hex;
using testing::kTestTransactionId;
using testing::MustParse;
using testing::RawStun;
using testing::ToHex;
using AT = AttributeType;

const HmacKey& Key() {
  static const HmacKey key = ShortTermKey("pass");
  return key;
}

std::vector<uint8_t> Signed(bool sha1, bool sha256, size_t sha256_size = 32) {
  std::array<uint8_t, 256> buffer{};
  MessageBuilder b(absl::MakeSpan(buffer), MessageClass::kRequest,
                   Method::kAllocate, kTestTransactionId);
  b.AddString(AT::kUsername, "alice").AddRequestedTransport(17);
  if (sha1) b.AddMessageIntegrity(Key());
  if (sha256) b.AddMessageIntegritySha256(Key(), sha256_size);
  auto out = b.Finish();
  REQUIRE(out.ok());
  return std::vector<uint8_t>(out->begin(), out->end());
}

// Appends a raw attribute and fixes the header length, as a sender that adds
// attributes after MESSAGE-INTEGRITY would.
void AppendAttribute(std::vector<uint8_t>& bytes, uint16_t type,
                     std::vector<uint8_t> value) {
  const size_t length = value.size();
  bytes.push_back(static_cast<uint8_t>(type >> 8));
  bytes.push_back(static_cast<uint8_t>(type));
  bytes.push_back(static_cast<uint8_t>(length >> 8));
  bytes.push_back(static_cast<uint8_t>(length));
  bytes.insert(bytes.end(), value.begin(), value.end());
  bytes.resize(bytes.size() + PaddingFor(length), 0);
  StoreBe16(&bytes[2], static_cast<uint16_t>(bytes.size() - kHeaderSize));
}

TEST_CASE("tri-state: absent, ok, bad") {
  const MessageView none = MustParse(Signed(false, false));
  CHECK(CheckMessageIntegrity(none, Key()) == IntegrityResult::kAbsent);
  CHECK(CheckMessageIntegritySha256(none, Key()) == IntegrityResult::kAbsent);

  const std::vector<uint8_t> both_bytes = Signed(true, true);
  const MessageView both = MustParse(both_bytes);
  CHECK(CheckMessageIntegrity(both, Key()) == IntegrityResult::kOk);
  CHECK(CheckMessageIntegritySha256(both, Key()) == IntegrityResult::kOk);
  const HmacKey wrong = ShortTermKey("pasS");
  CHECK(CheckMessageIntegrity(both, wrong) == IntegrityResult::kBad);
  CHECK(CheckMessageIntegritySha256(both, wrong) == IntegrityResult::kBad);
  // An empty key is a key like any other: it does not match either.
  CHECK(CheckMessageIntegrity(both, {}) == IntegrityResult::kBad);
  CHECK(CheckMessageIntegritySha256(both, {}) == IntegrityResult::kBad);
}

TEST_CASE("an empty key signs and verifies") {
  // HMAC with a zero-length key is well defined (RFC 2104); the check must
  // not confuse it with "no key".
  std::array<uint8_t, 128> buffer{};
  MessageBuilder b(absl::MakeSpan(buffer), MessageClass::kRequest,
                   Method::kBinding, kTestTransactionId);
  b.AddMessageIntegrity({}).AddMessageIntegritySha256({});
  auto out = b.Finish();
  REQUIRE(out.ok());
  auto m = MessageView::Parse(*out);
  REQUIRE(m.ok());
  CHECK(CheckMessageIntegrity(*m, {}) == IntegrityResult::kOk);
  CHECK(CheckMessageIntegritySha256(*m, {}) == IntegrityResult::kOk);
  CHECK(CheckMessageIntegrity(*m, Key()) == IntegrityResult::kBad);
}

TEST_CASE("the header length is adjusted when later attributes follow") {
  // RFC 8489 §14.5: the HMAC covers the message with the length field set as
  // if MESSAGE-INTEGRITY were last, so attributes after it (FINGERPRINT,
  // MESSAGE-INTEGRITY-SHA256, or ignored ones) do not break it.
  std::vector<uint8_t> bytes = Signed(true, false);
  AppendAttribute(bytes, static_cast<uint16_t>(AT::kSoftware),
                  {'l', 'a', 't', 'e', 'r'});
  AppendAttribute(bytes, 0x7FEE, {1, 2, 3, 4});
  const MessageView m = MustParse(bytes);
  CHECK(CheckMessageIntegrity(m, Key()) == IntegrityResult::kOk);
  CHECK_FALSE(m.Software().has_value());

  // And a change to the bytes before it is still caught.
  std::vector<uint8_t> changed = bytes;
  changed[kHeaderSize + 4] ^= 0x20;  // 'a' -> 'A' in USERNAME
  CHECK(CheckMessageIntegrity(MustParse(changed), Key()) ==
        IntegrityResult::kBad);
}

TEST_CASE("the HMAC covers the header with the adjusted length, not zero") {
  // Compute the expected HMAC independently of MessageBuilder and the
  // checker: HMAC-SHA1 over the prefix with the length patched to end after
  // MESSAGE-INTEGRITY.
  std::vector<uint8_t> prefix =
      RawStun().AttrText(AT::kUsername, "bob").Build();
  StoreBe16(&prefix[2], static_cast<uint16_t>(prefix.size() - kHeaderSize + 4 +
                                              kMessageIntegritySize));
  const std::array<uint8_t, 20> mac = HmacSha1(Key(), prefix);
  std::vector<uint8_t> message = prefix;
  AppendAttribute(message, static_cast<uint16_t>(AT::kMessageIntegrity),
                  std::vector<uint8_t>(mac.begin(), mac.end()));
  CHECK(CheckMessageIntegrity(MustParse(message), Key()) ==
        IntegrityResult::kOk);

  // The same HMAC computed with the unpatched length does not verify.
  std::vector<uint8_t> unpatched =
      RawStun().AttrText(AT::kUsername, "bob").Build();
  const std::array<uint8_t, 20> wrong_mac = HmacSha1(Key(), unpatched);
  AppendAttribute(unpatched, static_cast<uint16_t>(AT::kMessageIntegrity),
                  std::vector<uint8_t>(wrong_mac.begin(), wrong_mac.end()));
  CHECK(CheckMessageIntegrity(MustParse(unpatched), Key()) ==
        IntegrityResult::kBad);
}

TEST_CASE("truncated MESSAGE-INTEGRITY-SHA256 compares its prefix") {
  for (size_t size : {16, 20, 24, 28, 32}) {
    CAPTURE(size);
    const std::vector<uint8_t> bytes = Signed(false, true, size);
    const MessageView m = MustParse(bytes);
    CHECK(CheckMessageIntegritySha256(m, Key()) == IntegrityResult::kOk);
    // The value is the first `size` bytes of HMAC-SHA256 over everything
    // before the attribute (it is last, so the length field needs no
    // adjustment here).
    const size_t offset = m.message_integrity_sha256_offset();
    const std::array<uint8_t, 32> mac =
        HmacSha256(Key(), absl::MakeConstSpan(bytes).first(offset));
    CHECK(ToHex(absl::MakeConstSpan(mac).first(size)) ==
          ToHex(*m.MessageIntegritySha256()));
    // Flip the last byte of the truncated value.
    std::vector<uint8_t> changed = bytes;
    changed.back() ^= 0x01;
    CHECK(CheckMessageIntegritySha256(MustParse(changed), Key()) ==
          IntegrityResult::kBad);
  }
}

TEST_CASE("HMAC helpers match RFC 2202 and RFC 4231") {
  // RFC 2202 test case 2 (HMAC-SHA-1) and RFC 4231 test case 2
  // (HMAC-SHA-256): key "Jefe", data "what do ya want for nothing?".
  const std::string key = "Jefe";
  const std::string data = "what do ya want for nothing?";
  auto span = [](const std::string& s) {
    return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                               s.size());
  };
  CHECK(ToHex(HmacSha1(span(key), span(data))) ==
        ToHex(Hex(
            "ef fc df 6a e5 eb 2f a2 d2 74 16 d5 f1 84 df 9c 25 9a 7c 79")));
  CHECK(ToHex(HmacSha256(span(key), span(data))) ==
        ToHex(Hex("5b dc c1 46 bf 60 75 4e 6a 04 24 26 08 95 75 c7"
                  "5a 00 3f 08 9d 27 39 83 9d ec 58 b9 64 ec 38 43")));
}

TEST_CASE("fingerprint of the empty prefix is the CRC-32 constant") {
  // CRC-32 of no bytes is 0, so the FINGERPRINT is the XOR constant itself;
  // CRC-32("123456789") = 0xCBF43926 (the standard check value).
  CHECK(ComputeFingerprint({}) == kFingerprintXor);
  const std::string check = "123456789";
  CHECK(ComputeFingerprint(absl::MakeConstSpan(
            reinterpret_cast<const uint8_t*>(check.data()), check.size())) ==
        (0xCBF43926u ^ kFingerprintXor));
}

}  // namespace
}  // namespace turnpike::stun
