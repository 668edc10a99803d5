// One TURN allocation's state (RFC 8656 §2.2, §5): who owns it, its relay
// sockets, permissions and channel bindings. Plain data; the rules that
// change it live in the Server's handlers, and the fields the indexes
// mirror change only through AllocationTable (allocation_table.h).
#ifndef TURNPIKE_CORE_TURN_ALLOCATION_H_
#define TURNPIKE_CORE_TURN_ALLOCATION_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <vector>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/time/time.h"
#include "core/command.h"
#include "core/events.h"
#include "core/net/transport_address.h"
#include "core/stun/constants.h"
#include "core/stun/integrity.h"
#include "core/turn/token_bucket.h"
#include "core/types.h"

namespace turnpike::core::turn {

struct AllocationId {
  uint64_t value = 0;
  friend auto operator<=>(const AllocationId&, const AllocationId&) = default;
  template <typename H>
  friend H AbslHashValue(H h, AllocationId id) {
    return H::combine(std::move(h), id.value);
  }
};

enum class RelayState : uint8_t { kOpening, kOpen, kFailed };

// One relay transport address (RFC 8656 §2.2); a dual allocation has two.
struct Relay {
  RelayId id;
  AddressFamily family = AddressFamily::kIpv4;
  RelayState state = RelayState::kOpening;
  TransportAddress address;  // once open
};

// The peer policy's verdict on one peer, kept where the data path finds the
// peer anyway (its permission, its channel binding) so a relayed packet costs
// one hash lookup, not a lookup and a CIDR scan. It is valid while
// `generation` equals PeerFilter::generation(); a new policy (SetPeerRules)
// bumps that, and the next packet re-evaluates. 0 is never a generation.
struct CachedVerdict {
  uint32_t generation = 0;
  bool allowed = false;
};

// RFC 8656 §9: one permission, by peer IP.
struct Permission {
  MonoTime expiry;
  CachedVerdict verdict;
};

struct ChannelBinding {
  ChannelBinding() = default;
  ChannelBinding(const TransportAddress& bound_peer, MonoTime until)
      : peer(bound_peer), expiry(until) {}

  TransportAddress peer;
  MonoTime expiry;
  // Whether the peer's IP holds a permission (RFC 8656 §9), mirrored here by
  // AllocationTable so ChannelData needs no permission lookup.
  bool permitted = false;
  CachedVerdict verdict;
};

// channel_by_peer's entry: the number bound to the peer, with the same
// mirror and cache as its ChannelBinding (the peer-to-client direction's).
struct PeerChannel {
  uint16_t number = 0;
  bool permitted = false;
  CachedVerdict verdict;
};

// RFC 6062: where a peer data connection stands.
enum class PeerConnectionState : uint8_t {
  // ConnectPeer issued for a Connect request (§5.2), not yet answered by
  // the runtime; the Connect is answered when it is.
  kConnecting,
  // Connected (§5.2) or accepted (§5.3), its CONNECTION-ID given to the
  // client; closed unless a ConnectionBind names it within 30 s.
  kPendingBind,
  // Spliced to a client data connection (§5.4).
  kBound,
};

// One RFC 6062 peer data connection of a TCP allocation.
struct PeerConnection {
  // CONNECTION-ID (RFC 6062 §6.2.1): the client's name for it, random and
  // unique among the live ones.
  uint32_t number = 0;
  // The runtime's name for the peer's TCP connection.
  ConnectionId peer;
  AllocationId owner;
  TransportAddress peer_address;
  PeerConnectionState state = PeerConnectionState::kConnecting;
  // The connect timeout (kConnecting) or the bind timeout (kPendingBind);
  // a bound connection has none.
  MonoTime deadline;
  // The Connect to answer (kConnecting), and how it was protected.
  stun::TransactionId connect_transaction{};
  bool connect_used_sha256 = false;
  bool connect_had_fingerprint = false;
  // The client data connection, once kBound.
  ConnectionId data;
};

struct Allocation {
  AllocationId id;
  FiveTuple five_tuple;
  // RFC 8656 §5: later requests must use the same credentials (else 441).
  std::string username;
  std::string realm;
  stun::HmacKey key;
  // Whether the quota ledger counted this allocation (released on delete).
  bool holds_quota = false;
  stun::PasswordAlgorithmId algorithm = stun::PasswordAlgorithmId::kMd5;

