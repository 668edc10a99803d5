#include "fuzz/server_fuzz_grants.h"

#include <algorithm>
#include <chrono>

#include "core/stun/channel_data.h"
#include "fuzz/fuzz_support.h"

namespace turnpike::fuzz {

using stun::Method;

namespace {

bool IsTurnRequest(uint16_t method) {
  switch (static_cast<Method>(method)) {
    case Method::kAllocate:
    case Method::kRefresh:
    case Method::kCreatePermission:
    case Method::kChannelBind:
      return true;
    default:
      return false;
  }
}

void RemoveRelay(std::vector<GrantedRelay>& relays, core::RelayId id) {
  relays.erase(
      std::remove_if(relays.begin(), relays.end(),
                     [&](const GrantedRelay& r) { return r.id == id; }),
      relays.end());
}

}  // namespace

GrantBook::GrantBook(const core::ServerConfig& config)
    : permission_lifetime_(config.permission_lifetime),
      channel_lifetime_(config.channel_lifetime) {
  // An allocation's expiry is learned from LIFETIME, which is in whole
  // seconds; with a fraction in the configured lifetimes the server would
  // keep allocations a little longer than the shadow, and the data oracles
  // would flag packets the server may relay.
  FUZZ_CHECK(config.default_lifetime % std::chrono::seconds(1) ==
             core::Duration::zero());
  FUZZ_CHECK(config.max_lifetime % std::chrono::seconds(1) ==
             core::Duration::zero());
}

void GrantBook::OnClientMessage(size_t tuple,
                                absl::Span<const uint8_t> message) {
  request_.reset();
  if (message.empty() || stun::LooksLikeChannelData(message[0])) return;
  const auto parsed = stun::MessageView::Parse(message);
  if (!parsed.ok() || parsed->message_class() != stun::MessageClass::kRequest ||
      !IsTurnRequest(parsed->method())) {
    return;
  }
  Request request;
  request.tuple = tuple;
  request.method = parsed->method();
  request.transaction = parsed->transaction_id();
  request.peers = parsed->XorPeerAddresses();
  request.channel = parsed->ChannelNumber();
  request.family = parsed->RequestedAddressFamily();
  request.token = parsed->ReservationToken();
  request_ = std::move(request);
}

void GrantBook::OnOpenRelay(const core::OpenRelay& open) {
  // Only an Allocate asks for relay sockets, in the step it arrives.
  FUZZ_CHECK(request_.has_value() &&
             request_->method == static_cast<uint16_t>(Method::kAllocate));
  std::optional<Pending>& pending = pending_[request_->tuple];
  if (!opened_this_step_) {
    // A new allocation (its IPv6 relay, if any, follows in this step).
    pending = Pending{request_->transaction, {}, std::nullopt};
    opened_this_step_ = true;
  }
  pending->relays.push_back({open.id, open.family});
  if (open.reserve_id) pending->reserved = {*open.reserve_id, open.family};
}

const GrantBook::Request* GrantBook::Answered(
    size_t tuple, const stun::MessageView& response) const {
  if (!request_ || request_->tuple != tuple ||
      request_->method != response.method() ||
      request_->transaction != response.transaction_id()) {
    return nullptr;
  }
  return &*request_;
}

void GrantBook::OnResponse(core::MonoTime now, size_t tuple,
                           const stun::MessageView& response) {
  if (!IsTurnRequest(response.method())) return;
  const bool success =
      response.message_class() == stun::MessageClass::kSuccessResponse;
  if (response.method() == static_cast<uint16_t>(Method::kAllocate)) {
    if (success) {
      OnAllocateSuccess(now, tuple, response);
    } else if (std::optional<Pending>& pending = pending_[tuple];
               pending && pending->transaction == response.transaction_id() &&
               !Answered(tuple, response)) {
      // Not an answer to a request sent now (a retransmission can be
      // challenged while its allocation opens): the relay failed (508).
      pending.reset();
    }
    return;
  }
  if (!success) return;
  const Request* request = Answered(tuple, response);
  // Refresh, CreatePermission and ChannelBind are answered at once.
  FUZZ_CHECK(request != nullptr);
  Allocation* allocation = Live(tuple, now);
  // RFC 8656 §7.3, §9.2, §12.2: without an allocation they get 437.
  FUZZ_CHECK(allocation != nullptr);
  switch (static_cast<Method>(response.method())) {
    case Method::kRefresh: {
      const std::optional<uint32_t> lifetime = response.Lifetime();
      FUZZ_CHECK(lifetime.has_value());
      if (*lifetime > 0) {
        allocation->expiry = now + std::chrono::seconds(*lifetime);
        break;
      }
      // RFC 8656 §7.3: LIFETIME 0 deletes the allocation, or only the
      // family REQUESTED-ADDRESS-FAMILY names when it has two.
      if (request->family && allocation->relays.size() > 1) {
        const AddressFamily family = *request->family == 0x02
                                         ? AddressFamily::kIpv6
                                         : AddressFamily::kIpv4;
        allocation->relays.erase(
            std::remove_if(
                allocation->relays.begin(), allocation->relays.end(),
                [&](const GrantedRelay& r) { return r.family == family; }),
            allocation->relays.end());
      } else {
        allocations_[tuple].reset();
      }
      break;
    }
    case Method::kCreatePermission:
      // RFC 8656 §9.2: one permission per XOR-PEER-ADDRESS, ports ignored.
      for (const TransportAddress& peer : request->peers) {
        allocation->permissions[peer.ip] = now + permission_lifetime_;
      }
      break;
    case Method::kChannelBind: {
      FUZZ_CHECK(request->channel.has_value() && request->peers.size() == 1);
      const uint16_t number = *request->channel;
      const TransportAddress& peer = request->peers.front();
      // RFC 8656 §12.2: a live binding is never moved to another peer, and
      // a peer never gets a second number.
      for (const auto& [bound, binding] : allocation->channels) {
        if (binding.expiry <= now) continue;
        FUZZ_CHECK(bound != number || binding.peer == peer);
        FUZZ_CHECK(binding.peer != peer || bound == number);
      }
      allocation->channels[number] = {peer, now + channel_lifetime_};
      allocation->permissions[peer.ip] = now + permission_lifetime_;
      break;
    }
    default:
      break;
  }
}

void GrantBook::OnAllocateSuccess(core::MonoTime now, size_t tuple,
                                  const stun::MessageView& response) {
  const stun::TransactionId& transaction = response.transaction_id();
  if (const Allocation* live = Live(tuple, now)) {
    // RFC 8656 §7.2: a retransmitted Allocate gets the stored response
    // again; the allocation is not created or refreshed by it.
    FUZZ_CHECK(live->transaction == transaction);
    return;
  }
  std::vector<GrantedRelay> relays;
  std::optional<Pending>& pending = pending_[tuple];
  if (pending && pending->transaction == transaction) {
    relays = pending->relays;
    if (const std::optional<uint64_t> token = response.ReservationToken()) {
      FUZZ_CHECK(pending->reserved.has_value());
      reserved_[*token] = *pending->reserved;
    }
    pending.reset();
  } else {
    // RFC 8656 §7.2: a RESERVATION-TOKEN claims an already bound port and
    // is answered at once.
    const Request* request = Answered(tuple, response);
    FUZZ_CHECK(request != nullptr && request->token.has_value());
    auto it = reserved_.find(*request->token);
    FUZZ_CHECK(it != reserved_.end());
    relays = {it->second};
    reserved_.erase(it);
  }
  // Every relay that opened is advertised.
  FUZZ_CHECK(response.XorRelayedAddresses().size() == relays.size());
  const std::optional<uint32_t> lifetime = response.Lifetime();
  FUZZ_CHECK(lifetime.has_value() && *lifetime > 0);
  Allocation allocation;
  allocation.transaction = transaction;
  allocation.relays = std::move(relays);
  allocation.expiry = now + std::chrono::seconds(*lifetime);
  allocations_[tuple] = std::move(allocation);
}

void GrantBook::OnRelayFailed(core::RelayId id) {
  for (size_t t = 0; t < kTupleCount; ++t) {
    if (pending_[t]) RemoveRelay(pending_[t]->relays, id);
    std::optional<Allocation>& allocation = allocations_[t];
    if (!allocation) continue;
    for (const GrantedRelay& relay : allocation->relays) {
      // core/server.h: a relay socket breaking ends its allocation.
      if (relay.id == id) {
        allocation.reset();
        break;
      }
    }
  }
}

void GrantBook::OnCloseRelay(core::RelayId id) {
  for (size_t t = 0; t < kTupleCount; ++t) {
    if (pending_[t]) RemoveRelay(pending_[t]->relays, id);
    if (allocations_[t]) RemoveRelay(allocations_[t]->relays, id);
  }
}

void GrantBook::OnConnectionClosed(size_t tuple) {
  // core/server.h: the allocation on that 5-tuple goes, answered or not.
  allocations_[tuple].reset();
  pending_[tuple].reset();
}

void GrantBook::OnAllocationDeleted(core::MonoTime now, size_t tuple) {
  // Every reason the server deletes an allocation is one the shadow
  // follows: expiry, Refresh 0, connection closed, relay broken, shutdown.
  FUZZ_CHECK(!HasAllocation(tuple, now));
  allocations_[tuple].reset();
}

void GrantBook::OnShutdown() {
  for (auto& allocation : allocations_) allocation.reset();
  for (auto& pending : pending_) pending.reset();
}

void GrantBook::EndStep() {
  request_.reset();
  opened_this_step_ = false;
}

const GrantBook::Allocation* GrantBook::Live(size_t tuple,
                                             core::MonoTime now) const {
  const std::optional<Allocation>& allocation = allocations_[tuple];
  if (!allocation || allocation->expiry <= now) return nullptr;
  return &*allocation;
}

GrantBook::Allocation* GrantBook::Live(size_t tuple, core::MonoTime now) {
  std::optional<Allocation>& allocation = allocations_[tuple];
  if (!allocation || allocation->expiry <= now) return nullptr;
  return &*allocation;
}

bool GrantBook::HasAllocation(size_t tuple, core::MonoTime now) const {
  return Live(tuple, now) != nullptr;
}

std::optional<size_t> GrantBook::OwnerOf(core::RelayId id,
                                         core::MonoTime now) const {
  for (size_t t = 0; t < kTupleCount; ++t) {
    const Allocation* allocation = Live(t, now);
    if (!allocation) continue;
    for (const GrantedRelay& relay : allocation->relays) {
      if (relay.id == id) return t;
    }
  }
  return std::nullopt;
}

std::optional<core::RelayId> GrantBook::RelayFor(size_t tuple,
                                                 AddressFamily family,
                                                 core::MonoTime now) const {
  const Allocation* allocation = Live(tuple, now);
  if (!allocation) return std::nullopt;
  for (const GrantedRelay& relay : allocation->relays) {
    if (relay.family == family) return relay.id;
  }
  return std::nullopt;
}

bool GrantBook::Permitted(size_t tuple, const IpAddress& peer,
                          core::MonoTime now) const {
  const Allocation* allocation = Live(tuple, now);
  if (!allocation) return false;
  auto it = allocation->permissions.find(peer);
  return it != allocation->permissions.end() && now < it->second;
}

std::optional<TransportAddress> GrantBook::ChannelPeer(
    size_t tuple, uint16_t channel, core::MonoTime now) const {
  const Allocation* allocation = Live(tuple, now);
  if (!allocation) return std::nullopt;
  auto it = allocation->channels.find(channel);
  if (it == allocation->channels.end() || it->second.expiry <= now) {
    return std::nullopt;
  }
  return it->second.peer;
}

std::optional<uint16_t> GrantBook::ChannelOf(size_t tuple,
                                             const TransportAddress& peer,
                                             core::MonoTime now) const {
  const Allocation* allocation = Live(tuple, now);
  if (!allocation) return std::nullopt;
  for (const auto& [number, binding] : allocation->channels) {
    if (binding.peer == peer && now < binding.expiry) return number;
  }
  return std::nullopt;
}

}  // namespace turnpike::fuzz
