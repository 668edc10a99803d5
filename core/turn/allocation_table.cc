// AllocationTable: every change that touches more than one index happens
// here, next to BrokenInvariant(), which states what must hold after it.
#include "core/turn/allocation_table.h"

#include <algorithm>
#include <utility>

#include "core/stun/channel_data.h"
#include "core/util/check.h"

namespace turnpike::core::turn {

Allocation& AllocationTable::Create(const FiveTuple& five_tuple) {
  auto owned = std::make_unique<Allocation>();
  Allocation& allocation = *owned;
  allocation.id = AllocationId{next_allocation_id_++};
  allocation.five_tuple = five_tuple;
  allocations_.emplace(allocation.id, std::move(owned));
  by_five_tuple_.emplace(five_tuple, &allocation);
  return allocation;
}

void AllocationTable::Erase(Allocation& allocation) {
  for (uint32_t number : PeerConnectionsOf(allocation)) {
    ErasePeerConnection(number);
  }
  for (const Relay& relay : allocation.relays) by_relay_.erase(relay.id);
  EraseDeadlinesOf(allocation);
  by_five_tuple_.erase(allocation.five_tuple);
  // Last: `allocation` dies here.
  allocations_.erase(allocation.id);
}

std::vector<AllocationId> AllocationTable::IdsInOrder() const {
  std::vector<AllocationId> ids;
  ids.reserve(allocations_.size());
  for (const auto& [id, allocation] : allocations_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

void AllocationTable::SetExpiry(Allocation& allocation, MonoTime expiry) {
  allocation.expiry = expiry;
  deadlines_.Set(expiry, DeadlineKind::kAllocation, allocation.id.value);
}

void AllocationTable::AddRelay(Allocation& allocation, const Relay& relay) {
  allocation.relays.push_back(relay);
  by_relay_.emplace(relay.id, &allocation);
}

void AllocationTable::RemoveRelay(Allocation& allocation, RelayId relay) {
  by_relay_.erase(relay);
  allocation.RemoveRelay(relay);
}

void AllocationTable::Abandon(RelayId relay, std::optional<RelayId> reserve) {
  abandoned_opens_.emplace(relay, reserve);
}

std::optional<RelayId> AllocationTable::ForgetAbandoned(RelayId relay) {
  auto it = abandoned_opens_.find(relay);
  if (it == abandoned_opens_.end()) return std::nullopt;
  const std::optional<RelayId> reserve = it->second;
  abandoned_opens_.erase(it);
  return reserve;
}

bool AllocationTable::InstallPermission(Allocation& allocation,
                                        const IpAddress& peer,
                                        MonoTime expiry) {
  // A refresh keeps the cached verdict: the policy generation decides
  // whether it still holds.
  auto [it, created] = allocation.permissions.try_emplace(peer);
  it->second.expiry = expiry;
  deadlines_.Set(expiry, DeadlineKind::kPermission, allocation.id.value, peer);
  if (created) MirrorPermission(allocation, peer, true);
  return created;
}

void AllocationTable::RemovePermission(Allocation& allocation,
                                       const IpAddress& peer) {
  allocation.permissions.erase(peer);
  deadlines_.Erase(DeadlineKind::kPermission, allocation.id.value, peer);
  MirrorPermission(allocation, peer, false);
}

void AllocationTable::MirrorPermission(Allocation& allocation,
                                       const IpAddress& peer, bool permitted) {
  // Bounded by the channel cap, and run only when a permission comes or
  // goes, never per packet.
  for (auto& [number, binding] : allocation.channels) {
    if (binding.peer.ip != peer) continue;
    binding.permitted = permitted;
    allocation.channel_by_peer.at(binding.peer).permitted = permitted;
  }
}

bool AllocationTable::BindChannel(Allocation& allocation, uint16_t number,
                                  const TransportAddress& peer,
                                  MonoTime expiry) {
  const bool permitted = allocation.permissions.contains(peer.ip);
  // A refresh keeps the cached verdicts (same peer: RFC 8656 §12.2).
  auto [binding, created] = allocation.channels.try_emplace(number);
  binding->second.peer = peer;
  binding->second.expiry = expiry;
  binding->second.permitted = permitted;
  PeerChannel& by_peer = allocation.channel_by_peer[peer];
  by_peer.number = number;
  by_peer.permitted = permitted;
  if (allocation.cooling_channels.erase(number) != 0) {
    deadlines_.Erase(DeadlineKind::kChannelCooldown, allocation.id.value, {},
                     number);
  }
  deadlines_.Set(expiry, DeadlineKind::kChannel, allocation.id.value, {},
                 number);
  return created;
}

TransportAddress AllocationTable::UnbindChannel(Allocation& allocation,
                                                uint16_t number,
                                                Duration cooldown) {
  auto it = allocation.channels.find(number);
  TURNPIKE_CHECK(it != allocation.channels.end(),
                 "only a bound channel can be unbound");
  const TransportAddress peer = it->second.peer;
  // Counted from the binding's expiry, not from when the timer ran.
  const MonoTime until = it->second.expiry + cooldown;
  allocation.channels.erase(it);
  allocation.channel_by_peer.erase(peer);
  deadlines_.Erase(DeadlineKind::kChannel, allocation.id.value, {}, number);
  allocation.cooling_channels.insert_or_assign(number,
                                               ChannelBinding{peer, until});
  deadlines_.Set(until, DeadlineKind::kChannelCooldown, allocation.id.value, {},
                 number);
  return peer;
}

void AllocationTable::EndCooldown(Allocation& allocation, uint16_t number) {
  allocation.cooling_channels.erase(number);
  deadlines_.Erase(DeadlineKind::kChannelCooldown, allocation.id.value, {},
                   number);
}

uint64_t AllocationTable::AddReservation(uint64_t token,
                                         const Reservation& reservation) {
  while (reservations_.contains(token)) ++token;
  reservations_.emplace(token, reservation);
  deadlines_.Set(reservation.expiry, DeadlineKind::kReservation, token);
  return token;
}

Reservation* AllocationTable::FindReservation(uint64_t token) {
  auto it = reservations_.find(token);
  return it == reservations_.end() ? nullptr : &it->second;
}

void AllocationTable::EraseReservation(uint64_t token) {
  deadlines_.Erase(DeadlineKind::kReservation, token);
  reservations_.erase(token);
}

Reservation* AllocationTable::PendingReservationOf(
    const Allocation& allocation) {
  if (!allocation.reservation_token) return nullptr;
  Reservation* reservation = FindReservation(*allocation.reservation_token);
  // A claimed or expired token may since name another allocation's.
  if (!reservation || reservation->creator != allocation.id) return nullptr;
  return reservation;
}

std::vector<uint64_t> AllocationTable::ReservationTokensInOrder() const {
  std::vector<uint64_t> tokens;
  tokens.reserve(reservations_.size());
  for (const auto& [token, reservation] : reservations_) {
    tokens.push_back(token);
  }
  std::sort(tokens.begin(), tokens.end());
  return tokens;
}

PeerConnection& AllocationTable::AddPeerConnection(
    Allocation& owner, const PeerConnection& connection) {
  TURNPIKE_CHECK(connection.state != PeerConnectionState::kBound,
                 "a peer connection starts unbound");
  auto [it, added] =
      peer_connections_.try_emplace(connection.number, connection);
  TURNPIKE_CHECK(added, "CONNECTION-IDs are unique among live connections");
  PeerConnection& stored = it->second;
  stored.owner = owner.id;
  owner.peer_connections.insert(stored.number);
  const bool indexed =
      by_peer_connection_.emplace(stored.peer, stored.number).second;
  TURNPIKE_CHECK(indexed, "a peer connection id names one connection");
  deadlines_.Set(stored.deadline, DeadlineKind::kPeerConnection, stored.number);
  return stored;
}

PeerConnection* AllocationTable::FindByPeerConnection(ConnectionId peer) {
  auto it = by_peer_connection_.find(peer);
  return it == by_peer_connection_.end() ? nullptr
                                         : FindPeerConnection(it->second);
}

PeerConnection* AllocationTable::FindByDataConnection(ConnectionId data) {
  auto it = by_data_connection_.find(data);
  return it == by_data_connection_.end() ? nullptr
                                         : FindPeerConnection(it->second);
}

void AllocationTable::AwaitBind(PeerConnection& connection, MonoTime deadline) {
  connection.state = PeerConnectionState::kPendingBind;
  connection.deadline = deadline;
  deadlines_.Set(deadline, DeadlineKind::kPeerConnection, connection.number);
}

void AllocationTable::BindPeerConnection(PeerConnection& connection,
                                         ConnectionId data) {
  TURNPIKE_CHECK(connection.state == PeerConnectionState::kPendingBind,
                 "only a connection waiting for its bind is bound");
  const bool indexed =
      by_data_connection_.emplace(data, connection.number).second;
  TURNPIKE_CHECK(indexed, "a data connection is bound to one peer");
  connection.state = PeerConnectionState::kBound;
  connection.data = data;
  deadlines_.Erase(DeadlineKind::kPeerConnection, connection.number);
}

void AllocationTable::ErasePeerConnection(uint32_t number) {
  auto it = peer_connections_.find(number);
  if (it == peer_connections_.end()) return;
  const PeerConnection& connection = it->second;
  if (auto owner = allocations_.find(connection.owner);
      owner != allocations_.end()) {
    owner->second->peer_connections.erase(number);
  }
  by_peer_connection_.erase(connection.peer);
  if (connection.state == PeerConnectionState::kBound) {
    by_data_connection_.erase(connection.data);
  }
  deadlines_.Erase(DeadlineKind::kPeerConnection, number);
  peer_connections_.erase(it);
}

std::vector<uint32_t> AllocationTable::PeerConnectionsOf(
    const Allocation& allocation) const {
  std::vector<uint32_t> numbers(allocation.peer_connections.begin(),
                                allocation.peer_connections.end());
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

std::optional<Deadline> AllocationTable::PopDue(MonoTime now) {
  while (const Deadline* top = deadlines_.Top()) {
    if (top->at > now) break;
    const Deadline due = *top;
    deadlines_.Pop();
    // Every entry belongs to a live object (BrokenInvariant); the check
    // only keeps a bookkeeping bug from expiring the wrong thing.
    if (IsLive(due)) return due;
  }
  return std::nullopt;
}

bool AllocationTable::IsLive(const Deadline& d) const {
  if (d.kind == DeadlineKind::kReservation) {
    auto it = reservations_.find(d.owner);
    return it != reservations_.end() && it->second.expiry == d.at;
  }
  if (d.kind == DeadlineKind::kPeerConnection) {
    auto it = peer_connections_.find(static_cast<uint32_t>(d.owner));
    return it != peer_connections_.end() &&
           it->second.state != PeerConnectionState::kBound &&
           it->second.deadline == d.at;
  }
  auto it = allocations_.find(AllocationId{d.owner});
  if (it == allocations_.end()) return false;
  const Allocation& allocation = *it->second;
  switch (d.kind) {
    case DeadlineKind::kAllocation:
      return allocation.answered && allocation.expiry == d.at;
    case DeadlineKind::kPermission: {
      auto p = allocation.permissions.find(d.peer_ip);
      return p != allocation.permissions.end() && p->second.expiry == d.at;
    }
    case DeadlineKind::kChannel: {
      auto c = allocation.channels.find(d.channel);
      return c != allocation.channels.end() && c->second.expiry == d.at;
    }
    case DeadlineKind::kChannelCooldown: {
      auto c = allocation.cooling_channels.find(d.channel);
      return c != allocation.cooling_channels.end() && c->second.expiry == d.at;
    }
    case DeadlineKind::kReservation:
    case DeadlineKind::kPeerConnection:
      break;
  }
  return false;
}

void AllocationTable::EraseDeadlinesOf(const Allocation& allocation) {
  const uint64_t owner = allocation.id.value;
  deadlines_.Erase(DeadlineKind::kAllocation, owner);
  for (const auto& [peer, permission] : allocation.permissions) {
    deadlines_.Erase(DeadlineKind::kPermission, owner, peer);
  }
  for (const auto& [number, binding] : allocation.channels) {
    deadlines_.Erase(DeadlineKind::kChannel, owner, {}, number);
  }
  for (const auto& [number, binding] : allocation.cooling_channels) {
    deadlines_.Erase(DeadlineKind::kChannelCooldown, owner, {}, number);
  }
}

const char* AllocationTable::BrokenInvariant() const {
  if (by_five_tuple_.size() != allocations_.size()) {
    return "one 5-tuple index entry per allocation";
  }
  auto within = [](size_t count, uint32_t cap) {
    return cap == 0 || count <= cap;
  };
  size_t relays = 0;
  size_t timed = 0;  // live objects with a timer
  size_t listed_peer_connections = 0;
  for (const auto& [id, allocation] : allocations_) {
    if (allocation->id != id) return "allocation knows its id";
    auto tuple = by_five_tuple_.find(allocation->five_tuple);
    if (tuple == by_five_tuple_.end() || tuple->second != allocation.get()) {
      return "5-tuple index points at the allocation";
    }
    for (const Relay& relay : allocation->relays) {
      ++relays;
      auto r = by_relay_.find(relay.id);
      if (r == by_relay_.end() || r->second != allocation.get()) {
        return "relay index points at the allocation";
      }
      if (relay.state == RelayState::kFailed) {
        return "failed relays are removed";
      }
    }
    if (allocation->relays.empty()) return "an allocation has a relay";
    if (allocation->channels.size() != allocation->channel_by_peer.size()) {
      return "channel maps agree in size";
    }
    for (const auto& [number, binding] : allocation->channels) {
      if (!stun::IsValidChannelNumber(number, limits_.max_channel_number)) {
        return "channel number in range";
      }
      auto peer = allocation->channel_by_peer.find(binding.peer);
      if (peer == allocation->channel_by_peer.end() ||
          peer->second.number != number) {
        return "channel maps agree";
      }
      const bool permitted = allocation->permissions.contains(binding.peer.ip);
      if (binding.permitted != permitted ||
          peer->second.permitted != permitted) {
        return "a channel mirrors its peer's permission";
      }
      if (allocation->cooling_channels.contains(number)) {
        return "a bound number is not cooling down";
      }
    }
    if (!within(allocation->permissions.size(), limits_.max_permissions) ||
        !within(allocation->channels.size(), limits_.max_channels)) {
      return "permissions and channels within their caps";
    }
    // RFC 6062: only an answered TCP allocation has peer connections, and
    // no more than its cap; each it lists names it as owner.
    if (!allocation->peer_connections.empty() &&
        (!allocation->answered ||
         allocation->relay_transport != Transport::kTcp)) {
      return "peer connections belong to answered TCP allocations";
    }
    if (!within(allocation->peer_connections.size(),
                limits_.max_peer_connections)) {
      return "peer connections within their cap";
    }
    for (uint32_t number : allocation->peer_connections) {
      auto pc = peer_connections_.find(number);
      if (pc == peer_connections_.end() || pc->second.owner != id) {
        return "an allocation's peer connections name it as owner";
      }
    }
    listed_peer_connections += allocation->peer_connections.size();
    if (allocation->five_tuple.connection.valid() &&
        by_data_connection_.contains(allocation->five_tuple.connection)) {
      return "a data connection holds no allocation";
    }
    const uint64_t owner = allocation->id.value;
    for (const auto& [peer, permission] : allocation->permissions) {
      if (deadlines_.Find(DeadlineKind::kPermission, owner, peer) !=
          permission.expiry) {
        return "a permission's timer is due at its expiry";
      }
    }
    for (const auto& [number, binding] : allocation->channels) {
      if (deadlines_.Find(DeadlineKind::kChannel, owner, {}, number) !=
          binding.expiry) {
        return "a channel's timer is due at its expiry";
      }
    }
    for (const auto& [number, binding] : allocation->cooling_channels) {
      if (deadlines_.Find(DeadlineKind::kChannelCooldown, owner, {}, number) !=
          binding.expiry) {
        return "a cool-down's timer is due when it ends";
      }
    }
    timed += allocation->permissions.size() + allocation->channels.size() +
             allocation->cooling_channels.size();
    if (allocation->answered) {
      if (!allocation->AllRelaysSettled()) {
        return "answered after relays settled";
      }
      if (deadlines_.Find(DeadlineKind::kAllocation, owner) !=
          allocation->expiry) {
        return "an allocation's timer is due at its expiry";
      }
      ++timed;
    } else if (!allocation->permissions.empty() ||
               !allocation->channels.empty()) {
      return "nothing is installed before the allocation exists";
    }
  }
  if (by_relay_.size() != relays) return "relay index has no strays";
  for (const auto& [token, reservation] : reservations_) {
    if (deadlines_.Find(DeadlineKind::kReservation, token) !=
        reservation.expiry) {
      return "a reservation's timer is due at its expiry";
    }
    // While its allocation lives the two share one quota slot.
    if (reservation.holds_quota == allocations_.contains(reservation.creator)) {
      return "a reservation holds a slot exactly when its allocation is gone";
    }
  }
  timed += reservations_.size();
  if (listed_peer_connections != peer_connections_.size()) {
    return "every peer connection belongs to an allocation";
  }
  if (by_peer_connection_.size() != peer_connections_.size()) {
    return "one peer-id index entry per peer connection";
  }
  size_t bound = 0;
  for (const auto& [number, connection] : peer_connections_) {
    if (connection.number != number) return "a peer connection knows its id";
    auto peer = by_peer_connection_.find(connection.peer);
    if (peer == by_peer_connection_.end() || peer->second != number) {
      return "the peer-id index points at the connection";
    }
    const std::optional<MonoTime> due =
        deadlines_.Find(DeadlineKind::kPeerConnection, number);
    if (connection.state == PeerConnectionState::kBound) {
      ++bound;
      auto data = by_data_connection_.find(connection.data);
      if (data == by_data_connection_.end() || data->second != number) {
        return "the data-connection index points at the bound connection";
      }
      if (due) return "a bound peer connection has no timer";
    } else {
      if (due != connection.deadline) {
        return "an unbound peer connection's timer is due at its deadline";
      }
      ++timed;
    }
  }
  if (by_data_connection_.size() != bound) {
    return "one data-connection index entry per bound connection";
  }
  // One timer per live object, so the queue cannot outgrow them.
  if (deadlines_.size() != timed) return "no timer without a live object";
  for (const auto& [id, reserve] : abandoned_opens_) {
    if (by_relay_.contains(id)) return "an abandoned open belongs to nobody";
    if (reserve && by_relay_.contains(*reserve)) {
      return "an abandoned port+1 belongs to nobody";
    }
  }
  return nullptr;
}

void AllocationTable::CheckInvariants() const {
  // A broken invariant is a bug in the core, never network input; the
  // message names the one that broke.
  if (const char* broken = BrokenInvariant()) {
    CheckFailed(__FILE__, __LINE__, "CheckInvariants", broken);
  }
}

}  // namespace turnpike::core::turn
