// The allocations of one Server and every index over them (DESIGN.md "One
// table owns the indexes"): by 5-tuple for client messages, by relay for
// peer datagrams, permissions and channel bindings per allocation, EVEN-PORT
// reservations by token, the relay opens whose allocation went away, the
// RFC 6062 peer data connections (by CONNECTION-ID, by the runtime's peer
// connection id and by the client data connection they are spliced to),
// and the deadline queue with one entry per live timed object.
//
// The fields of an Allocation that these indexes mirror (id, five_tuple,
// relays, expiry once answered, permissions, channels, channel_by_peer,
// cooling_channels, peer_connections) change only through the methods
// here, so the indexes
// cannot drift from them; the request handlers read them freely and change
// the rest of an Allocation (counters, budgets, the answer) themselves.
// The table decides nothing about the protocol and emits no commands: the
// handlers do that, then tell the table what changed.
#ifndef TURNPIKE_CORE_TURN_ALLOCATION_TABLE_H_
#define TURNPIKE_CORE_TURN_ALLOCATION_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "core/net/transport_address.h"
#include "core/turn/allocation.h"
#include "core/turn/deadline_queue.h"
#include "core/types.h"

namespace turnpike::core::turn {

class AllocationTable {
 public:
  // What CheckInvariants holds the allocations to (ServerConfig's values;
  // 0 is no cap). The caps are enforced by the handlers, which answer 508.
  struct Limits {
    uint16_t max_channel_number = 0;
    uint32_t max_permissions = 0;
    uint32_t max_channels = 0;
    uint32_t max_peer_connections = 0;  // RFC 6062, per allocation
  };

  explicit AllocationTable(Limits limits) : limits_(limits) {}
  AllocationTable(const AllocationTable&) = delete;
  AllocationTable& operator=(const AllocationTable&) = delete;

  // --- Allocations -------------------------------------------------------
  // A new, unanswered allocation on `five_tuple`, with the next id; the
  // caller fills in the rest. The 5-tuple must have no allocation yet.
  Allocation& Create(const FiveTuple& five_tuple);
  // Removes the allocation from every index with its timers (its relays
  // too: the caller closes or abandons them first). `allocation` dies here.
  void Erase(Allocation& allocation);

  // The data path's one lookup each (inline: every relayed packet).
  Allocation* Find(const FiveTuple& five_tuple) const {
    auto it = by_five_tuple_.find(five_tuple);
    return it == by_five_tuple_.end() ? nullptr : it->second;
  }
  Allocation* FindByRelay(RelayId relay) const {
    auto it = by_relay_.find(relay);
    return it == by_relay_.end() ? nullptr : it->second;
  }
  size_t size() const { return allocations_.size(); }
  // Every allocation id, ascending: the order for emitting commands over
  // all of them (hash order differs between processes).
  std::vector<AllocationId> IdsInOrder() const;
  // Calls fn(const Allocation&) for each allocation in hash order: only
  // for what the order cannot change (sums, read-only views).
  template <typename Fn>
  void ForEachUnordered(Fn&& fn) const {
    for (const auto& [id, allocation] : allocations_) fn(*allocation);
  }
  Allocation& Get(AllocationId id) const { return *allocations_.at(id); }

  // The allocation is answered (or refreshed) and lives until `expiry`.
  void SetExpiry(Allocation& allocation, MonoTime expiry);

  // --- Relays ------------------------------------------------------------
  void AddRelay(Allocation& allocation, const Relay& relay);
  void RemoveRelay(Allocation& allocation, RelayId relay);
  // A relay still opening when its allocation was deleted: remembered so
  // HandleRelayOpened can close it (and its EVEN-PORT port+1, `reserve`).
  void Abandon(RelayId relay, std::optional<RelayId> reserve);
  // Forgets an abandoned open; returns its port+1 id, if it had one.
  std::optional<RelayId> ForgetAbandoned(RelayId relay);

  // --- Permissions (RFC 8656 §9) -----------------------------------------
  // Installs or refreshes the permission for `peer` until `expiry`;
  // returns whether it is new.
  bool InstallPermission(Allocation& allocation, const IpAddress& peer,
                         MonoTime expiry);
  void RemovePermission(Allocation& allocation, const IpAddress& peer);

  // --- Channels (RFC 8656 §12) -------------------------------------------
  // Binds or refreshes `number` ↔ `peer` until `expiry`, ending a cool-down
  // of `number`; returns whether the binding is new. The handler has
  // checked §12.2 (neither side bound or cooling to something else).
  bool BindChannel(Allocation& allocation, uint16_t number,
                   const TransportAddress& peer, MonoTime expiry);
  // RFC 8656 §12.1: the binding of `number` ends and its number and peer
  // cool down for `cooldown` from the binding's expiry. Returns the peer it
  // was bound to.
  TransportAddress UnbindChannel(Allocation& allocation, uint16_t number,
                                 Duration cooldown);
  void EndCooldown(Allocation& allocation, uint16_t number);

