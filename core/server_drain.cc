// Server: drain (rolling upgrades). A draining server takes no new
// allocation: RFC 8489 §10 lets it send the client to an alternate server
// with 300 Try Alternate, and RFC 8656 §7.2 answers 508 Insufficient
// Capacity when it has nowhere to send it. Everything that already exists
// runs to its end.
#include <array>

#include "core/drain/alternate_choice.h"
#include "core/server.h"
#include "core/server_internal.h"
#include "core/stun/message_builder.h"

namespace turnpike::core {

using internal::kResponseBufferSize;
using stun::AttributeType;
namespace error_code = stun::error_code;

void Server::StartDrain() { draining_ = true; }

void Server::RedirectAllocate(const RequestContext& ctx) {
  const std::optional<TransportAddress> alternate =
      drain::ChooseAlternate(config_.alternate_servers, ctx.from.client.ip);
  if (!alternate) {
    ++stats_.drained_no_alternate;
    RejectAllocate(ctx, error_code::kInsufficientCapacity);
    return;
  }
  ++stats_.drained_to_alternate;
  Emit(AllocationError{ctx.subject(), error_code::kTryAlternate});
  std::array<uint8_t, kResponseBufferSize> buffer;
  stun::MessageBuilder response(
      absl::MakeSpan(buffer), stun::MessageClass::kErrorResponse,
      ctx.request.method(), ctx.request.transaction_id());
  response.AddErrorCode(error_code::kTryAlternate);
  // RFC 8489 §14.15: the alternate, of the request's source family.
  response.AddAddress(AttributeType::kAlternateServer, *alternate);
  // RFC 8489 §14.16: the name to verify the alternate's certificate by,
  // for clients that came over TLS or DTLS.
  if (config_.alternate_domain && (ctx.from.transport == Transport::kTls ||
                                   ctx.from.transport == Transport::kDtls)) {
    response.AddString(AttributeType::kAlternateDomain,
                       *config_.alternate_domain);
  }
  ++stats_.error_responses[error_code::kTryAlternate - 300];
  // RFC 8489 §10: the 300 is sent only after authentication and carries
  // MESSAGE-INTEGRITY, so the client can trust the redirect.
  SendResponse(ctx.from, response, ctx.protection());
}

}  // namespace turnpike::core
