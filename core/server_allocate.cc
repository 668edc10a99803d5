// Server: Allocate and Refresh (RFC 8656 §7), relay socket completion, and
// the deletion of allocations.
#include <algorithm>
#include <array>
#include <utility>

#include "core/server.h"
#include "core/server_internal.h"
#include "core/stun/message_builder.h"

namespace turnpike::core {

using internal::FamilyCode;
using internal::kResponseBufferSize;
using internal::WholeSeconds;
using stun::AttributeType;
using stun::Method;
namespace error_code = stun::error_code;

namespace {

// RFC 8656 §14.7: the IANA protocol numbers of UDP and (RFC 6062 §6.1)
// TCP.
constexpr uint8_t kProtocolUdp = 17;
constexpr uint8_t kProtocolTcp = 6;
constexpr uint8_t kFamilyIpv4 = 0x01;
constexpr uint8_t kFamilyIpv6 = 0x02;

// RFC 8656 §7.2 step "LIFETIME": the client may ask for more than the
// default, up to the maximum, but never for less than the default.
Duration NegotiateLifetime(std::optional<uint32_t> requested_seconds,
                           Duration default_lifetime, Duration max_lifetime) {
  if (!requested_seconds) return default_lifetime;
  const Duration requested = std::chrono::seconds(*requested_seconds);
  return std::clamp(requested, default_lifetime, max_lifetime);
}

// Issue 13: a lifetime never outlasts the credential that asked for it,
// in the whole seconds LIFETIME can say; zero when less than one is left.
Duration CapToCredential(Duration lifetime, std::optional<absl::Time> expires,
                         absl::Time wall) {
  if (!expires) return lifetime;
  const int64_t left = absl::ToInt64Seconds(*expires - wall);
  if (left <= 0) return Duration::zero();
  return std::min(lifetime, Duration(std::chrono::seconds(left)));
}

stun::MessageHeader AllocateHeader(const stun::TransactionId& id) {
  stun::MessageHeader header;
  header.message_class = stun::MessageClass::kRequest;
  header.method = static_cast<uint16_t>(Method::kAllocate);
  header.transaction_id = id;
  return header;
}

}  // namespace

void Server::RejectAllocate(const RequestContext& ctx, int code) {
  Emit(AllocationError{ctx.subject(), code});
  RespondError(ctx.from, ctx.request.header(), code, ctx.protection());
}

void Server::HandleAllocate(const Now& now, const RequestContext& ctx) {
  const stun::MessageView& request = ctx.request;
  // RFC 8656 §7.2 step 2: one allocation per 5-tuple. The same request
  // again is a retransmission and gets the same answer (§7.2, last
  // paragraph); a relay still opening means the answer is not ready yet.
  if (turn::Allocation* existing = FindAllocation(ctx.from)) {
    if (existing->allocate_transaction == request.transaction_id()) {
      if (existing->answered && !existing->response.empty()) {
        commands_.push_back(Transmit{
            ClientSocket(ctx.from), ctx.from.transport, ctx.from.client,
            Bytes(existing->response.begin(), existing->response.end())});
        ++stats_.success_responses[ServerStats::MethodSlot(request.method())];
      } else {
        // Still opening, or a late copy after the client moved on to other
        // requests (the response was released): nothing to answer.
        Drop(DropReason::kRetransmitPending);
      }
      return;
    }
    RejectAllocate(ctx, error_code::kAllocationMismatch);
    return;
  }
  // Draining: no new allocation here; RFC 8489 §10 sends the client on.
  if (draining_) {
    RedirectAllocate(ctx);
    return;
  }
  // §7.2 step 3: REQUESTED-TRANSPORT must be there; UDP, or TCP (RFC 6062
  // §5.1: anything else is 442).
  std::optional<uint8_t> transport = request.RequestedTransport();
  if (!transport) {
    RejectAllocate(ctx, error_code::kBadRequest);
    return;
  }
  if (*transport != kProtocolUdp && *transport != kProtocolTcp) {
    RejectAllocate(ctx, error_code::kUnsupportedTransportProtocol);
    return;
  }
  const bool tcp = *transport == kProtocolTcp;
  std::optional<uint64_t> token = request.ReservationToken();
  std::optional<bool> even_port = request.EvenPort();
  std::optional<uint8_t> requested_family = request.RequestedAddressFamily();
  std::optional<uint8_t> additional_family = request.AdditionalAddressFamily();
  if (tcp) {
    // RFC 6062 §5.1: a TCP allocation only over a TCP or TLS connection,
    // and without DONT-FRAGMENT, EVEN-PORT or RESERVATION-TOKEN: 400.
    // ADDITIONAL-ADDRESS-FAMILY is refused the same way: a TCP allocation
    // is one listening socket, and neither RFC 6062 nor RFC 8656 defines a
    // dual one (docs/rfc-matrix.md).
    if (!IsStream(ctx.from.transport) || request.DontFragment() ||
        even_port || token || additional_family) {
      RejectAllocate(ctx, error_code::kBadRequest);
      return;
    }
  }
  // §7.2 step 5/6: a token names an already chosen address, so it cannot
  // be combined with anything that chooses one.
  if (token && (even_port || requested_family || additional_family)) {
    RejectAllocate(ctx, error_code::kBadRequest);
    return;
  }
  // §7.2 step 7.
  if (requested_family && additional_family) {
    RejectAllocate(ctx, error_code::kBadRequest);
    return;
  }
  // §7.2 / §18.12: ADDITIONAL-ADDRESS-FAMILY may only ask for IPv6 (the
  // first family of a dual allocation is always IPv4).
  if (additional_family && *additional_family != kFamilyIpv6) {
    RejectAllocate(ctx, error_code::kBadRequest);
    return;
  }
  // §7.2 step 9: R=1 reserves port+1 of one family; not for dual.
  if (even_port && *even_port && additional_family) {
    RejectAllocate(ctx, error_code::kBadRequest);
    return;
  }
  // §7.2 step 8: the family of the (first) relayed address.
  AddressFamily family = AddressFamily::kIpv4;
  if (requested_family) {
    if (*requested_family == kFamilyIpv4 && config_.relay_ipv4) {
      family = AddressFamily::kIpv4;
    } else if (*requested_family == kFamilyIpv6 && config_.relay_ipv6) {
      family = AddressFamily::kIpv6;
    } else {
      RejectAllocate(ctx, error_code::kAddressFamilyNotSupported);
      return;
    }
  } else if (!config_.relay_ipv4 && !token) {
    RejectAllocate(ctx, error_code::kAddressFamilyNotSupported);
    return;
  }
  if (token && deps_.reservations != nullptr) {
    ClaimSharedReservation(now, ctx, *token);
    return;
  }
  // §7.2 step 6: the token must name a live reservation.
  std::optional<turn::Reservation> reservation;
  if (token) {
    const turn::Reservation* held = table_.FindReservation(*token);
    if (!held) {
      RejectAllocate(ctx, error_code::kInsufficientCapacity);
      return;
    }
    reservation = *held;
  }
  // A reservation holding its own slot (its allocation is gone) hands it
  // to the allocation that claims it, when the slot is counted for the
  // same user and address; otherwise the claim is a new allocation.
  const bool takes_slot = reservation && reservation->holds_quota &&
                          reservation->username == ctx.username &&
                          reservation->client_ip == ctx.from.client.ip;
  // §7.2 step 10: quotas (486), and the server's capacity (508).
  const QuotaVerdict verdict =
      takes_slot ? QuotaVerdict::kGranted
                 : deps_.quotas->TryAcquire(ctx.username, ctx.from.client.ip);
  switch (verdict) {
    case QuotaVerdict::kGranted:
      break;
    case QuotaVerdict::kUserQuota:
    case QuotaVerdict::kClientIpQuota:
      // The same code for both, and no numbers in the reason: the answer
      // must not reveal the limits.
      RejectAllocate(ctx, error_code::kAllocationQuotaReached);
      return;
    case QuotaVerdict::kCapacity:
      RejectAllocate(ctx, error_code::kInsufficientCapacity);
      return;
  }
  if (reservation) {
    if (reservation->holds_quota && !takes_slot) {
      deps_.quotas->Release(reservation->username, reservation->client_ip);
    }
    table_.EraseReservation(*token);
  }

  turn::Allocation& allocation = table_.Create(ctx.from);
  allocation.holds_quota = true;
  allocation.username = ctx.username;
  allocation.realm = ctx.realm;
  allocation.key = ctx.key;
  allocation.algorithm = ctx.algorithm;
  allocation.credential_expiry = ctx.credential_expiry;
  allocation.lifetime = NegotiateLifetime(
      request.Lifetime(), config_.default_lifetime, config_.max_lifetime);
  allocation.allocate_transaction = request.transaction_id();
  allocation.request_had_fingerprint = request.Fingerprint().has_value();
  allocation.request_used_sha256 = ctx.sha256;
  allocation.reserve_next = even_port.value_or(false);
  allocation.relay_transport = tcp ? Transport::kTcp : Transport::kUdp;

  if (reservation) {
    // The port is already bound: answer now.
    table_.AddRelay(allocation, turn::Relay{reservation->relay,
                                            reservation->address.family(),
                                            turn::RelayState::kOpen,
                                            reservation->address});
    allocation.requested_port = reservation->address.port;
    FinishAllocate(now, allocation);
    return;
  }
  const bool dont_fragment = request.DontFragment();
  const RelayId first = NextRelayId();
  table_.AddRelay(allocation,
                  turn::Relay{first, family, turn::RelayState::kOpening, {}});
  OpenRelay open{.id = first,
                 .transport = allocation.relay_transport,
                 .family = family,
                 .even_port = even_port.has_value(),
                 .dont_fragment = dont_fragment,
                 .reserve_id = std::nullopt,
                 .claimed_token = std::nullopt};
  if (allocation.reserve_next) {
    allocation.reserve_id = NextRelayId();
    open.reserve_id = allocation.reserve_id;
  }
  commands_.push_back(open);
  // §7.2: a dual allocation adds IPv6 when the server can; otherwise the
  // success response says why in ADDRESS-ERROR-CODE.
  if (additional_family) {
    if (config_.relay_ipv6) {
      const RelayId second = NextRelayId();
      table_.AddRelay(allocation,
                      turn::Relay{second, AddressFamily::kIpv6,
                                  turn::RelayState::kOpening, {}});
      commands_.push_back(OpenRelay{.id = second,
                                    .family = AddressFamily::kIpv6,
                                    .dont_fragment = dont_fragment,
                                    .reserve_id = std::nullopt,
                                    .claimed_token = std::nullopt});
    } else {
      allocation.failed_family = kFamilyIpv6;
      allocation.failed_family_code = error_code::kAddressFamilyNotSupported;
    }
  }
}

void Server::HandleRelayOpened(const Now& now, RelayId id,
                               const TransportAddress& bound) {
  ExpireDue(now);
  turn::Allocation* owner = table_.FindByRelay(id);
  if (!owner) {
    // The allocation went away while the socket was being bound; an id the
    // server never issued is closed too rather than left bound.
    commands_.push_back(CloseRelay{id});
    if (std::optional<RelayId> reserve = table_.ForgetAbandoned(id)) {
      commands_.push_back(CloseRelay{*reserve});
    }
    return;
  }
  turn::Allocation& allocation = *owner;
  for (turn::Relay& relay : allocation.relays) {
    if (relay.id != id || relay.state != turn::RelayState::kOpening) continue;
    relay.state = turn::RelayState::kOpen;
    relay.address = bound;
    if (allocation.reserve_id && relay.id == allocation.relays.front().id) {
      // RFC 8656 §7.2 EVEN-PORT R=1: port+1 is bound too and held under a
      // fresh token until a later Allocate claims it or it times out.
      uint8_t random[8];
      deps_.random->Fill(absl::MakeSpan(random));
      uint64_t token = 0;
      for (uint8_t b : random) token = token << 8 | b;
      TransportAddress next = bound;
      next.port = static_cast<uint16_t>(bound.port + 1);
      turn::Reservation reservation;
      reservation.relay = *allocation.reserve_id;
      reservation.address = next;
      reservation.expiry = now.mono + config_.reservation_lifetime;
      reservation.creator = allocation.id;
      if (deps_.reservations != nullptr) {
        // Several workers: the token is the process's, and so is the
        // socket (ShareReservation), for whichever worker the claim
        // reaches. A token of ours still in the table under this number
        // was claimed elsewhere (the registry reissues only free ones):
        // that entry is stale.
        token = deps_.reservations->Add(token, next, reservation.expiry);
        if (table_.FindReservation(token) != nullptr) {
          table_.EraseReservation(token);
        }
        commands_.push_back(ShareReservation{*allocation.reserve_id, token});
      }
      allocation.reservation_token =
          table_.AddReservation(token, reservation);
      allocation.reserve_id.reset();
    }
  }
  if (allocation.AllRelaysSettled() && !allocation.answered) {
    FinishAllocate(now, allocation);
  }
}

void Server::ClaimSharedReservation(const Now& now, const RequestContext& ctx,
                                    uint64_t token) {
  // RFC 8656 §7.2 step 6 and step 10 at once, while no other worker can
  // change the reservation: the quota is decided as in HandleAllocate (a
  // reservation holding its own slot hands it over to the same user and
  // address), and a refused claim leaves the reservation registered.
  std::optional<QuotaVerdict> verdict;
  bool takes_slot = false;
  std::optional<SharedReservation> claimed = deps_.reservations->Claim(
      token, now.mono, [&](const SharedReservation& held) {
        takes_slot = held.holds_quota && held.username == ctx.username &&
                     held.client_ip == ctx.from.client.ip;
        verdict = takes_slot ? QuotaVerdict::kGranted
                             : deps_.quotas->TryAcquire(ctx.username,
                                                        ctx.from.client.ip);
        return *verdict == QuotaVerdict::kGranted;
      });
  if (!claimed) {
    // No reservation under the token (508), or the quota refused (486,
    // 508), as for a reservation of this worker's own.
    const bool quota = verdict == QuotaVerdict::kUserQuota ||
                       verdict == QuotaVerdict::kClientIpQuota;
    RejectAllocate(ctx, quota ? error_code::kAllocationQuotaReached
                              : error_code::kInsufficientCapacity);
    return;
  }
  if (claimed->holds_quota && !takes_slot) {
    deps_.quotas->Release(claimed->username, claimed->client_ip);
  }
  // Ours: the entry in the table has no more to do (its timer's release
  // would find nothing).
  if (table_.FindReservation(token) != nullptr) {
    table_.EraseReservation(token);
  }

  turn::Allocation& allocation = table_.Create(ctx.from);
  allocation.holds_quota = true;
  allocation.username = ctx.username;
  allocation.realm = ctx.realm;
  allocation.key = ctx.key;
  allocation.algorithm = ctx.algorithm;
  allocation.credential_expiry = ctx.credential_expiry;
  allocation.lifetime = NegotiateLifetime(
      ctx.request.Lifetime(), config_.default_lifetime, config_.max_lifetime);
  allocation.allocate_transaction = ctx.request.transaction_id();
  allocation.request_had_fingerprint =
      ctx.request.Fingerprint().has_value();
  allocation.request_used_sha256 = ctx.sha256;
  allocation.relay_transport = Transport::kUdp;
  allocation.requested_port = claimed->address.port;
  // The socket is another worker's until the runtime takes it from the
  // registry: answered at HandleRelayOpened, as a fresh relay is.
  const RelayId id = NextRelayId();
  table_.AddRelay(allocation, turn::Relay{id, claimed->address.family(),
                                          turn::RelayState::kOpening, {}});
  commands_.push_back(OpenRelay{.id = id,
                                .transport = Transport::kUdp,
                                .family = claimed->address.family(),
                                .even_port = false,
                                .dont_fragment = ctx.request.DontFragment(),
                                .reserve_id = std::nullopt,
                                .claimed_token = token});
}

void Server::HandleRelayFailed(const Now& now, RelayId id,
                               const absl::Status& /*why*/) {
  ExpireDue(now);
  turn::Allocation* owner = table_.FindByRelay(id);
  if (!owner) {
    // Nothing was bound, so nothing is left to close.
    table_.ForgetAbandoned(id);
    return;
  }
  turn::Allocation& allocation = *owner;
  const bool first = allocation.relays.front().id == id;
  if (allocation.answered) {
    // A relay socket broke after the allocation was created (the runtime
    // reports errors such as the address going away): the allocation
    // cannot relay any more.
    DeleteAllocation(allocation, DeleteReason::kRelayFailed);
    return;
  }
  // A failed open bound nothing (neither the port nor port+1): there is
  // nothing to close for it.
  table_.RemoveRelay(allocation, id);
  if (first) {
    allocation.reserve_id.reset();
    // RFC 8656 §7.2: no relayed address of the requested family could be
    // had: 508.
    FailAllocate(allocation, error_code::kInsufficientCapacity);
    return;
  }
  // The additional (IPv6) family of a dual allocation failed: the IPv4
  // part stands and the response names the failure.
  allocation.failed_family = FamilyCode(AddressFamily::kIpv6);
  allocation.failed_family_code = error_code::kInsufficientCapacity;
  if (allocation.AllRelaysSettled()) FinishAllocate(now, allocation);
}

void Server::FailAllocate(turn::Allocation& allocation, int code) {
  Emit(AllocationError{SubjectOf(allocation), code});
  const Protection protection{allocation.key, allocation.request_used_sha256,
                              allocation.request_had_fingerprint};
  RespondError(allocation.five_tuple,
               AllocateHeader(allocation.allocate_transaction), code,
               protection);
  DeleteAllocation(allocation, DeleteReason::kRelayFailed);
}

void Server::FinishAllocate(const Now& now, turn::Allocation& allocation) {
  // Capped when the relay is ready, not when asked: binding took time.
  allocation.lifetime = CapToCredential(allocation.lifetime,
                                        allocation.credential_expiry, now.wall);
  if (allocation.lifetime == Duration::zero()) {
    // The credential ran out while the relay port was being bound (it had
    // at least a second when the request was authenticated).
    FailAllocate(allocation, error_code::kUnauthenticated);
    return;
  }
  std::array<uint8_t, kResponseBufferSize> buffer;
  stun::MessageBuilder response(
      absl::MakeSpan(buffer), stun::MessageClass::kSuccessResponse,
      Method::kAllocate, allocation.allocate_transaction);
  std::vector<TransportAddress> relayed;
  // IPv4 first, as RFC 8656 §7.2's dual example lists them.
  for (AddressFamily family : {AddressFamily::kIpv4, AddressFamily::kIpv6}) {
    if (const turn::Relay* relay = allocation.RelayFor(family)) {
      response.AddXorAddress(AttributeType::kXorRelayedAddress, relay->address);
      relayed.push_back(relay->address);
    }
  }
  if (allocation.failed_family != 0) {
    response.AddAddressErrorCode(allocation.failed_family,
                                 allocation.failed_family_code, "");
  }
  response.AddLifetime(WholeSeconds(allocation.lifetime));
  if (allocation.reservation_token) {
    response.AddReservationToken(*allocation.reservation_token);
  }
  // RFC 8656 §7.2: the client's server-reflexive address.
  response.AddXorAddress(AttributeType::kXorMappedAddress,
                         allocation.five_tuple.client);

  allocation.answered = true;
  table_.SetExpiry(allocation, now.mono + allocation.lifetime);
  if (config_.bandwidth_bytes_per_second != 0) {
    allocation.to_peer_budget =
        turn::TokenBucket(config_.bandwidth_bytes_per_second, now.mono);
    allocation.to_client_budget =
        turn::TokenBucket(config_.bandwidth_bytes_per_second, now.mono);
  }
  Emit(AllocationCreated{SubjectOf(allocation), relayed,
                         allocation.requested_port, allocation.lifetime});
  const Protection protection{allocation.key, allocation.request_used_sha256,
                              allocation.request_had_fingerprint};
  const Bytes sent = SendResponse(allocation.five_tuple, response, protection);
  allocation.response.assign(sent.begin(), sent.end());
}

void Server::HandleRefresh(const Now& now, const RequestContext& ctx) {
  const stun::MessageView& request = ctx.request;
  turn::Allocation* allocation = RequireAllocation(ctx);
  if (!allocation) return;
  // RFC 8656 §7.3: REQUESTED-ADDRESS-FAMILY names one family of a dual
  // allocation; a family the allocation does not have → 443.
  const turn::Relay* family_relay = nullptr;
  if (std::optional<uint8_t> family = request.RequestedAddressFamily()) {
    const AddressFamily wanted =
        *family == kFamilyIpv6 ? AddressFamily::kIpv6 : AddressFamily::kIpv4;
    family_relay = allocation->RelayFor(wanted);
    if ((*family != kFamilyIpv4 && *family != kFamilyIpv6) || !family_relay) {
      RespondError(ctx.from, request.header(),
                   error_code::kPeerAddressFamilyMismatch, ctx.protection());
      return;
    }
  }
  const std::optional<uint32_t> requested = request.Lifetime();
  const bool remove = requested && *requested == 0;
  const Duration lifetime =
      remove ? Duration::zero()
             : CapToCredential(
                   NegotiateLifetime(requested, config_.default_lifetime,
                                     config_.max_lifetime),
                   ctx.credential_expiry, now.wall);

  std::array<uint8_t, kResponseBufferSize> buffer;
  stun::MessageBuilder response(absl::MakeSpan(buffer),
                                stun::MessageClass::kSuccessResponse,
                                Method::kRefresh, request.transaction_id());
  response.AddLifetime(WholeSeconds(lifetime));
  SendResponse(ctx.from, response, ctx.protection());

  if (remove) {
    if (family_relay && allocation->relays.size() > 1) {
      // Only that family goes; the allocation keeps the other.
      CloseRelayOf(*allocation, family_relay->id);
    } else {
      DeleteAllocation(*allocation, DeleteReason::kClientDeleted);
    }
    return;
  }
  // Lifetimes are per allocation: a per-family Refresh refreshes both
  // (docs/rfc-matrix.md records this simplification of §7.3).
  allocation->lifetime = lifetime;
  table_.SetExpiry(*allocation, now.mono + lifetime);
}

void Server::CloseRelayOf(turn::Allocation& allocation, RelayId relay) {
  commands_.push_back(CloseRelay{relay});
  table_.RemoveRelay(allocation, relay);
}

void Server::DeleteAllocation(turn::Allocation& allocation,
                              DeleteReason reason) {
  // RFC 6062: the peer data connections and the client data connections
  // spliced to them go with the allocation.
  ClosePeerConnections(allocation);
  if (allocation.answered) {
    const EventSubject subject = SubjectOf(allocation);
    auto relayed_for = [&](const IpAddress& peer) {
      const turn::Relay* relay = allocation.RelayFor(peer.family());
      return relay ? relay->address : TransportAddress{};
    };
    // Every Created gets its Deleted, in a deterministic order.
    std::vector<uint16_t> numbers;
    for (const auto& [number, binding] : allocation.channels) {
      numbers.push_back(number);
    }
    std::sort(numbers.begin(), numbers.end());
    for (uint16_t number : numbers) {
      const TransportAddress& peer = allocation.channels[number].peer;
      Emit(ChannelDeleted{subject, relayed_for(peer.ip), peer, number});
    }
    std::vector<IpAddress> peers;
    for (const auto& [peer, permission] : allocation.permissions) {
      peers.push_back(peer);
    }
    std::sort(peers.begin(), peers.end());
    for (const IpAddress& peer : peers) {
      Emit(PermissionDeleted{subject, relayed_for(peer), peer});
    }
    std::vector<TransportAddress> relayed;
    for (const turn::Relay& relay : allocation.relays) {
      if (relay.state == turn::RelayState::kOpen) {
        relayed.push_back(relay.address);
      }
    }
    Emit(AllocationDeleted{subject, std::move(relayed), reason,
                           allocation.counters});
  }
  for (const turn::Relay& relay : allocation.relays) {
    if (relay.state == turn::RelayState::kOpening) {
      // Not bound yet: closed once HandleRelayOpened reports it, so each
      // bound socket gets exactly one CloseRelay, after it exists. Port+1
      // of EVEN-PORT R=1 (reserve_id, set only while the first relay
      // opens) goes with it.
      const bool first = relay.id == allocation.relays.front().id;
      table_.Abandon(relay.id, first ? allocation.reserve_id : std::nullopt);
    } else {
      commands_.push_back(CloseRelay{relay.id});
    }
  }
  if (allocation.holds_quota && deps_.reservations != nullptr) {
    if (turn::Reservation* orphan = table_.PendingReservationOf(allocation)) {
      // Several workers: the registry says whether the reservation is
      // still there to hold the slot, or a claim took it (then the slot
      // is given back below, and the table's entry goes).
      const uint64_t token = *allocation.reservation_token;
      if (deps_.reservations->HoldQuota(token, allocation.username,
                                        allocation.five_tuple.client.ip)) {
        orphan->holds_quota = true;
        orphan->username = allocation.username;
        orphan->client_ip = allocation.five_tuple.client.ip;
        table_.Erase(allocation);
        return;
      }
      table_.EraseReservation(token);
    }
  }
  if (allocation.holds_quota) {
    if (turn::Reservation* orphan = table_.PendingReservationOf(allocation)) {
      // Its port+1 stays held, so the slot stays counted (docs/security.md).
      orphan->holds_quota = true;
      orphan->username = allocation.username;
      orphan->client_ip = allocation.five_tuple.client.ip;
    } else {
      deps_.quotas->Release(allocation.username,
                            allocation.five_tuple.client.ip);
    }
  }
  // Last: `allocation` dies here, with its indexes and timers.
  table_.Erase(allocation);
}

}  // namespace turnpike::core