  absl::InlinedVector<Relay, 2> relays;
  // The additional family the client asked for but could not have (RFC 8656
  // §7.2: ADDRESS-ERROR-CODE in the success response); 0 when none.
  uint8_t failed_family = 0;
  int failed_family_code = 0;

  Duration lifetime{};
  MonoTime expiry;  // valid once answered
  // The expiry of the credential that created it (TURN REST): no lifetime
  // granted reaches past it.
  std::optional<absl::Time> credential_expiry;

  // The Allocate this allocation answers: a retransmission (same ID) gets
  // `response` again (RFC 8656 §7.2).
  stun::TransactionId allocate_transaction{};
  bool answered = false;
  bool request_had_fingerprint = false;
  bool request_used_sha256 = false;
  bool reserve_next = false;  // EVEN-PORT R=1
  // The relay holding port+1 until it opens and becomes a Reservation.
  std::optional<RelayId> reserve_id;
  std::optional<uint64_t> reservation_token;  // once port+1 is held
  uint16_t requested_port = 0;
  // The success response, for a retransmitted Allocate. Held on the heap,
  // exactly sized, and released by the first request of another
  // transaction on this allocation (Server::RequireAllocation): the client
  // has its answer by then. It was the largest field (an inline 256-byte
  // buffer), so most allocations now hold nothing here (docs/performance.md).
  std::vector<uint8_t> response;

  // RFC 8656 §9: permissions by peer IP (ports ignored).
  absl::flat_hash_map<IpAddress, Permission> permissions;
  // RFC 8656 §12: bindings both ways, and the §12.1 cool-down of numbers
  // and peers whose binding expired (until when, and to what).
  absl::flat_hash_map<uint16_t, ChannelBinding> channels;
  absl::flat_hash_map<TransportAddress, PeerChannel> channel_by_peer;
  absl::flat_hash_map<uint16_t, ChannelBinding> cooling_channels;

  // RFC 6062: kTcp for a TCP allocation (REQUESTED-TRANSPORT 6), whose
  // relay listens for peers and whose data flows over peer connections.
  Transport relay_transport = Transport::kUdp;
  // Its peer data connections by CONNECTION-ID (the table's index owns
  // them).
  absl::flat_hash_set<uint32_t> peer_connections;

  TokenBucket to_peer_budget;
  TokenBucket to_client_budget;
  RelayCounters counters;

  const Relay* RelayFor(AddressFamily family) const {
    for (const Relay& r : relays) {
      if (r.family == family && r.state == RelayState::kOpen) return &r;
    }
    return nullptr;
  }
  const Relay* RelayById(RelayId relay) const {
    for (const Relay& r : relays) {
      if (r.id == relay) return &r;
    }
    return nullptr;
  }
  void RemoveRelay(RelayId relay) {
    for (auto it = relays.begin(); it != relays.end(); ++it) {
      if (it->id == relay) {
        relays.erase(it);
        return;
      }
    }
  }
  bool AllRelaysSettled() const {
    for (const Relay& r : relays) {
      if (r.state == RelayState::kOpening) return false;
    }
    return true;
  }
};

// RFC 8656 §7.2 EVEN-PORT R=1: port+1 of an even relay port, held for a
// later Allocate carrying the token.
//
// A held port is a socket, so it counts against the quotas: while the
// allocation that made it lives, the two share that allocation's slot;
// when the allocation goes first, the slot stays with the reservation
// (holds_quota) until it is claimed or expires.
struct Reservation {
  RelayId relay;
  TransportAddress address;
  MonoTime expiry;
  AllocationId creator;
  bool holds_quota = false;
  // Whose slot it holds, when holds_quota.
  std::string username;
  IpAddress client_ip;
};

}  // namespace turnpike::core::turn

#endif  // TURNPIKE_CORE_TURN_ALLOCATION_H_
