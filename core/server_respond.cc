// Server: writing and queueing responses. Every response the server sends
// goes through SendResponse, which adds what RFC 8489 puts on all of them
// (SOFTWARE, integrity as the request had it, FINGERPRINT) and counts it.
#include <array>
#include <utility>

#include "core/server.h"
#include "core/server_internal.h"
#include "core/stun/message_builder.h"

namespace turnpike::core {

using internal::kResponseBufferSize;
using stun::AttributeType;

namespace {

// RFC 8489 §5: the class bits C1 (bit 8) and C0 (bit 4) of the type.
bool IsErrorResponse(absl::Span<const uint8_t> message) {
  const uint16_t type = static_cast<uint16_t>(message[0] << 8 | message[1]);
  return (type & 0x0110) == 0x0110;
}

uint16_t MethodOf(absl::Span<const uint8_t> message) {
  const uint16_t type = static_cast<uint16_t>(message[0] << 8 | message[1]);
  return static_cast<uint16_t>((type & 0x000F) | ((type & 0x00E0) >> 1) |
                               ((type & 0x3E00) >> 2));
}

}  // namespace

Bytes Server::SendResponse(const FiveTuple& to, stun::MessageBuilder& response,
                           const Protection& protection) {
  // RFC 8489 §14.14: SOFTWARE is optional; operators may hide the version.
  // The configuration check makes it always fit; should it not, the answer
  // goes without it rather than not at all.
  const size_t integrity_size =
      protection.key.empty() ? 0
      : protection.sha256 ? AttributeSize(stun::kMaxMessageIntegritySha256Size)
                          : AttributeSize(stun::kMessageIntegritySize);
  const size_t after_software =
      integrity_size + (protection.fingerprint ? AttributeSize(4) : 0);
  if (config_.software && protection.software &&
      response.room() >=
          AttributeSize(config_.software->size()) + after_software) {
    response.AddString(AttributeType::kSoftware, *config_.software);
  }
  // RFC 8489 §9.2.4: a response to an authenticated request is protected
  // with the same key and the same integrity attribute.
  if (!protection.key.empty()) {
    if (protection.sha256) {
      response.AddMessageIntegritySha256(protection.key);
    } else {
      response.AddMessageIntegrity(protection.key);
    }
  }
  // RFC 8489 §7.3: FINGERPRINT when the request had one.
  if (protection.fingerprint) response.AddFingerprint();
  Expected<absl::Span<const uint8_t>, stun::BuildError> bytes =
      response.Finish();
  // The buffer is sized for the longest response the configuration allows
  // (core/response_budget.h), so this is a bug; but a packet reaches it,
  // so it drops the answer and counts it rather than end the process.
  if (!bytes.ok()) {
    Drop(DropReason::kResponseTooLarge);
    return {};
  }
  const size_t slot = ServerStats::MethodSlot(MethodOf(*bytes));
  if (!IsErrorResponse(*bytes)) ++stats_.success_responses[slot];
  Bytes copy(bytes->begin(), bytes->end());
  commands_.push_back(Transmit{ClientSocket(to), to.transport, to.client, copy});
  return copy;
}

void Server::RespondError(const FiveTuple& to,
                          const stun::MessageHeader& request, int code,
                          const Protection& protection,
                          absl::Span<const uint16_t> unknown) {
  std::array<uint8_t, kResponseBufferSize> buffer;
  stun::MessageBuilder response(absl::MakeSpan(buffer),
                                stun::MessageClass::kErrorResponse,
                                request.method, request.transaction_id);
  response.AddErrorCode(code);
  // RFC 8489 §14.13: 420 lists the attributes not understood.
  if (code == stun::error_code::kUnknownAttribute && !unknown.empty()) {
    response.AddUnknownAttributes(unknown);
  }
  if (code >= 300 && code < 700) ++stats_.error_responses[code - 300];
  SendResponse(to, response, protection);
}

void Server::Challenge(const Now& now, const FiveTuple& to,
                       const stun::MessageView& request, int code,
                       bool minimal) {
  std::array<uint8_t, kResponseBufferSize> buffer;
  stun::MessageBuilder response(absl::MakeSpan(buffer),
                                stun::MessageClass::kErrorResponse,
                                request.method(), request.transaction_id());
  // RFC 8489 §14.8: the reason phrase is for diagnostics only; an
  // unauthenticated answer leaves it empty to amplify spoofed floods less.
  if (minimal) {
    response.AddErrorCode(code, "");
  } else {
    response.AddErrorCode(code);
  }
  // RFC 8489 §9.2.4: 401 and 438 carry REALM, a fresh NONCE and, since the
  // nonce cookie advertises the feature, PASSWORD-ALGORITHMS.
  response.AddString(AttributeType::kRealm, config_.realm);
  response.AddString(AttributeType::kNonce, nonces_.Issue(now.mono, to.client));
  std::array<stun::PasswordAlgorithmValue, 2> offered;
  size_t count = 0;
  for (stun::PasswordAlgorithmId id : config_.password_algorithms) {
    if (count < offered.size()) {
      offered[count++] = {static_cast<uint16_t>(id), {}};
    }
  }
  response.AddPasswordAlgorithms(absl::MakeConstSpan(offered.data(), count));
  ++stats_.error_responses[code - 300];
  SendResponse(to, response,
               Protection{{}, false, request.Fingerprint().has_value(),
                          /*software=*/!minimal});
}

}  // namespace turnpike::core
