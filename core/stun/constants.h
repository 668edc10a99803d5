// Numbers from the IANA STUN registries (shared/vectors/stun-parameters-*.csv)
// and the fixed sizes of RFC 8489 §5-§6.
#ifndef TURNPIKE_CORE_STUN_CONSTANTS_H_
#define TURNPIKE_CORE_STUN_CONSTANTS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace turnpike::stun {

inline constexpr uint32_t kMagicCookie = 0x2112A442;  // RFC 8489 §5
inline constexpr size_t kHeaderSize = 20;
inline constexpr size_t kAttributeHeaderSize = 4;
inline constexpr size_t kTransactionIdSize = 12;
// The length field is 16 bits, so no message body exceeds this.
inline constexpr size_t kMaxMessageSize = kHeaderSize + 0xFFFF - 3;

using TransactionId = std::array<uint8_t, kTransactionIdSize>;

// RFC 8489 §5: the two class bits are spread over the type field.
enum class MessageClass : uint8_t {
  kRequest = 0b00,
  kIndication = 0b01,
  kSuccessResponse = 0b10,
  kErrorResponse = 0b11,
};

// RFC 8489 §18.2, RFC 8656 §18, RFC 6062 §6.1.
enum class Method : uint16_t {
  kBinding = 0x001,
  kAllocate = 0x003,
  kRefresh = 0x004,
  kSend = 0x006,
  kData = 0x007,
  kCreatePermission = 0x008,
  kChannelBind = 0x009,
  kConnect = 0x00A,
  kConnectionBind = 0x00B,
  kConnectionAttempt = 0x00C,
};

// RFC 8489 §18.3, RFC 8656 §18, RFC 5780 §7, RFC 6062 §6.2, RFC 8445 §16.1.
enum class AttributeType : uint16_t {
  // Comprehension-required (0x0000-0x7FFF).
  kMappedAddress = 0x0001,
  kChangeRequest = 0x0003,  // RFC 5780 §7.2 (re-registered by erratum 4233)
  kUsername = 0x0006,
  kMessageIntegrity = 0x0008,
  kErrorCode = 0x0009,
  kUnknownAttributes = 0x000A,
  kChannelNumber = 0x000C,
  kLifetime = 0x000D,
  kXorPeerAddress = 0x0012,
  kData = 0x0013,
  kRealm = 0x0014,
  kNonce = 0x0015,
  kXorRelayedAddress = 0x0016,
  kRequestedAddressFamily = 0x0017,
  kEvenPort = 0x0018,
  kRequestedTransport = 0x0019,
  kDontFragment = 0x001A,
  kMessageIntegritySha256 = 0x001C,
  kPasswordAlgorithm = 0x001D,
  kUserhash = 0x001E,
  kXorMappedAddress = 0x0020,
  kReservationToken = 0x0022,
  kPriority = 0x0024,
  kUseCandidate = 0x0025,
  kPadding = 0x0026,
  kResponsePort = 0x0027,
  kConnectionId = 0x002A,
  // Comprehension-optional (0x8000-0xFFFF).
  kAdditionalAddressFamily = 0x8000,
  kAddressErrorCode = 0x8001,
  kPasswordAlgorithms = 0x8002,
  kAlternateDomain = 0x8003,
  kIcmp = 0x8004,
  kSoftware = 0x8022,
  kAlternateServer = 0x8023,
  kFingerprint = 0x8028,
  kIceControlled = 0x8029,
  kIceControlling = 0x802A,
  kResponseOrigin = 0x802B,
  kOtherAddress = 0x802C,
};

