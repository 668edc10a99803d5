#include "core/stun/constants.h"

namespace turnpike::stun {

std::string_view AttributeName(uint16_t type) {
  switch (static_cast<AttributeType>(type)) {
    case AttributeType::kMappedAddress:
      return "MAPPED-ADDRESS";
    case AttributeType::kChangeRequest:
      return "CHANGE-REQUEST";
    case AttributeType::kUsername:
      return "USERNAME";
    case AttributeType::kMessageIntegrity:
      return "MESSAGE-INTEGRITY";
    case AttributeType::kErrorCode:
      return "ERROR-CODE";
    case AttributeType::kUnknownAttributes:
      return "UNKNOWN-ATTRIBUTES";
    case AttributeType::kChannelNumber:
      return "CHANNEL-NUMBER";
    case AttributeType::kLifetime:
      return "LIFETIME";
    case AttributeType::kXorPeerAddress:
      return "XOR-PEER-ADDRESS";
    case AttributeType::kData:
      return "DATA";
    case AttributeType::kRealm:
      return "REALM";
    case AttributeType::kNonce:
      return "NONCE";
    case AttributeType::kXorRelayedAddress:
      return "XOR-RELAYED-ADDRESS";
    case AttributeType::kRequestedAddressFamily:
      return "REQUESTED-ADDRESS-FAMILY";
    case AttributeType::kEvenPort:
      return "EVEN-PORT";
    case AttributeType::kRequestedTransport:
      return "REQUESTED-TRANSPORT";
    case AttributeType::kDontFragment:
      return "DONT-FRAGMENT";
    case AttributeType::kMessageIntegritySha256:
      return "MESSAGE-INTEGRITY-SHA256";
    case AttributeType::kPasswordAlgorithm:
      return "PASSWORD-ALGORITHM";
    case AttributeType::kUserhash:
      return "USERHASH";
    case AttributeType::kXorMappedAddress:
      return "XOR-MAPPED-ADDRESS";
    case AttributeType::kReservationToken:
      return "RESERVATION-TOKEN";
    case AttributeType::kPriority:
      return "PRIORITY";
    case AttributeType::kUseCandidate:
      return "USE-CANDIDATE";
    case AttributeType::kPadding:
      return "PADDING";
    case AttributeType::kResponsePort:
      return "RESPONSE-PORT";
    case AttributeType::kConnectionId:
      return "CONNECTION-ID";
    case AttributeType::kAdditionalAddressFamily:
      return "ADDITIONAL-ADDRESS-FAMILY";
    case AttributeType::kAddressErrorCode:
      return "ADDRESS-ERROR-CODE";
    case AttributeType::kPasswordAlgorithms:
      return "PASSWORD-ALGORITHMS";
    case AttributeType::kAlternateDomain:
      return "ALTERNATE-DOMAIN";
    case AttributeType::kIcmp:
      return "ICMP";
    case AttributeType::kSoftware:
      return "SOFTWARE";
    case AttributeType::kAlternateServer:
      return "ALTERNATE-SERVER";
    case AttributeType::kFingerprint:
      return "FINGERPRINT";
    case AttributeType::kIceControlled:
      return "ICE-CONTROLLED";
    case AttributeType::kIceControlling:
      return "ICE-CONTROLLING";
    case AttributeType::kResponseOrigin:
      return "RESPONSE-ORIGIN";
    case AttributeType::kOtherAddress:
      return "OTHER-ADDRESS";
  }
  return "";
}

std::string_view MethodName(Method method) {
  switch (method) {
    case Method::kBinding:
      return "Binding";
    case Method::kAllocate:
      return "Allocate";
    case Method::kRefresh:
      return "Refresh";
    case Method::kSend:
      return "Send";
    case Method::kData:
      return "Data";
    case Method::kCreatePermission:
      return "CreatePermission";
    case Method::kChannelBind:
      return "ChannelBind";
    case Method::kConnect:
      return "Connect";
    case Method::kConnectionBind:
      return "ConnectionBind";
    case Method::kConnectionAttempt:
      return "ConnectionAttempt";
  }
  return "";
}

std::string_view DefaultReasonPhrase(int code) {
  switch (code) {
    case 300:
      return "Try Alternate";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthenticated";
    case 403:
      return "Forbidden";
    case 405:
      return "Mobility Forbidden";
    case 420:
      return "Unknown Attribute";
    case 437:
      return "Allocation Mismatch";
    case 438:
      return "Stale Nonce";
    case 440:
      return "Address Family not Supported";
    case 441:
      return "Wrong Credentials";
    case 442:
      return "Unsupported Transport Protocol";
    case 443:
      return "Peer Address Family Mismatch";
    case 446:
      return "Connection Already Exists";
    case 447:
      return "Connection Timeout or Failure";
    case 486:
      return "Allocation Quota Reached";
    case 487:
      return "Role Conflict";
    case 500:
      return "Server Error";
    case 508:
      return "Insufficient Capacity";
  }
  return "";
}

}  // namespace turnpike::stun
