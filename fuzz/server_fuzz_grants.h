// What the server has granted each client, as far as the fuzzer can tell
// from the wire alone: a shadow kept apart from the server's own tables, so
// the data oracles in server_fuzzer.cc do not trust the state they check.
//
//  * An allocation exists from the Allocate success response on its 5-tuple
//    until LIFETIME seconds later (from that response or the last Refresh
//    success), a Refresh success with LIFETIME 0, the connection closing, or
//    one of its relay sockets breaking (RFC 8656 §7, §3.2). Its relays are
//    the OpenRelay ids the Allocate caused (less those that failed or were
//    closed), or the port+1 a RESERVATION-TOKEN names.
//  * A permission for a peer IP from a CreatePermission or ChannelBind
//    success, for the configured permission lifetime (RFC 8656 §9, §12.2).
//  * A channel binding from a ChannelBind success, for the configured
//    channel lifetime (§12).
//
// Each lives while `now < expiry`: the server expires what is due at `now`
// before it relays anything (core/server.h), so at the deadline itself the
// grant is gone. Requests are remembered only for the step that sent them:
// every response but Allocate's comes back in the same step's commands.
#ifndef TURNPIKE_FUZZ_SERVER_FUZZ_GRANTS_H_
#define TURNPIKE_FUZZ_SERVER_FUZZ_GRANTS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/command.h"
#include "core/config.h"
#include "core/stun/message_view.h"
#include "core/types.h"
#include "fuzz/server_fuzz_world.h"

namespace turnpike::fuzz {

struct GrantedRelay {
  core::RelayId id;
  AddressFamily family = AddressFamily::kIpv4;
};

class GrantBook {
 public:
  // Takes the permission and channel lifetimes from `config`.
  explicit GrantBook(const core::ServerConfig& config);

  // What happened, in the order the fuzzer sees it.
  // A client message (any bytes): remembered for this step when it is a
  // TURN request.
  void OnClientMessage(size_t tuple, absl::Span<const uint8_t> message);
  void OnOpenRelay(const core::OpenRelay& open);
  // A response sent to `tuple` (already parsed and checked by the caller).
  void OnResponse(core::MonoTime now, size_t tuple,
                  const stun::MessageView& response);
  void OnRelayFailed(core::RelayId id);
  void OnCloseRelay(core::RelayId id);
  void OnConnectionClosed(size_t tuple);
  // The server announced the allocation on `tuple` gone: the shadow must
  // already agree (or the allocation was never answered).
  void OnAllocationDeleted(core::MonoTime now, size_t tuple);
  void OnShutdown();
  // The step's commands are drained: its request is answered or never will
  // be.
  void EndStep();

  // Queries, all as of `now`.
  bool HasAllocation(size_t tuple, core::MonoTime now) const;
  // The allocation whose relay `id` is, if it is live.
  std::optional<size_t> OwnerOf(core::RelayId id, core::MonoTime now) const;
  // The relay of `family` the allocation on `tuple` sends from.
  std::optional<core::RelayId> RelayFor(size_t tuple, AddressFamily family,
                                        core::MonoTime now) const;
  bool Permitted(size_t tuple, const IpAddress& peer, core::MonoTime now) const;
  // The peer bound to `channel`, and the channel bound to `peer`.
  std::optional<TransportAddress> ChannelPeer(size_t tuple, uint16_t channel,
                                              core::MonoTime now) const;
  std::optional<uint16_t> ChannelOf(size_t tuple, const TransportAddress& peer,
                                    core::MonoTime now) const;

 private:
  struct Binding {
    TransportAddress peer;
    core::MonoTime expiry;
  };
  struct Allocation {
    stun::TransactionId transaction{};
    std::vector<GrantedRelay> relays;
    core::MonoTime expiry;
    absl::flat_hash_map<IpAddress, core::MonoTime> permissions;
    absl::flat_hash_map<uint16_t, Binding> channels;
  };
  // An Allocate whose relays are being opened.
  struct Pending {
    stun::TransactionId transaction{};
    std::vector<GrantedRelay> relays;
    std::optional<GrantedRelay> reserved;  // EVEN-PORT R=1's port+1
  };
  // The TURN request a client sent in this step.
  struct Request {
    size_t tuple = 0;
    uint16_t method = 0;
    stun::TransactionId transaction{};
    absl::InlinedVector<TransportAddress, 2> peers;
    std::optional<uint16_t> channel;
    std::optional<uint8_t> family;
    std::optional<uint64_t> token;
  };

  const Allocation* Live(size_t tuple, core::MonoTime now) const;
  Allocation* Live(size_t tuple, core::MonoTime now);
  void OnAllocateSuccess(core::MonoTime now, size_t tuple,
                         const stun::MessageView& response);
  void OnRefreshSuccess(core::MonoTime now, Allocation& allocation,
                        const stun::MessageView& response);
  // The step's request on `tuple` that `response` answers, if any.
  const Request* Answered(size_t tuple,
                          const stun::MessageView& response) const;

  core::Duration permission_lifetime_;
  core::Duration channel_lifetime_;
  std::array<std::optional<Allocation>, kTupleCount> allocations_;
  std::array<std::optional<Pending>, kTupleCount> pending_;
  // RESERVATION-TOKEN → the port+1 relay it names (RFC 8656 §7.2).
  absl::flat_hash_map<uint64_t, GrantedRelay> reserved_;
  std::optional<Request> request_;
  bool opened_this_step_ = false;
};

}  // namespace turnpike::fuzz

#endif  // TURNPIKE_FUZZ_SERVER_FUZZ_GRANTS_H_
