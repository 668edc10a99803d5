// rapidcheck generators for STUN messages: a random list of typed
// attributes that MessageBuilder writes, plus the model of what MessageView
// must read back. Generation is imperative (`*gen::...`), so these functions
// may only be called while a property runs.
#ifndef TURNPIKE_TESTS_PROPERTY_STUN_GENERATORS_H_
#define TURNPIKE_TESTS_PROPERTY_STUN_GENERATORS_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "core/net/transport_address.h"
#include "core/stun/constants.h"
#include "core/stun/integrity.h"
#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"

namespace turnpike::testing {

// One attribute as a caller of MessageBuilder would add it.
struct AttributeOp {
  enum class Kind : uint8_t {
    kAddress,                  // `type`: MAPPED-ADDRESS, ALTERNATE-SERVER, ...
    kXorAddress,               // `type`: XOR-MAPPED/-PEER/-RELAYED-ADDRESS
    kString,                   // `type`: USERNAME, REALM, NONCE, SOFTWARE, ...
    kErrorCode,                // `number` (300-699), `text`
    kUnknownAttributes,        // `types`
    kChannelNumber,            // `number`
    kLifetime,                 // `number`
    kData,                     // `bytes`
    kPadding,                  // `bytes`
    kUserhash,                 // `bytes` (32)
    kRequestedAddressFamily,   // `number`
    kAdditionalAddressFamily,  // `number`
    kEvenPort,                 // `flag`
    kRequestedTransport,       // `number`
    kDontFragment,
    kUseCandidate,
    kReservationToken,    // `number`
    kPasswordAlgorithm,   // `algorithms[0]`
    kPasswordAlgorithms,  // `algorithms`
    kAddressErrorCode,    // `family`, `number`, `text`
    kIcmp,                // `icmp`
    kConnectionId,        // `number`
    kChangeRequest,       // `flag`, `flag2`
    kResponsePort,        // `number`
    kPriority,            // `number`
    kIceControlled,       // `number`
    kIceControlling,      // `number`
    kUnknown,             // `raw_type` (not known to the codec), `bytes`
  };
  Kind kind = Kind::kData;
  stun::AttributeType type = stun::AttributeType::kData;
  uint16_t raw_type = 0;
  TransportAddress address;
  std::string text;
  std::vector<uint8_t> bytes;
  uint64_t number = 0;
  uint8_t family = 0;
  bool flag = false;
  bool flag2 = false;
  std::vector<uint16_t> types;
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> algorithms;
  stun::IcmpValue icmp;

  // The attribute type on the wire.
  uint16_t WireType() const;
  void Apply(stun::MessageBuilder& builder) const;
};
std::ostream& operator<<(std::ostream& os, const AttributeOp& op);

// What ends the message.
struct Trailer {
  std::optional<std::vector<uint8_t>> integrity_key;         // SHA-1
  std::optional<std::vector<uint8_t>> integrity_sha256_key;  // SHA-256
  size_t sha256_size = 32;
  bool fingerprint = false;
};
std::ostream& operator<<(std::ostream& os, const Trailer& t);

struct GeneratedMessage {
  stun::MessageClass message_class = stun::MessageClass::kRequest;
  uint16_t method = 1;
  stun::TransactionId transaction_id{};
  uint8_t padding_byte = 0;
  std::vector<AttributeOp> attributes;
  Trailer trailer;

  // Encodes with MessageBuilder; the builder must not fail.
  std::vector<uint8_t> Encode() const;
};
std::ostream& operator<<(std::ostream& os, const GeneratedMessage& m);

// Picks (during a property) ...
TransportAddress PickAddress();
AttributeOp PickAttribute();
// An attribute of the same wire type as `like`, with fresh content.
AttributeOp PickAttributeLike(const AttributeOp& like);
GeneratedMessage PickMessage(size_t max_attributes = 24);

// Asserts (RC_ASSERT) that `view` reads back exactly `message`: header,
// attribute list, every typed accessor with first-occurrence semantics,
// unknown comprehension-required types, integrity and FINGERPRINT.
void AssertDecodesTo(const stun::MessageView& view,
                     const GeneratedMessage& message);

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_PROPERTY_STUN_GENERATORS_H_
