// MessageView::ParseRfc3489BindingRequest: which cookie-less datagrams are
// taken for an RFC 3489 Binding request (RFC 8489 §12.2), and that nothing
// else is: not RFC 5389+ messages, not other types, not broken framing,
// not a FINGERPRINT (it needs the cookie), not ChannelData.
#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"
#include "core/util/byte_io.h"
#include "tests/harness/hex.h"

namespace turnpike::stun {
namespace {

constexpr uint32_t kClassicCookie = 0xA1B2C3D4;  // any value but 0x2112A442

TransactionId Tail() {
  TransactionId id;
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(0x40 + i);
  return id;
}

// An RFC 3489 Binding request as the Vovida client sends it: CHANGE-REQUEST
// asking for nothing.
std::vector<uint8_t> Classic(uint16_t method = 0x001,
                             MessageClass c = MessageClass::kRequest,
                             bool fingerprint = false) {
  std::array<uint8_t, 128> buffer{};
  MessageBuilder b(absl::MakeSpan(buffer), c, method, Tail());
  b.SetCookieField(kClassicCookie);
  b.AddChangeRequest({false, false});
  if (fingerprint) b.AddFingerprint();
  auto out = b.Finish();
  REQUIRE(out.ok());
  return {out->begin(), out->end()};
}

ParseError ErrorOf(const std::vector<uint8_t>& bytes) {
  auto parsed = MessageView::ParseRfc3489BindingRequest(bytes);
  REQUIRE_FALSE(parsed.ok());
  // No header: nothing about a failed RFC 3489 parse is answered.
  CHECK_FALSE(parsed.error().header.has_value());
  return parsed.error().error;
}

TEST_CASE("an RFC 3489 Binding request is recognised with its whole ID") {
  const std::vector<uint8_t> bytes = Classic();
  CHECK(testing::ToHex(absl::MakeConstSpan(bytes).first(8)) ==
        "00 01 00 08 a1 b2 c3 d4");
  // The strict parser still says it is not RFC 5389+ STUN.
  auto strict = MessageView::Parse(bytes);
  REQUIRE_FALSE(strict.ok());
  CHECK(strict.error().error == ParseError::kBadMagicCookie);

  auto view = MessageView::ParseRfc3489BindingRequest(bytes);
  REQUIRE(view.ok());
  CHECK(view->rfc3489());
  CHECK(view->rfc3489_cookie_field() == kClassicCookie);
  CHECK(view->transaction_id() == Tail());
  CHECK(view->method() == 0x001);
  CHECK(view->message_class() == MessageClass::kRequest);
  REQUIRE(view->ChangeRequest().has_value());
  CHECK_FALSE(view->ChangeRequest()->change_ip);
  CHECK_FALSE(view->ChangeRequest()->change_port);
}

TEST_CASE("what is not an RFC 3489 Binding request is refused") {
  SUBCASE("a message with the magic cookie belongs to Parse()") {
    std::vector<uint8_t> bytes = Classic();
    StoreBe32(&bytes[4], kMagicCookie);
    CHECK(ErrorOf(bytes) == ParseError::kBadMagicCookie);
    CHECK(MessageView::Parse(bytes).ok());
    CHECK_FALSE(MessageView::Parse(bytes)->rfc3489());
  }
  SUBCASE("other methods and classes") {
    for (auto [method, c] :
         {std::pair{uint16_t{0x003}, MessageClass::kRequest},
          std::pair{uint16_t{0x001}, MessageClass::kIndication},
          std::pair{uint16_t{0x001}, MessageClass::kSuccessResponse},
          std::pair{uint16_t{0x001}, MessageClass::kErrorResponse},
          std::pair{uint16_t{0x002}, MessageClass::kRequest}}) {
      CAPTURE(method);
      CHECK(ErrorOf(Classic(method, c)) == ParseError::kNotStun);
    }
  }
  SUBCASE("first two bits not 00 (ChannelData, RFC 7983 ranges)") {
    std::vector<uint8_t> bytes = Classic();
    for (uint8_t first : {0x40, 0x80, 0xC0}) {
      bytes[0] = first;
      CHECK(ErrorOf(bytes) == ParseError::kNotStun);
    }
  }
  SUBCASE("too short") {
    std::vector<uint8_t> bytes = Classic();
    bytes.resize(19);
    CHECK(ErrorOf(bytes) == ParseError::kTooShort);
  }
  SUBCASE("length not a multiple of 4, or not the datagram's") {
    std::vector<uint8_t> bytes = Classic();
    StoreBe16(&bytes[2], 6);
    CHECK(ErrorOf(bytes) == ParseError::kBadLength);
    StoreBe16(&bytes[2], 12);
    CHECK(ErrorOf(bytes) == ParseError::kLengthMismatch);
    bytes = Classic();
    bytes.insert(bytes.end(), {0, 0, 0, 0});
    CHECK(ErrorOf(bytes) == ParseError::kLengthMismatch);
  }
  SUBCASE("an attribute running past the end") {
    std::vector<uint8_t> bytes = Classic();
    StoreBe16(&bytes[22], 8);  // CHANGE-REQUEST claims 8 bytes, has 4
    CHECK(ErrorOf(bytes) == ParseError::kAttributeOverrun);
  }
  SUBCASE("a malformed known attribute") {
    std::vector<uint8_t> bytes = Classic();
    // MAPPED-ADDRESS with family 7.
    const std::vector<uint8_t> bad = {0x00, 0x01, 0x00, 0x08, 0, 7,
                                      0,    1,    1,    2,    3, 4};
    bytes.insert(bytes.end(), bad.begin(), bad.end());
    StoreBe16(&bytes[2], static_cast<uint16_t>(bytes.size() - kHeaderSize));
    CHECK(ErrorOf(bytes) == ParseError::kMalformedAttribute);
  }
  SUBCASE("a FINGERPRINT, which only a cookie-bearing message can have") {
    CHECK(ErrorOf(Classic(0x001, MessageClass::kRequest, true)) ==
          ParseError::kBadMagicCookie);
  }
}

}  // namespace
}  // namespace turnpike::stun
