// Server: the relayed-data hot path (RFC 8656 §11, §12.5, §12.6). Nothing
// here allocates: each packet is looked up, checked against its
// permission, the peer policy and the bandwidth cap, and answered with a
// Forward whose payload borrows the input. A packet on a channel costs two
// hash lookups: its allocation, then its binding, which carries the
// permission and the cached peer-policy verdict (turn::CachedVerdict).
#include <cstring>

#include "core/server.h"
#include "core/server_internal.h"
#include "core/stun/channel_data.h"
#include "core/stun/message_builder.h"
#include "core/util/byte_io.h"

namespace turnpike::core {

using stun::AttributeType;

namespace {

// RFC 8656 §12.4: a ChannelData length field is 16 bits.
constexpr size_t kMaxChannelDataPayload = 0xFFFF;
// RFC 8489 §5: the STUN message length field counts the body; a Data
// indication's body is XOR-PEER-ADDRESS (≤ 24), DATA's header and the
// padded payload.
constexpr size_t kMaxStunBody = 0xFFFF - 3;

}  // namespace

bool Server::MayRelay(bool permitted, turn::CachedVerdict& verdict,
                      const TransportAddress& peer) {
  // RFC 8656 §9: data moves only to and from peers with a permission.
  if (!permitted) {
    Drop(DropReason::kNoPermission);
    return false;
  }
  // A permission is per IP, so a permitted address of the server's own
  // still leaves its listening ports and other local ports closed
  // (docs/security.md "The relay never relays into itself").
  if (self_addresses_.Refuses(peer)) {
    Drop(DropReason::kOwnPort);
    return false;
  }
  // The policy may have changed since the permission was installed (a
  // reload), so the verdict is kept with the generation it was computed
  // under: a CIDR scan only when the policy changed, not per packet.
  if (verdict.generation != peer_filter_.generation()) {
    verdict.allowed = PeerIpAllowed(peer.ip);
    verdict.generation = peer_filter_.generation();
  }
  if (!verdict.allowed) {
    Drop(DropReason::kPeerFiltered);
    return false;
  }
  return true;
}

bool Server::MayRelay(turn::Allocation& allocation,
                      const TransportAddress& peer) {
  auto permission = allocation.permissions.find(peer.ip);
  if (permission == allocation.permissions.end()) {
    Drop(DropReason::kNoPermission);
    return false;
  }
  return MayRelay(true, permission->second.verdict, peer);
}

std::optional<Forward> Server::RelayToPeer(const Now& now,
                                           turn::Allocation& allocation,
                                           bool permitted,
                                           turn::CachedVerdict& verdict,
                                           const TransportAddress& peer,
                                           absl::Span<const uint8_t> payload) {
  const turn::Relay* relay = allocation.RelayFor(peer.family());
  if (!relay) {
    Drop(DropReason::kBadIndication);
    return std::nullopt;
  }
  if (!MayRelay(permitted, verdict, peer)) return std::nullopt;
  if (!allocation.to_peer_budget.TryConsume(now.mono, payload.size())) {
    Drop(DropReason::kOverBandwidth);
    ++allocation.counters.dropped_over_bandwidth;
    return std::nullopt;
  }
  ++allocation.counters.packets_to_peer;
  allocation.counters.bytes_to_peer += payload.size();
  Forward forward;
  forward.via = relay->id;
  forward.transport = Transport::kUdp;
  forward.to = peer;
  forward.payload = payload;
  return forward;
}

std::optional<Forward> Server::HandleChannelData(
    const Now& now, const FiveTuple& from, absl::Span<const uint8_t> frame) {
  Expected<stun::ChannelDataView, stun::ChannelDataError> parsed =
      stun::ParseChannelData(frame, config_.max_channel_number);
  if (!parsed.ok()) {
    Drop(DropReason::kMalformed);
    return std::nullopt;
  }
  turn::Allocation* owner = table_.Find(from);
  if (!owner || !owner->answered) {
    Drop(DropReason::kNoAllocation);
    return std::nullopt;
  }
  turn::Allocation& allocation = *owner;
  // RFC 8656 §12.5: a number not bound to a peer is discarded. The
  // binding carries its permission and verdict: this is the packet's one
  // lookup after its allocation's.
  auto channel = allocation.channels.find(parsed->channel);
  if (channel == allocation.channels.end()) {
    Drop(DropReason::kNoChannel);
    return std::nullopt;
  }
  turn::ChannelBinding& binding = channel->second;
  return RelayToPeer(now, allocation, binding.permitted, binding.verdict,
                     binding.peer, parsed->payload);
}

std::optional<Forward> Server::HandleSendIndication(
    const Now& now, const FiveTuple& from,
    const stun::MessageView& indication) {
  turn::Allocation* allocation = FindAllocation(from);
  if (!allocation || !allocation->answered) {
    Drop(DropReason::kNoAllocation);
    return std::nullopt;
  }
  // RFC 6062 §5: a TCP allocation's data moves over peer connections; a
  // Send indication on one is discarded.
  if (allocation->relay_transport == Transport::kTcp) {
    Drop(DropReason::kTcpAllocationData);
    return std::nullopt;
  }
  // RFC 8656 §11.2: an indication cannot be answered, so one without a
  // peer or data is dropped.
  const absl::InlinedVector<TransportAddress, 2> peers =
      indication.XorPeerAddresses();
  std::optional<absl::Span<const uint8_t>> data = indication.Data();
  if (peers.size() != 1 || !data) {
    Drop(DropReason::kBadIndication);
    return std::nullopt;
  }
  const TransportAddress& peer = peers.front();
  auto permission = allocation->permissions.find(peer.ip);
  const bool permitted = permission != allocation->permissions.end();
  turn::CachedVerdict unused;
  return RelayToPeer(now, *allocation, permitted,
                     permitted ? permission->second.verdict : unused, peer,
                     *data);
}

std::optional<Forward> Server::HandlePeerDatagram(
    const Now& now, RelayId relay, const TransportAddress& peer,
    absl::Span<const uint8_t> payload) {
  ExpireDue(now);
  turn::Allocation* owner = table_.FindByRelay(relay);
  if (!owner || !owner->answered) {
    Drop(DropReason::kNoAllocation);
    return std::nullopt;
  }
  turn::Allocation& allocation = *owner;
  // A TCP relay takes connections, not datagrams (RFC 6062 §5.3).
  if (allocation.relay_transport == Transport::kTcp) {
    Drop(DropReason::kTcpAllocationData);
    return std::nullopt;
  }
  // RFC 8656 §11.3 / §12.6: only from peers with a permission. A bound
  // peer's entry carries its number, permission and verdict (one lookup);
  // an unbound one's permission is looked up instead.
  auto channel = allocation.channel_by_peer.find(peer);
  const bool bound = channel != allocation.channel_by_peer.end();
  if (bound
          ? !MayRelay(channel->second.permitted, channel->second.verdict, peer)
          : !MayRelay(allocation, peer)) {
    return std::nullopt;
  }

  Forward forward;
  forward.via = ClientSocket(allocation.five_tuple);
  forward.transport = allocation.five_tuple.transport;
  forward.to = allocation.five_tuple.client;
  forward.payload = payload;
  const bool stream = IsStream(allocation.five_tuple.transport);
  if (bound) {
    // RFC 8656 §12.6: a bound peer's data goes in ChannelData.
    if (payload.size() > kMaxChannelDataPayload) {
      Drop(DropReason::kTooLarge);
      return std::nullopt;
    }
    const auto header = stun::EncodeChannelDataHeader(
        channel->second.number, static_cast<uint16_t>(payload.size()));
    std::memcpy(forward.prefix.bytes.data(), header.data(), header.size());
    forward.prefix.size = static_cast<uint8_t>(header.size());
    forward.padding =
        static_cast<uint8_t>(stun::ChannelDataPadding(payload.size(), stream));
  } else {
    // RFC 8656 §11.4: otherwise a Data indication with XOR-PEER-ADDRESS and
    // DATA. The prefix is the message up to DATA's value; the payload
    // follows and the padding after it.
    const size_t padding = PaddingFor(payload.size());
    const size_t peer_attribute = peer.ip.is_v4() ? 12 : 24;
    const size_t body = peer_attribute + 4 + payload.size() + padding;
    if (body > kMaxStunBody) {
      Drop(DropReason::kTooLarge);
      return std::nullopt;
    }
    stun::TransactionId transaction{};
    // Never answered, so only uniqueness matters; the counter's start is
    // random.
    const uint64_t counter = indication_counter_++;
    for (int i = 0; i < 8; ++i) {
      transaction[4 + i] = static_cast<uint8_t>(counter >> (56 - 8 * i));
    }
    stun::MessageBuilder builder(absl::MakeSpan(forward.prefix.bytes),
                                 stun::MessageClass::kIndication,
                                 stun::Method::kData, transaction);
    builder.AddXorAddress(AttributeType::kXorPeerAddress, peer);
    const size_t at = builder.size();
    uint8_t* data_header = forward.prefix.bytes.data() + at;
    StoreBe16(data_header, static_cast<uint16_t>(AttributeType::kData));
    StoreBe16(data_header + 2, static_cast<uint16_t>(payload.size()));
    StoreBe16(forward.prefix.bytes.data() + 2, static_cast<uint16_t>(body));
    forward.prefix.size = static_cast<uint8_t>(at + 4);
    forward.padding = static_cast<uint8_t>(padding);
  }
  if (!allocation.to_client_budget.TryConsume(now.mono, payload.size())) {
    Drop(DropReason::kOverBandwidth);
    ++allocation.counters.dropped_over_bandwidth;
    return std::nullopt;
  }
  ++allocation.counters.packets_to_client;
  allocation.counters.bytes_to_client += payload.size();
  return forward;
}

}  // namespace turnpike::core
