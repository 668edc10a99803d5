// Every timer of a Server in one priority queue (EXAMPLES.md §2.2): ordered
// by time, ties broken by insertion order so expiry is deterministic.
// Entries are never removed when their owner is refreshed or deleted; the
// server checks on pop that the owner still expires at that instant
// (lazy cancellation) and Prune drops such stale tops so NextDeadline is
// exact.
#ifndef TURNPIKE_CORE_TURN_DEADLINE_QUEUE_H_
#define TURNPIKE_CORE_TURN_DEADLINE_QUEUE_H_

#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

#include "core/net/transport_address.h"
#include "core/types.h"

namespace turnpike::core::turn {

enum class DeadlineKind : uint8_t {
  kAllocation,       // owner: allocation id
  kPermission,       // owner: allocation id; peer_ip
  kChannel,          // owner: allocation id; channel
  kChannelCooldown,  // owner: allocation id; channel
  kReservation,      // owner: reservation token
};

struct Deadline {
  MonoTime at;
  uint64_t sequence = 0;
  DeadlineKind kind = DeadlineKind::kAllocation;
  uint64_t owner = 0;
  IpAddress peer_ip;
  uint16_t channel = 0;
};

class DeadlineQueue {
 public:
  void Push(MonoTime at, DeadlineKind kind, uint64_t owner,
            IpAddress peer_ip = {}, uint16_t channel = 0) {
    heap_.push(Deadline{at, next_sequence_++, kind, owner, peer_ip, channel});
  }
  const Deadline* Top() const { return heap_.empty() ? nullptr : &heap_.top(); }
  void Pop() { heap_.pop(); }
  size_t size() const { return heap_.size(); }

 private:
  struct Later {
    bool operator()(const Deadline& a, const Deadline& b) const {
      return a.at != b.at ? a.at > b.at : a.sequence > b.sequence;
    }
  };
  std::priority_queue<Deadline, std::vector<Deadline>, Later> heap_;
  uint64_t next_sequence_ = 0;
};

}  // namespace turnpike::core::turn

#endif  // TURNPIKE_CORE_TURN_DEADLINE_QUEUE_H_