// Every attribute type the codec reads (RFC 8489 §14, RFC 8656 §18, RFC 5780
// §7, RFC 6062 §6.2, RFC 8445 §16.1). MessageView keeps the first offset of
// each, in this order.
inline constexpr AttributeType kKnownAttributeTypes[] = {
    AttributeType::kMappedAddress,
    AttributeType::kChangeRequest,
    AttributeType::kUsername,
    AttributeType::kMessageIntegrity,
    AttributeType::kErrorCode,
    AttributeType::kUnknownAttributes,
    AttributeType::kChannelNumber,
    AttributeType::kLifetime,
    AttributeType::kXorPeerAddress,
    AttributeType::kData,
    AttributeType::kRealm,
    AttributeType::kNonce,
    AttributeType::kXorRelayedAddress,
    AttributeType::kRequestedAddressFamily,
    AttributeType::kEvenPort,
    AttributeType::kRequestedTransport,
    AttributeType::kDontFragment,
    AttributeType::kMessageIntegritySha256,
    AttributeType::kPasswordAlgorithm,
    AttributeType::kUserhash,
    AttributeType::kXorMappedAddress,
    AttributeType::kReservationToken,
    AttributeType::kPriority,
    AttributeType::kUseCandidate,
    AttributeType::kPadding,
    AttributeType::kResponsePort,
    AttributeType::kConnectionId,
    AttributeType::kAdditionalAddressFamily,
    AttributeType::kAddressErrorCode,
    AttributeType::kPasswordAlgorithms,
    AttributeType::kAlternateDomain,
    AttributeType::kIcmp,
    AttributeType::kSoftware,
    AttributeType::kAlternateServer,
    AttributeType::kFingerprint,
    AttributeType::kIceControlled,
    AttributeType::kIceControlling,
    AttributeType::kResponseOrigin,
    AttributeType::kOtherAddress,
};

// RFC 8489 §14: types below 0x8000 must be understood or the request fails
// with 420.
constexpr bool IsComprehensionRequired(uint16_t type) { return type < 0x8000; }

// The registered name ("XOR-MAPPED-ADDRESS"), or "" for a type the codec
// does not know.
std::string_view AttributeName(uint16_t type);
// "Binding", "Allocate", ...; "" when unknown.
std::string_view MethodName(Method method);

// RFC 8489 §18.4, RFC 8656 §18, RFC 6062 §6.3.
namespace error_code {
inline constexpr int kTryAlternate = 300;
inline constexpr int kBadRequest = 400;
inline constexpr int kUnauthenticated = 401;
inline constexpr int kForbidden = 403;
inline constexpr int kMobilityForbidden = 405;
inline constexpr int kUnknownAttribute = 420;
inline constexpr int kAllocationMismatch = 437;
inline constexpr int kStaleNonce = 438;
inline constexpr int kAddressFamilyNotSupported = 440;
inline constexpr int kWrongCredentials = 441;
inline constexpr int kUnsupportedTransportProtocol = 442;
inline constexpr int kPeerAddressFamilyMismatch = 443;
inline constexpr int kConnectionAlreadyExists = 446;
inline constexpr int kConnectionTimeoutOrFailure = 447;
inline constexpr int kAllocationQuotaReached = 486;
inline constexpr int kRoleConflict = 487;
inline constexpr int kServerError = 500;
inline constexpr int kInsufficientCapacity = 508;
}  // namespace error_code

// The reason phrase RFC 8489/8656 suggest for `code`; "" when unknown.
std::string_view DefaultReasonPhrase(int code);

// RFC 8489 §14.11 / §18.5: PASSWORD-ALGORITHM values.
enum class PasswordAlgorithmId : uint16_t { kMd5 = 0x0001, kSha256 = 0x0002 };

// RFC 8489 §14 size rules.
inline constexpr size_t kMaxUsernameBytes = 512;  // "less than 513 bytes"
inline constexpr size_t kMaxRealmBytes = 763;     // "less than 128 characters"
inline constexpr size_t kMaxNonceBytes = 763;
inline constexpr size_t kMaxSoftwareBytes = 763;
inline constexpr size_t kMaxReasonPhraseBytes = 763;
inline constexpr size_t kMaxAlternateDomainBytes = 255;  // RFC 8489 §14.16
inline constexpr size_t kMessageIntegritySize = 20;
inline constexpr size_t kMinMessageIntegritySha256Size = 16;
inline constexpr size_t kMaxMessageIntegritySha256Size = 32;
inline constexpr size_t kUserhashSize = 32;
inline constexpr size_t kReservationTokenSize = 8;
inline constexpr uint32_t kFingerprintXor = 0x5354554E;  // RFC 8489 §14.7

}  // namespace turnpike::stun

#endif  // TURNPIKE_CORE_STUN_CONSTANTS_H_
