// MessageBuilder: the order rules of RFC 8489 §14.5-§14.7, value limits, and
// the promise never to write outside the caller's buffer.
#include "core/stun/message_builder.h"

#include <doctest/doctest.h>

#include <array>
#include <string>
#include <vector>

#include "core/stun/integrity.h"
#include "core/stun/message_view.h"
#include "core/util/byte_io.h"
#include "tests/harness/hex.h"
#include "tests/harness/printers.h"
#include "tests/harness/raw_stun.h"

namespace turnpike::stun {
namespace {

using testing::kTestTransactionId;
using testing::ToHex;
using AT = AttributeType;

// The builder's error, or nullopt when it succeeded.
std::optional<BuildError> ErrorOf(const MessageBuilder& b) {
  auto out = b.Finish();
  if (out.ok()) return std::nullopt;
  return out.error();
}

const HmacKey& Key() {
  static const HmacKey key = ShortTermKey("secret");
  return key;
}

// Writes one message with a bit of everything into `buffer`.
MessageBuilder BuildEverything(absl::Span<uint8_t> buffer) {
  MessageBuilder b(absl::MakeSpan(buffer), MessageClass::kSuccessResponse,
                   Method::kAllocate, kTestTransactionId);
  const uint8_t userhash[32] = {1, 2, 3};
  const uint8_t params[] = {0xAA, 0xBB, 0xCC};
  const PasswordAlgorithmValue algorithms[] = {{1, {}}, {2, params}};
  const uint16_t unknown[] = {0x7F00, 0x0002, 0x0003};
  b.AddXorAddress(AT::kXorRelayedAddress,
                  *TransportAddress::Parse("203.0.113.5:49152"))
      .AddXorAddress(AT::kXorRelayedAddress,
                     *TransportAddress::Parse("[2001:db8::5]:49153"))
      .AddXorAddress(AT::kXorMappedAddress,
                     *TransportAddress::Parse("198.51.100.7:51000"))
      .AddAddress(AT::kResponseOrigin,
                  *TransportAddress::Parse("10.1.1.1:3478"))
      .AddLifetime(600)
      .AddReservationToken(0x1122334455667788)
      .AddString(AT::kSoftware, "turnpike test")
      .AddString(AT::kUsername, "u")
      .AddBytes(AT::kUserhash, userhash)
      .AddErrorCode(error_code::kStaleNonce)
      .AddUnknownAttributes(unknown)
      .AddChannelNumber(0x4001)
      .AddRequestedTransport(17)
      .AddRequestedAddressFamily(0x02)
      .AddAdditionalAddressFamily(0x02)
      .AddEvenPort(true)
      .AddPasswordAlgorithm({2, params})
      .AddPasswordAlgorithms(algorithms)
      .AddAddressErrorCode(0x02, 440, "Address Family not Supported")
      .AddIcmp({3, 1, 1280})
      .AddChangeRequest({true, true})
      .AddResponsePort(5000)
      .AddConnectionId(77)
      .AddEmpty(AT::kDontFragment)
      .AddUint32(AT::kPriority, 12345)
      .AddUint64(AT::kIceControlling, 42)
      .AddMessageIntegrity(Key())
      .AddMessageIntegritySha256(Key(), 24)
      .AddFingerprint();
  return b;
}

TEST_CASE("a message with every builder method parses back") {
  std::array<uint8_t, 1024> buffer{};
  MessageBuilder b = BuildEverything(absl::MakeSpan(buffer));
  auto out = b.Finish();
  REQUIRE(out.ok());
  CHECK(out->size() == b.size());
  CHECK(LoadBe16(&(*out)[2]) == out->size() - kHeaderSize);
  auto m = MessageView::Parse(*out);
  REQUIRE(m.ok());
  CHECK(m->message_class() == MessageClass::kSuccessResponse);
  CHECK(m->method() == static_cast<uint16_t>(Method::kAllocate));
  const auto relayed = m->XorRelayedAddresses();
  REQUIRE(relayed.size() == 2);
  CHECK(relayed[0].ToString() == "203.0.113.5:49152");
  CHECK(relayed[1].ToString() == "[2001:db8::5]:49153");
  CHECK(m->XorMappedAddress()->ToString() == "198.51.100.7:51000");
  CHECK(m->ResponseOrigin()->ToString() == "10.1.1.1:3478");
  CHECK(m->Lifetime() == 600u);
  CHECK(m->ReservationToken() == 0x1122334455667788ull);
  CHECK(m->Software() == "turnpike test");
  CHECK(m->ErrorCode() == ErrorCodeValue{438, DefaultReasonPhrase(438)});
  CHECK_FALSE(DefaultReasonPhrase(438).empty());
  CHECK(m->UnknownAttributes().size() == 3);
  // The UNKNOWN-ATTRIBUTES value lists types; it does not make the message
  // itself carry unknown attributes.
  CHECK(m->unknown_comprehension_required().empty());
  CHECK(m->ChannelNumber() == 0x4001);
  CHECK(m->RequestedTransport() == 17);
  CHECK(m->RequestedAddressFamily() == 0x02);
  CHECK(m->AdditionalAddressFamily() == 0x02);
  CHECK(m->EvenPort() == true);
  CHECK(m->PasswordAlgorithm()->algorithm == 2);
  CHECK(m->PasswordAlgorithm()->parameters.size() == 3);
  CHECK(m->PasswordAlgorithms().size() == 2);
  CHECK(m->AddressErrorCode() ==
        AddressErrorCodeValue{0x02, 440, "Address Family not Supported"});
  CHECK(m->Icmp() == IcmpValue{3, 1, 1280});
  CHECK(m->ChangeRequest() == ChangeRequestValue{true, true});
  CHECK(m->ResponsePort() == 5000);
  CHECK(m->ConnectionId() == 77u);
  CHECK(m->DontFragment());
  CHECK(m->Priority() == 12345u);
  CHECK(m->IceControlling() == 42u);
  CHECK(CheckMessageIntegrity(*m, Key()) == IntegrityResult::kOk);
  CHECK(CheckMessageIntegritySha256(*m, Key()) == IntegrityResult::kOk);
  CHECK(m->MessageIntegritySha256()->size() == 24);
  CHECK(m->Fingerprint().has_value());
}

TEST_CASE("buffer too small at every size: fails cleanly and stays inside") {
  std::array<uint8_t, 1024> reference_buffer{};
  auto reference = BuildEverything(absl::MakeSpan(reference_buffer)).Finish();
  REQUIRE(reference.ok());
  const size_t full = reference->size();
  constexpr size_t kGuard = 64;
  constexpr uint8_t kGuardByte = 0xA5;
  for (size_t n = 0; n <= full; ++n) {
    CAPTURE(n);
    // The builder sees only the first n bytes; the guard after them must
    // survive. The vector is sized exactly so ASan would also catch a write
    // past the guard.
    std::vector<uint8_t> storage(n + kGuard, kGuardByte);
    MessageBuilder b = BuildEverything(absl::MakeSpan(storage).first(n));
    auto out = b.Finish();
    if (n < full) {
      REQUIRE_FALSE(out.ok());
      CHECK(out.error() == BuildError::kBufferTooSmall);
      CHECK(b.failed());
      CHECK(b.size() <= n);
    } else {
      REQUIRE(out.ok());
      CHECK(ToHex(*out) == ToHex(*reference));
    }
    bool guard_intact = true;
    for (size_t i = n; i < storage.size(); ++i) {
      guard_intact = guard_intact && storage[i] == kGuardByte;
    }
    CHECK(guard_intact);
  }
}

TEST_CASE("a failed builder stays failed") {
  std::array<uint8_t, 28> buffer{};
  MessageBuilder b(absl::MakeSpan(buffer), MessageClass::kRequest,
                   Method::kBinding, kTestTransactionId);
  b.AddString(AT::kSoftware, "12345678");  // needs 12 of the 8 left
  REQUIRE(b.failed());
  // A later attribute that would fit must not be written, or the message
  // would silently lose the first one.
  b.AddLifetime(1);
  CHECK(ErrorOf(b) == BuildError::kBufferTooSmall);
  CHECK(b.size() == kHeaderSize);
}

TEST_CASE("order rules for integrity and FINGERPRINT") {
  std::array<uint8_t, 256> buffer{};
  auto builder = [&] {
    return MessageBuilder(absl::MakeSpan(buffer), MessageClass::kRequest,
                          Method::kBinding, kTestTransactionId);
  };
  SUBCASE("an attribute after MESSAGE-INTEGRITY is rejected") {
    MessageBuilder b = builder();
    b.AddMessageIntegrity(Key()).AddString(AT::kSoftware, "late");
    CHECK(ErrorOf(b) == BuildError::kAfterIntegrity);
  }
  SUBCASE("an attribute after MESSAGE-INTEGRITY-SHA256 is rejected") {
    MessageBuilder b = builder();
    b.AddMessageIntegritySha256(Key()).AddLifetime(5);
    CHECK(ErrorOf(b) == BuildError::kAfterIntegrity);
  }
  SUBCASE("an attribute after FINGERPRINT is rejected") {
    MessageBuilder b = builder();
    b.AddFingerprint().AddString(AT::kSoftware, "late");
    CHECK(ErrorOf(b) == BuildError::kAfterFingerprint);
  }
  SUBCASE("MESSAGE-INTEGRITY after FINGERPRINT is rejected") {
    MessageBuilder b = builder();
    b.AddFingerprint().AddMessageIntegrity(Key());
    CHECK(ErrorOf(b) == BuildError::kAfterFingerprint);
  }
  SUBCASE("a second FINGERPRINT is rejected") {
    MessageBuilder b = builder();
    b.AddFingerprint().AddFingerprint();
    CHECK(ErrorOf(b) == BuildError::kAfterFingerprint);
  }
  SUBCASE("MI, MI-SHA256, FINGERPRINT in that order is accepted") {
    MessageBuilder b = builder();
    b.AddMessageIntegrity(Key())
        .AddMessageIntegritySha256(Key())
        .AddFingerprint();
    auto out = b.Finish();
    REQUIRE(out.ok());
    auto m = MessageView::Parse(*out);
    REQUIRE(m.ok());
    CHECK(CheckMessageIntegrity(*m, Key()) == IntegrityResult::kOk);
    CHECK(CheckMessageIntegritySha256(*m, Key()) == IntegrityResult::kOk);
  }
}

TEST_CASE("value limits") {
  std::array<uint8_t, 2048> buffer{};
  auto builder = [&] {
    return MessageBuilder(absl::MakeSpan(buffer), MessageClass::kErrorResponse,
                          Method::kAllocate, kTestTransactionId);
  };
  SUBCASE("error code out of range is rejected") {
    for (int code : {0, 100, 299, 700, 999, -400}) {
      CAPTURE(code);
      MessageBuilder b = builder();
      b.AddErrorCode(code, "x");
      CHECK(ErrorOf(b) == BuildError::kValueTooLong);
      MessageBuilder a = builder();
      a.AddAddressErrorCode(0x01, code, "x");
      CHECK(ErrorOf(a) == BuildError::kValueTooLong);
    }
  }
  SUBCASE("error codes 300 and 699 are the bounds") {
    for (int code : {300, 699}) {
      MessageBuilder b = builder();
      b.AddErrorCode(code, "");
      auto out = b.Finish();
      REQUIRE(out.ok());
      CHECK(MessageView::Parse(*out)->ErrorCode()->code == code);
    }
  }
  SUBCASE("reason phrase over 763 bytes is rejected") {
    MessageBuilder b = builder();
    b.AddErrorCode(400, std::string(kMaxReasonPhraseBytes + 1, 'r'));
    CHECK(ErrorOf(b) == BuildError::kValueTooLong);
  }
  SUBCASE("string attributes over their RFC limits are rejected") {
    // BuildError::kValueTooLong covers "its RFC limit": a builder that wrote
    // these would produce messages our own parser refuses.
    const std::pair<AT, size_t> cases[] = {
        {AT::kUsername, kMaxUsernameBytes},
        {AT::kRealm, kMaxRealmBytes},
        {AT::kNonce, kMaxNonceBytes},
        {AT::kSoftware, kMaxSoftwareBytes},
        {AT::kAlternateDomain, kMaxAlternateDomainBytes}};
    for (const auto& [type, limit] : cases) {
      CAPTURE(AttributeName(static_cast<uint16_t>(type)));
      MessageBuilder at_limit = builder();
      at_limit.AddString(type, std::string(limit, 'a'));
      auto out = at_limit.Finish();
      REQUIRE(out.ok());
      CHECK(MessageView::Parse(*out).ok());
      MessageBuilder over = builder();
      over.AddString(type, std::string(limit + 1, 'a'));
      CHECK(ErrorOf(over) == BuildError::kValueTooLong);
    }
  }
  SUBCASE("a value over 65535 bytes is rejected") {
    std::vector<uint8_t> big_buffer(70000);
    MessageBuilder b(absl::MakeSpan(big_buffer), MessageClass::kIndication,
                     Method::kData, kTestTransactionId);
    b.AddBytes(AT::kData, std::vector<uint8_t>(65536, 1));
    CHECK(ErrorOf(b) == BuildError::kValueTooLong);
  }
  SUBCASE("a body over the 16-bit length is rejected as too small a buffer") {
    // Two DATA attributes of 40000 bytes fit the buffer, not the length
    // field.
    std::vector<uint8_t> big_buffer(90000);
    MessageBuilder b(absl::MakeSpan(big_buffer), MessageClass::kIndication,
                     Method::kData, kTestTransactionId);
    b.AddBytes(AT::kData, std::vector<uint8_t>(40000, 1))
        .AddBytes(AT::kPadding, std::vector<uint8_t>(40000, 2));
    CHECK(ErrorOf(b) == BuildError::kBufferTooSmall);
  }
  SUBCASE("the largest body the length field allows") {
    std::vector<uint8_t> big_buffer(kHeaderSize + 0xFFFC);
    MessageBuilder b(absl::MakeSpan(big_buffer), MessageClass::kIndication,
                     Method::kData, kTestTransactionId);
    b.AddBytes(AT::kData, std::vector<uint8_t>(0xFFFC - 4, 7));
    auto out = b.Finish();
    REQUIRE(out.ok());
    CHECK(out->size() == kHeaderSize + 0xFFFC);
    auto m = MessageView::Parse(*out);
    REQUIRE(m.ok());
    CHECK(m->Data()->size() == 0xFFFC - 4);
  }
  SUBCASE("MESSAGE-INTEGRITY-SHA256 truncation sizes") {
    for (size_t size : {0, 12, 15, 18, 33, 36}) {
      CAPTURE(size);
      MessageBuilder b = builder();
      b.AddMessageIntegritySha256(Key(), size);
      CHECK(ErrorOf(b) == BuildError::kValueTooLong);
    }
    for (size_t size : {16, 20, 24, 28, 32}) {
      CAPTURE(size);
      MessageBuilder b = builder();
      b.AddMessageIntegritySha256(Key(), size);
      auto out = b.Finish();
      REQUIRE(out.ok());
      auto m = MessageView::Parse(*out);
      REQUIRE(m.ok());
      CHECK(m->MessageIntegritySha256()->size() == size);
      CHECK(CheckMessageIntegritySha256(*m, Key()) == IntegrityResult::kOk);
    }
  }
}

TEST_CASE("padding byte and value layout") {
  std::array<uint8_t, 64> buffer{};
  MessageBuilder b(absl::MakeSpan(buffer), MessageClass::kRequest,
                   Method::kBinding, kTestTransactionId);
  b.SetPaddingByte(0xEE).AddString(AT::kUsername, "abcde");
  auto out = b.Finish();
  REQUIRE(out.ok());
  CHECK(ToHex(out->subspan(kHeaderSize)) ==
        "00 06 00 05 61 62 63 64 65 ee ee ee");
  // Default padding is zero.
  MessageBuilder z(absl::MakeSpan(buffer), MessageClass::kRequest,
                   Method::kBinding, kTestTransactionId);
  z.AddEvenPort(false);
  CHECK(ToHex(z.Finish()->subspan(kHeaderSize)) == "00 18 00 01 00 00 00 00");
}

TEST_CASE("padding overwrites what the buffer held before (CVE-2020-4067 class)") {
  // coturn sent uninitialised buffer bytes as attribute padding. The
  // builder writes every padding byte itself, whatever the buffer held.
  std::array<uint8_t, 64> buffer;
  buffer.fill(0xAA);
  MessageBuilder b(absl::MakeSpan(buffer), MessageClass::kRequest,
                   Method::kBinding, kTestTransactionId);
  b.AddString(AT::kUsername, "abcde");
  auto out = b.Finish();
  REQUIRE(out.ok());
  CHECK(ToHex(out->subspan(kHeaderSize)) ==
        "00 06 00 05 61 62 63 64 65 00 00 00");
}

TEST_CASE("message type encoding matches RFC 8489 section 5") {
  struct Case {
    MessageClass message_class;
    uint16_t method;
    uint16_t type;
  };
  const Case cases[] = {
      {MessageClass::kRequest, 0x001, 0x0001},
      {MessageClass::kSuccessResponse, 0x001, 0x0101},
      {MessageClass::kErrorResponse, 0x003, 0x0113},
      {MessageClass::kIndication, 0x006, 0x0016},
      {MessageClass::kSuccessResponse, 0xFFF, 0x3FEF},
      {MessageClass::kErrorResponse, 0xFFF, 0x3FFF},
  };
  for (const Case& c : cases) {
    CAPTURE(c.type);
    std::array<uint8_t, kHeaderSize> buffer{};
    MessageBuilder b(absl::MakeSpan(buffer), c.message_class, c.method,
                     kTestTransactionId);
    auto out = b.Finish();
    REQUIRE(out.ok());
    CHECK(LoadBe16(out->data()) == c.type);
    CHECK(LoadBe32(out->data() + 4) == kMagicCookie);
  }
}

}  // namespace
}  // namespace turnpike::stun
