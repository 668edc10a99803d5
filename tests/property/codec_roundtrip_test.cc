// decode(encode(m)) == m: random messages built from every attribute type
// MessageBuilder can write, read back through every MessageView accessor.
#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <set>
#include <vector>

#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"
#include "tests/property/property_check.h"
#include "tests/property/stun_generators.h"
#include "tests/property/uniform.h"

namespace turnpike::testing {
namespace {

using stun::AttributeType;
using stun::MessageView;

// How often the interesting shapes came up, so that a generator change that
// stops producing them fails loudly instead of weakening the property.
struct Coverage {
  size_t cases = 0;
  size_t with_duplicate_type = 0;
  size_t with_two_peer_addresses = 0;
  size_t with_unknown_required = 0;
  size_t with_integrity = 0;
  size_t with_integrity_sha256 = 0;
  size_t with_fingerprint = 0;
  size_t with_ipv6 = 0;
  std::set<int> kinds;
};

void Record(Coverage& c, const GeneratedMessage& m) {
  ++c.cases;
  std::set<uint16_t> seen;
  bool duplicate = false;
  size_t peers = 0;
  bool unknown_required = false;
  bool ipv6 = false;
  for (const AttributeOp& op : m.attributes) {
    duplicate |= !seen.insert(op.WireType()).second;
    peers +=
        op.WireType() == static_cast<uint16_t>(AttributeType::kXorPeerAddress);
    unknown_required |= op.kind == AttributeOp::Kind::kUnknown &&
                        stun::IsComprehensionRequired(op.raw_type);
    ipv6 |= (op.kind == AttributeOp::Kind::kAddress ||
             op.kind == AttributeOp::Kind::kXorAddress) &&
            op.address.ip.is_v6();
    c.kinds.insert(static_cast<int>(op.kind));
  }
  c.with_duplicate_type += duplicate;
  c.with_two_peer_addresses += peers >= 2;
  c.with_unknown_required += unknown_required;
  c.with_ipv6 += ipv6;
  c.with_integrity += m.trailer.integrity_key.has_value();
  c.with_integrity_sha256 += m.trailer.integrity_sha256_key.has_value();
  c.with_fingerprint += m.trailer.fingerprint;
}

TEST_CASE("decode(encode(m)) reads back every attribute") {
  Coverage coverage;
  CheckProperty("round trip through MessageBuilder and MessageView", [&] {
    const GeneratedMessage m = PickMessage();
    Record(coverage, m);
    RC_LOG() << m << "\n";
    const std::vector<uint8_t> bytes = m.Encode();
    auto parsed = MessageView::Parse(bytes);
    RC_ASSERT(parsed.ok());
    AssertDecodesTo(*parsed, m);
  });
  CAPTURE(coverage.cases);
  CHECK(coverage.kinds.size() ==
        static_cast<size_t>(AttributeOp::Kind::kUnknown) + 1);
  CHECK(coverage.with_duplicate_type > coverage.cases / 4);
  CHECK(coverage.with_two_peer_addresses > coverage.cases / 10);
  CHECK(coverage.with_unknown_required > coverage.cases / 5);
  CHECK(coverage.with_integrity > coverage.cases / 4);
  CHECK(coverage.with_integrity_sha256 > coverage.cases / 4);
  CHECK(coverage.with_fingerprint > coverage.cases / 4);
  CHECK(coverage.with_ipv6 > coverage.cases / 4);
}

TEST_CASE("duplicates: the first occurrence wins for every attribute type") {
  // A message whose attribute list is repeated with fresh values: every
  // single-valued accessor must still return the first copy (the model in
  // AssertDecodesTo reads first occurrences).
  CheckProperty("first occurrence wins", [] {
    GeneratedMessage m = PickMessage(/*max_attributes=*/8);
    RC_PRE(!m.attributes.empty());
    const size_t original = m.attributes.size();
    for (size_t i = 0; i < original; ++i) {
      // Same wire type, new content.
      m.attributes.push_back(PickAttributeLike(m.attributes[i]));
      RC_ASSERT(m.attributes.back().WireType() == m.attributes[i].WireType());
    }
    const std::vector<uint8_t> bytes = m.Encode();
    auto parsed = MessageView::Parse(bytes);
    RC_ASSERT(parsed.ok());
    AssertDecodesTo(*parsed, m);
  });
}

TEST_CASE("every proper prefix of an encoded message is rejected") {
  // Cutting a message anywhere must never yield a message that parses with
  // the same length: the header length ties the datagram together.
  CheckProperty("truncation is detected", [] {
    GeneratedMessage m = PickMessage(/*max_attributes=*/6);
    const std::vector<uint8_t> bytes = m.Encode();
    const size_t cut = Uniform<size_t>(0, bytes.size());
    auto parsed = MessageView::Parse(absl::MakeConstSpan(bytes).first(cut));
    RC_ASSERT(!parsed.ok());
    if (cut < stun::kHeaderSize) {
      RC_ASSERT(parsed.error().error == stun::ParseError::kTooShort);
    } else {
      RC_ASSERT(parsed.error().error == stun::ParseError::kLengthMismatch);
      RC_ASSERT(parsed.error().header.has_value());
    }
  });
}

}  // namespace
}  // namespace turnpike::testing
