#include "core/response_budget.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/stun/constants.h"
#include "core/stun/message_view.h"

namespace turnpike::core {
namespace {

constexpr size_t kAddressV6 = AttributeSize(20);  // RFC 8489 §14.1/§14.2
constexpr size_t kAddressV4 = AttributeSize(8);
constexpr size_t kUint32 = AttributeSize(4);  // LIFETIME and the like
constexpr size_t kErrorCodeHeader = 4;        // RFC 8489 §14.8
// The longest reason phrase the server sends (DefaultReasonPhrase's
// "Connection Timeout or Failure"); ADDRESS-ERROR-CODE goes without one.
constexpr size_t kLongestReason = 29;

// RFC 8489 §9.2.4: a 401 or 438 carries ERROR-CODE, REALM, NONCE (the
// 45-character stateless nonce of core/auth/nonce.h), PASSWORD-ALGORITHMS
// (two entries at most), SOFTWARE and FINGERPRINT, but no integrity.
constexpr size_t kNonceSize = 45;
constexpr size_t kChallengeFixed =
    stun::kHeaderSize +
    AttributeSize(kErrorCodeHeader + 15) +  // "Unauthenticated"
    AttributeSize(kNonceSize) + AttributeSize(2 * 4) +
    AttributeSize(4);  // FINGERPRINT

// RFC 8656 §7.2: a dual Allocate success: two XOR-RELAYED-ADDRESS,
// ADDRESS-ERROR-CODE, LIFETIME, RESERVATION-TOKEN, XOR-MAPPED-ADDRESS.
constexpr size_t kAllocateBody = kAddressV4 + kAddressV6 +
                                 AttributeSize(kErrorCodeHeader) + kUint32 +
                                 AttributeSize(8) + kAddressV6;
// RFC 8489 §6.3.1.1: 420 with UNKNOWN-ATTRIBUTES (as many types as the
// parser reports); any other error with the longest reason phrase.
constexpr size_t kErrorBody =
    std::max(AttributeSize(kErrorCodeHeader + 17) +  // "Unknown Attribute"
                 AttributeSize(2 * stun::MessageView::kMaxReportedUnknown),
             AttributeSize(kErrorCodeHeader + kLongestReason));
// RFC 8489 §10: a drained Allocate's 300 with ALTERNATE-SERVER and the
// longest ALTERNATE-DOMAIN Server::Create accepts (§14.16: under 255 bytes).
constexpr size_t kTryAlternateBody =
    AttributeSize(kErrorCodeHeader + 13) +  // "Try Alternate"
    kAddressV6 + AttributeSize(stun::kMaxAlternateDomainBytes - 1);
// RFC 5780 §7: XOR-MAPPED-ADDRESS, OTHER-ADDRESS, RESPONSE-ORIGIN.
constexpr size_t kBindingBody = 3 * kAddressV6;

}  // namespace

size_t ResponseTrailerSize(std::optional<size_t> software_size) {
  return (software_size ? AttributeSize(*software_size) : 0) +
         AttributeSize(stun::kMaxMessageIntegritySha256Size) + AttributeSize(4);
}

size_t LargestResponseSize(size_t realm_size,
                           std::optional<size_t> software_size) {
  const size_t software = software_size ? AttributeSize(*software_size) : 0;
  const size_t challenge =
      kChallengeFixed + AttributeSize(realm_size) + software;
  const size_t body =
      std::max({kAllocateBody, kErrorBody, kBindingBody, kTryAlternateBody});
  return std::max(
      challenge, stun::kHeaderSize + body + ResponseTrailerSize(software_size));
}

absl::Status CheckResponseBudget(const ServerConfig& config) {
  const std::optional<size_t> software =
      config.software ? std::optional<size_t>(config.software->size())
                      : std::nullopt;
  const size_t largest = LargestResponseSize(config.realm.size(), software);
  if (largest <= kResponseBufferSize) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "realm and software: a 401 carries both, and with realm at ",
      config.realm.size(), " bytes and software at ", software.value_or(0),
      " bytes it would be ", largest, " bytes, over the ", kResponseBufferSize,
      "-byte limit of every response; shorten realm or software (or leave "
      "software unset) by at least ",
      largest - kResponseBufferSize, " bytes"));
}

}  // namespace turnpike::core
