#include "core/server.h"

#include <array>
#include <cstdlib>
#include <utility>

#include "core/stun/message_builder.h"

namespace turnpike::core {
namespace {

// Large enough for any response this server writes (the longest is an error
// with REALM, NONCE and PASSWORD-ALGORITHMS, far below this).
constexpr size_t kResponseBufferSize = 1024;

}  // namespace

std::string_view DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kNotStun:
      return "not_stun";
    case DropReason::kMalformed:
      return "malformed";
    case DropReason::kBadFingerprint:
      return "bad_fingerprint";
    case DropReason::kUnexpectedClass:
      return "unexpected_class";
    case DropReason::kUnknownIndication:
      return "unknown_indication";
    case DropReason::kCount:
      break;
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(ServerConfig config) {
  if (config.software && config.software->size() > stun::kMaxSoftwareBytes) {
    return absl::InvalidArgumentError(
        "software: at most 763 bytes (RFC 8489 §14.14); shorten it or leave "
        "it unset");
  }
  return std::unique_ptr<Server>(new Server(std::move(config)));
}

std::optional<Command> Server::PollCommand() {
  if (commands_.empty()) return std::nullopt;
  Command command = std::move(commands_.front());
  commands_.pop_front();
  return command;
}

void Server::Drop(DropReason reason) {
  ++stats_.drops[static_cast<size_t>(reason)];
}

void Server::HandleClientMessage(const Now& /*now*/, const FiveTuple& from,
                                 absl::Span<const uint8_t> message) {
  Expected<stun::MessageView, stun::ParseFailure> parsed =
      stun::MessageView::Parse(message);
  if (!parsed.ok()) {
    const stun::ParseFailure& failure = parsed.error();
    switch (failure.error) {
      case stun::ParseError::kBadFingerprint:
        // RFC 8489 §7.3: a FINGERPRINT mismatch means "not STUN": discard.
        Drop(DropReason::kBadFingerprint);
        return;
      case stun::ParseError::kMalformedAttribute:
      case stun::ParseError::kAttributeOverrun:
      case stun::ParseError::kFingerprintNotLast:
        // The header is sound, so a request can be told it was malformed
        // (RFC 8489 §6.3.1.1: 400 Bad Request).
        if (failure.header && failure.header->IsRequest()) {
          RespondError(from, *failure.header, stun::error_code::kBadRequest,
                       /*with_fingerprint=*/false);
          return;
        }
        Drop(DropReason::kMalformed);
        return;
      default:
        // RFC 8489 §6.3: header checks failing means silent discard.
        Drop(failure.header ? DropReason::kMalformed : DropReason::kNotStun);
        return;
    }
  }
  const stun::MessageView& msg = *parsed;
  const size_t slot = ServerStats::MethodSlot(msg.method());
  switch (msg.message_class()) {
    case stun::MessageClass::kRequest:
      ++stats_.requests[slot];
      HandleRequest(from, msg);
      return;
    case stun::MessageClass::kIndication:
      ++stats_.indications[slot];
      // RFC 8489 §6.3.2: a Binding indication needs no answer; it keeps NAT
      // bindings alive.
      if (msg.method() != static_cast<uint16_t>(stun::Method::kBinding)) {
        Drop(DropReason::kUnknownIndication);
      }
      return;
    case stun::MessageClass::kSuccessResponse:
    case stun::MessageClass::kErrorResponse:
      // A server sends no requests to clients, so no response is expected.
      Drop(DropReason::kUnexpectedClass);
      return;
  }
}

void Server::HandleRequest(const FiveTuple& from,
                           const stun::MessageView& request) {
  const bool with_fingerprint = request.Fingerprint().has_value();
  // RFC 8489 §6.3.1.1: unknown comprehension-required attributes → 420.
  if (!request.unknown_comprehension_required().empty()) {
    RespondError(from, request.header(), stun::error_code::kUnknownAttribute,
                 with_fingerprint, request.unknown_comprehension_required());
    return;
  }
  if (request.method() == static_cast<uint16_t>(stun::Method::kBinding)) {
    HandleBindingRequest(from, request);
    return;
  }
  // Unknown method, or a TURN method before the TURN core exists.
  RespondError(from, request.header(), stun::error_code::kBadRequest,
               with_fingerprint);
}

void Server::HandleBindingRequest(const FiveTuple& from,
                                  const stun::MessageView& request) {
  std::array<uint8_t, kResponseBufferSize> buffer;
  stun::MessageBuilder response(
      absl::MakeSpan(buffer), stun::MessageClass::kSuccessResponse,
      stun::Method::kBinding, request.transaction_id());
  // RFC 8489 §7.3.1: the reflexive address, XOR'ed (§14.2).
  response.AddXorAddress(stun::AttributeType::kXorMappedAddress, from.client);
  if (config_.software) {
    response.AddString(stun::AttributeType::kSoftware, *config_.software);
  }
  // Answer in kind: a client that uses FINGERPRINT to demultiplex STUN from
  // media (ICE, RFC 8445 §7.3) expects one back.
  if (request.Fingerprint()) response.AddFingerprint();
  auto bytes = response.Finish();
  // The buffer is sized for every response we write; failing here is a bug.
  if (!bytes.ok()) std::abort();
  ++stats_.success_responses[ServerStats::MethodSlot(request.method())];
  commands_.push_back(Transmit{from.listener, from.transport, from.client,
                               Bytes(bytes->begin(), bytes->end())});
}

void Server::RespondError(const FiveTuple& from,
                          const stun::MessageHeader& request, int code,
                          bool with_fingerprint,
                          absl::Span<const uint16_t> unknown) {
  std::array<uint8_t, kResponseBufferSize> buffer;
  stun::MessageBuilder response(absl::MakeSpan(buffer),
                                stun::MessageClass::kErrorResponse,
                                request.method, request.transaction_id);
  response.AddErrorCode(code);
  if (!unknown.empty()) response.AddUnknownAttributes(unknown);
  if (config_.software) {
    response.AddString(stun::AttributeType::kSoftware, *config_.software);
  }
  if (with_fingerprint) response.AddFingerprint();
  auto bytes = response.Finish();
  if (!bytes.ok()) std::abort();
  ++stats_.error_responses[code - 300];
  commands_.push_back(Transmit{from.listener, from.transport, from.client,
                               Bytes(bytes->begin(), bytes->end())});
}

}  // namespace turnpike::core
