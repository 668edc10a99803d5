// Server: every expiry of RFC 8656 (allocations §7, permissions §9,
// channel bindings §12 and their §12.1 cool-down, EVEN-PORT reservations
// §7.2). Each happens when `now` reaches its deadline: at `deadline - 1ns`
// the thing is alive, at `deadline` it is gone.
#include <utility>

#include "core/server.h"

namespace turnpike::core {

using turn::DeadlineKind;

bool Server::IsLive(const turn::Deadline& d) const {
  if (d.kind == DeadlineKind::kReservation) {
    auto it = reservations_.find(d.owner);
    return it != reservations_.end() && it->second.expiry == d.at;
  }
  auto it = allocations_.find(turn::AllocationId{d.owner});
  if (it == allocations_.end()) return false;
  const turn::Allocation& allocation = *it->second;
  switch (d.kind) {
    case DeadlineKind::kAllocation:
      return allocation.answered && allocation.expiry == d.at;
    case DeadlineKind::kPermission: {
      auto p = allocation.permissions.find(d.peer_ip);
      return p != allocation.permissions.end() && p->second == d.at;
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
      break;
  }
  return false;
}

void Server::HandleTimeout(const Now& now) {
  while (const turn::Deadline* top = deadlines_.Top()) {
    if (top->at > now.mono) break;
    const turn::Deadline due = *top;
    deadlines_.Pop();
    // Every entry belongs to a live object (CheckInvariants); the check
    // only keeps a bookkeeping bug from expiring the wrong thing.
    if (IsLive(due)) Expire(now, due);
  }
}

void Server::ExpireDue(const Now& now) {
  // One comparison on the packet path: usually nothing is due.
  const turn::Deadline* top = deadlines_.Top();
  if (top && top->at <= now.mono) HandleTimeout(now);
}

void Server::EraseDeadlinesOf(const turn::Allocation& allocation) {
  const uint64_t owner = allocation.id.value;
  deadlines_.Erase(DeadlineKind::kAllocation, owner);
  for (const auto& [peer, expiry] : allocation.permissions) {
    deadlines_.Erase(DeadlineKind::kPermission, owner, peer);
  }
  for (const auto& [number, binding] : allocation.channels) {
    deadlines_.Erase(DeadlineKind::kChannel, owner, {}, number);
  }
  for (const auto& [number, binding] : allocation.cooling_channels) {
    deadlines_.Erase(DeadlineKind::kChannelCooldown, owner, {}, number);
  }
}

void Server::DropReservation(uint64_t token) {
  auto it = reservations_.find(token);
  if (it == reservations_.end()) return;
  const turn::Reservation& reservation = it->second;
  // RFC 8656 §7.2: an unclaimed reserved port is given back.
  commands_.push_back(CloseRelay{reservation.relay});
  if (reservation.holds_quota) {
    deps_.quotas->Release(reservation.username, reservation.client_ip);
  }
  deadlines_.Erase(DeadlineKind::kReservation, token);
  reservations_.erase(it);
}

void Server::Expire(const Now& now, const turn::Deadline& d) {
  if (d.kind == DeadlineKind::kReservation) {
    DropReservation(d.owner);
    return;
  }
  turn::Allocation& allocation = *allocations_.at(turn::AllocationId{d.owner});
  switch (d.kind) {
    case DeadlineKind::kAllocation:
      // RFC 8656 §7: an allocation not refreshed in time is deleted.
      DeleteAllocation(allocation, DeleteReason::kExpired);
      break;
    case DeadlineKind::kPermission: {
      // RFC 8656 §9: the permission goes; a channel to that IP stays bound
      // but carries nothing until a permission is installed again.
      allocation.permissions.erase(d.peer_ip);
      const turn::Relay* relay = allocation.RelayFor(d.peer_ip.family());
      Emit(PermissionDeleted{SubjectOf(allocation),
                             relay ? relay->address : TransportAddress{},
                             d.peer_ip});
      break;
    }
    case DeadlineKind::kChannel:
      ExpireChannel(now, allocation, d.channel);
      break;
    case DeadlineKind::kChannelCooldown:
      // RFC 8656 §12.1: five minutes on, the number and peer are free.
      allocation.cooling_channels.erase(d.channel);
      break;
    case DeadlineKind::kReservation:
      break;
  }
}

void Server::ExpireChannel(const Now& /*now*/, turn::Allocation& allocation,
                           uint16_t number) {
  auto it = allocation.channels.find(number);
  const TransportAddress peer = it->second.peer;
  const MonoTime expired_at = it->second.expiry;
  allocation.channels.erase(it);
  allocation.channel_by_peer.erase(peer);
  // RFC 8656 §12.1: neither the number nor the peer may be bound to
  // anything else for the next five minutes.
  // Counted from the binding's expiry, not from when the timer ran.
  const MonoTime until = expired_at + config_.channel_cooldown;
  allocation.cooling_channels.insert_or_assign(
      number, turn::ChannelBinding{peer, until});
  deadlines_.Set(until, DeadlineKind::kChannelCooldown, allocation.id.value, {},
                 number);
  const turn::Relay* relay = allocation.RelayFor(peer.family());
  Emit(ChannelDeleted{SubjectOf(allocation),
                      relay ? relay->address : TransportAddress{}, peer,
                      number});
}

}  // namespace turnpike::core
