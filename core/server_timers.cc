// Server: every expiry of RFC 8656 (allocations §7, permissions §9,
// channel bindings §12 and their §12.1 cool-down, EVEN-PORT reservations
// §7.2) and RFC 6062's connect and bind timers (§5.2, §5.3). Each happens when `now` reaches its deadline: at `deadline - 1ns`
// the thing is alive, at `deadline` it is gone. The timers themselves live
// in the AllocationTable, next to what they time.
#include <utility>

#include "core/server.h"

namespace turnpike::core {

using turn::DeadlineKind;

void Server::HandleTimeout(const Now& now) {
  while (std::optional<turn::Deadline> due = table_.PopDue(now.mono)) {
    Expire(now, *due);
  }
}

void Server::ExpireDue(const Now& now) {
  // One comparison on the packet path: usually nothing is due.
  if (table_.AnythingDue(now.mono)) HandleTimeout(now);
}

void Server::DropReservation(uint64_t token) {
  const turn::Reservation* reservation = table_.FindReservation(token);
  if (!reservation) return;
  if (deps_.reservations != nullptr) {
    // Several workers: the registry holds the socket and closes it, unless
    // a claim (on any worker) took it first; then nothing is ours to give
    // back.
    if (std::optional<SharedReservation> released =
            deps_.reservations->Release(token)) {
      if (released->holds_quota) {
        deps_.quotas->Release(released->username, released->client_ip);
      }
    }
    table_.EraseReservation(token);
    return;
  }
  // RFC 8656 §7.2: an unclaimed reserved port is given back.
  commands_.push_back(CloseRelay{reservation->relay});
  if (reservation->holds_quota) {
    deps_.quotas->Release(reservation->username, reservation->client_ip);
  }
  table_.EraseReservation(token);
}

void Server::Expire(const Now& now, const turn::Deadline& d) {
  if (d.kind == DeadlineKind::kReservation) {
    DropReservation(d.owner);
    return;
  }
  if (d.kind == DeadlineKind::kPeerConnection) {
    ExpirePeerConnection(static_cast<uint32_t>(d.owner));
    return;
  }
  turn::Allocation& allocation = table_.Get(turn::AllocationId{d.owner});
  switch (d.kind) {
    case DeadlineKind::kAllocation:
      // RFC 8656 §7: an allocation not refreshed in time is deleted.
      DeleteAllocation(allocation, DeleteReason::kExpired);
      break;
    case DeadlineKind::kPermission: {
      // RFC 8656 §9: the permission goes; a channel to that IP stays bound
      // but carries nothing until a permission is installed again.
      table_.RemovePermission(allocation, d.peer_ip);
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
      table_.EndCooldown(allocation, d.channel);
      break;
    case DeadlineKind::kReservation:
    case DeadlineKind::kPeerConnection:
      break;
  }
}

void Server::ExpireChannel(const Now& /*now*/, turn::Allocation& allocation,
                           uint16_t number) {
  // RFC 8656 §12.1: neither the number nor the peer may be bound to
  // anything else for the next five minutes.
  const TransportAddress peer =
      table_.UnbindChannel(allocation, number, config_.channel_cooldown);
  const turn::Relay* relay = allocation.RelayFor(peer.family());
  Emit(ChannelDeleted{SubjectOf(allocation),
                      relay ? relay->address : TransportAddress{}, peer,
                      number});
}

}  // namespace turnpike::core