  // --- EVEN-PORT reservations (RFC 8656 §7.2) -----------------------------
  // Holds `reservation` under `token`, or the next free token after it;
  // returns the token used.
  uint64_t AddReservation(uint64_t token, const Reservation& reservation);
  Reservation* FindReservation(uint64_t token);
  void EraseReservation(uint64_t token);
  // The reservation `allocation` made, while it is still unclaimed.
  Reservation* PendingReservationOf(const Allocation& allocation);
  // Every reservation token, ascending.
  std::vector<uint64_t> ReservationTokensInOrder() const;

  // --- RFC 6062 peer data connections -------------------------------------
  // Adds `connection` (state kConnecting or kPendingBind, with its
  // deadline) to its owner, which must be a live TCP allocation; its
  // number and peer id must be new.
  PeerConnection& AddPeerConnection(Allocation& owner,
                                    const PeerConnection& connection);
  PeerConnection* FindPeerConnection(uint32_t number) {
    auto it = peer_connections_.find(number);
    return it == peer_connections_.end() ? nullptr : &it->second;
  }
  // By the runtime's id of the peer's connection.
  PeerConnection* FindByPeerConnection(ConnectionId peer);
  // By the client data connection it is spliced to.
  PeerConnection* FindByDataConnection(ConnectionId data);
  bool HasDataConnections() const { return !by_data_connection_.empty(); }
  // The connection is connected and waits for its ConnectionBind until
  // `deadline` (kConnecting → kPendingBind).
  void AwaitBind(PeerConnection& connection, MonoTime deadline);
  // The connection is spliced to `data` (kPendingBind → kBound): its timer
  // goes, and `data` is indexed.
  void BindPeerConnection(PeerConnection& connection, ConnectionId data);
  // Removes the connection from every index with its timer.
  void ErasePeerConnection(uint32_t number);
  // The allocation's CONNECTION-IDs, ascending (the order to close them).
  std::vector<uint32_t> PeerConnectionsOf(const Allocation& allocation) const;

  // --- Timers ------------------------------------------------------------
  std::optional<MonoTime> NextDeadline() const {
    const Deadline* top = deadlines_.Top();
    if (!top) return std::nullopt;
    return top->at;
  }
  // Whether anything is due at `now` (one comparison: the packet path).
  bool AnythingDue(MonoTime now) const {
    const Deadline* top = deadlines_.Top();
    return top && top->at <= now;
  }
  // Removes and returns the earliest deadline due at `now` whose owner
  // still expires then; nullopt when none is due. The caller expires the
  // object through the methods above.
  std::optional<Deadline> PopDue(MonoTime now);
  size_t deadline_count() const { return deadlines_.size(); }

  // --- Invariants ----------------------------------------------------------
  // O(n): the first index invariant that does not hold, or nullptr.
  const char* BrokenInvariant() const;
  // Aborts, naming the broken invariant, when BrokenInvariant() finds one.
  void CheckInvariants() const;

 private:
  // Sets `permitted` on the allocation's channels bound to `peer`'s IP.
  void MirrorPermission(Allocation& allocation, const IpAddress& peer,
                        bool permitted);
  // Whether the owner of `deadline` still expires at that instant.
  bool IsLive(const Deadline& deadline) const;
  void EraseDeadlinesOf(const Allocation& allocation);

  Limits limits_;
  absl::flat_hash_map<AllocationId, std::unique_ptr<Allocation>> allocations_;
  // The indexes point into `allocations_` (unique_ptr: stable addresses) so
  // a relayed packet costs one lookup to reach its allocation.
  absl::flat_hash_map<FiveTuple, Allocation*> by_five_tuple_;
  absl::flat_hash_map<RelayId, Allocation*> by_relay_;
  absl::flat_hash_map<uint64_t, Reservation> reservations_;
  // OpenRelay ids whose allocation was deleted before the runtime reported
  // them, with their EVEN-PORT port+1 id when there is one.
  absl::flat_hash_map<RelayId, std::optional<RelayId>> abandoned_opens_;
  // RFC 6062 peer data connections by CONNECTION-ID, and the two ways in.
  // Node-based: a PeerConnection* stays valid while others come and go.
  absl::node_hash_map<uint32_t, PeerConnection> peer_connections_;
  absl::flat_hash_map<ConnectionId, uint32_t> by_peer_connection_;
  absl::flat_hash_map<ConnectionId, uint32_t> by_data_connection_;
  DeadlineQueue deadlines_;
  uint64_t next_allocation_id_ = 1;
};

}  // namespace turnpike::core::turn

#endif  // TURNPIKE_CORE_TURN_ALLOCATION_TABLE_H_
