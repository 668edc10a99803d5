// Server: CreatePermission (RFC 8656 §9) and ChannelBind (RFC 8656 §12),
// with the peer policy applied before anything is installed.
#include <algorithm>
#include <array>

#include "core/server.h"
#include "core/server_internal.h"
#include "core/stun/channel_data.h"
#include "core/stun/message_builder.h"

namespace turnpike::core {

using internal::kResponseBufferSize;
using stun::Method;
namespace error_code = stun::error_code;

turn::Allocation* Server::RequireAllocation(const RequestContext& ctx) {
  turn::Allocation* allocation = FindAllocation(ctx.from);
  // RFC 8656 §7.3, §9.2, §12.2: no allocation on this 5-tuple → 437.
  if (!allocation || !allocation->answered) {
    RespondError(ctx.from, ctx.request.header(),
                 error_code::kAllocationMismatch, ctx.protection());
    return nullptr;
  }
  // Another transaction on the allocation: the client got its Allocate
  // answer, so no retransmission of it needs the cached response.
  if (!allocation->response.empty()) {
    allocation->response.clear();
    allocation->response.shrink_to_fit();
  }
  return allocation;
}

bool Server::PeerIpAllowed(const IpAddress& peer) const {
  const PeerVerdict verdict = peer_filter_.Check(peer);
  return verdict == PeerVerdict::kAllowed ||
         (verdict == PeerVerdict::kDeniedByDefault &&
          self_addresses_.IsRelayAddress(peer));
}

int Server::CheckPeer(const turn::Allocation& allocation,
                      const TransportAddress& peer, bool with_port) {
  // RFC 8656 §9.1, §12.2: the peer must be of a family the allocation
  // relays.
  if (!allocation.RelayFor(peer.family())) {
    return error_code::kPeerAddressFamilyMismatch;
  }
  // The relay must not become a proxy into the operator's own networks:
  // 403 (RFC 8656 §9.1 "local policy").
  if (!PeerIpAllowed(peer.ip)) return error_code::kForbidden;
  // Nor into the server itself: of its own addresses, only relay ports.
  if (with_port && self_addresses_.Refuses(peer)) {
    return error_code::kForbidden;
  }
  return 0;
}

void Server::InstallPermission(const Now& now, turn::Allocation& allocation,
                               const IpAddress& peer) {
  // RFC 8656 §9: permissions are per IP, ports ignored; 300 s, refreshed
  // by CreatePermission and ChannelBind.
  if (table_.InstallPermission(allocation, peer,
                               now.mono + config_.permission_lifetime)) {
    Emit(PermissionCreated{SubjectOf(allocation),
                           allocation.RelayFor(peer.family())->address, peer});
  }
}

void Server::HandleCreatePermission(const Now& now, const RequestContext& ctx) {
  const stun::MessageView& request = ctx.request;
  turn::Allocation* allocation = RequireAllocation(ctx);
  if (!allocation) return;
  // RFC 8656 §9.2: at least one XOR-PEER-ADDRESS; all must be acceptable
  // or none is installed.
  const absl::InlinedVector<TransportAddress, 2> peers =
      request.XorPeerAddresses();
  if (peers.empty()) {
    RespondError(ctx.from, request.header(), error_code::kBadRequest,
                 ctx.protection());
    return;
  }
  for (const TransportAddress& peer : peers) {
    if (int code = CheckPeer(*allocation, peer, /*with_port=*/false);
        code != 0) {
      RespondError(ctx.from, request.header(), code, ctx.protection());
      return;
    }
  }
  // §9.2: more permissions than the allocation may hold is 508, and again
  // none is installed. Peers already permitted, or named twice, are not
  // new; the count stops at the cap, so a request naming thousands of
  // peers costs at most cap × cap comparisons. 0 is no cap (the operator's
  // choice; the memory per user is then unbounded, docs/security.md).
  if (config_.max_permissions_per_allocation != 0) {
    absl::InlinedVector<IpAddress, 2> fresh;
    for (const TransportAddress& peer : peers) {
      if (allocation->permissions.contains(peer.ip) ||
          std::find(fresh.begin(), fresh.end(), peer.ip) != fresh.end()) {
        continue;
      }
      if (internal::AtCap(allocation->permissions.size() + fresh.size(),
                          config_.max_permissions_per_allocation)) {
        RespondError(ctx.from, request.header(),
                     error_code::kInsufficientCapacity, ctx.protection());
        return;
      }
      fresh.push_back(peer.ip);
    }
  }
  for (const TransportAddress& peer : peers) {
    InstallPermission(now, *allocation, peer.ip);
  }
  std::array<uint8_t, kResponseBufferSize> buffer;
  stun::MessageBuilder response(
      absl::MakeSpan(buffer), stun::MessageClass::kSuccessResponse,
      Method::kCreatePermission, request.transaction_id());
  SendResponse(ctx.from, response, ctx.protection());
}

void Server::HandleChannelBind(const Now& now, const RequestContext& ctx) {
  const stun::MessageView& request = ctx.request;
  turn::Allocation* allocation = RequireAllocation(ctx);
  if (!allocation) return;
  auto bad_request = [&] {
    RespondError(ctx.from, request.header(), error_code::kBadRequest,
                 ctx.protection());
  };
  // RFC 6062 §5: channels carry datagrams; a TCP allocation has none: 400.
  if (allocation->relay_transport == Transport::kTcp) {
    bad_request();
    return;
  }
  // RFC 8656 §12.2: exactly one channel number in range and one peer.
  std::optional<uint16_t> number = request.ChannelNumber();
  const absl::InlinedVector<TransportAddress, 2> peers =
      request.XorPeerAddresses();
  if (!number ||
      !stun::IsValidChannelNumber(*number, config_.max_channel_number) ||
      peers.size() != 1) {
    bad_request();
    return;
  }
  const TransportAddress& peer = peers.front();
  // RFC 8656 §12.2: the number is not bound to another peer, and the peer
  // not to another number.
  if (auto bound = allocation->channels.find(*number);
      bound != allocation->channels.end() && bound->second.peer != peer) {
    bad_request();
    return;
  }
  if (auto bound = allocation->channel_by_peer.find(peer);
      bound != allocation->channel_by_peer.end() &&
      bound->second.number != *number) {
    bad_request();
    return;
  }
  // RFC 8656 §12.1: for 5 minutes after a binding expired, neither its
  // number nor its peer may be bound to anything else.
  if (auto cooling = allocation->cooling_channels.find(*number);
      cooling != allocation->cooling_channels.end() &&
      cooling->second.peer != peer) {
    bad_request();
    return;
  }
  for (const auto& [cooling_number, cooling] : allocation->cooling_channels) {
    if (cooling.peer == peer && cooling_number != *number) {
      bad_request();
      return;
    }
  }
  if (int code = CheckPeer(*allocation, peer, /*with_port=*/true); code != 0) {
    RespondError(ctx.from, request.header(), code, ctx.protection());
    return;
  }
  // §12.2: a binding or permission the allocation has no room for is 508,
  // and nothing is installed.
  const bool new_channel = !allocation->channels.contains(*number);
  const bool new_permission = !allocation->permissions.contains(peer.ip);
  if ((new_channel && internal::AtCap(allocation->channels.size(),
                                      config_.max_channels_per_allocation)) ||
      (new_permission &&
       internal::AtCap(allocation->permissions.size(),
                       config_.max_permissions_per_allocation))) {
    RespondError(ctx.from, request.header(), error_code::kInsufficientCapacity,
                 ctx.protection());
    return;
  }

  const bool created = table_.BindChannel(*allocation, *number, peer,
                                          now.mono + config_.channel_lifetime);
  // RFC 8656 §12.2: binding a channel installs or refreshes the permission.
  InstallPermission(now, *allocation, peer.ip);
  if (created) {
    Emit(ChannelCreated{SubjectOf(*allocation),
                        allocation->RelayFor(peer.family())->address, peer,
                        *number});
  }
  std::array<uint8_t, kResponseBufferSize> buffer;
  stun::MessageBuilder response(absl::MakeSpan(buffer),
                                stun::MessageClass::kSuccessResponse,
                                Method::kChannelBind, request.transaction_id());
  SendResponse(ctx.from, response, ctx.protection());
}

}  // namespace turnpike::core
