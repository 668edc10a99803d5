// Every timer of a Server in one priority queue (EXAMPLES.md §2.2): ordered
// by time, ties broken by the order deadlines were set so expiry is
// deterministic.
//
// Each timed object (an allocation, a permission, a channel binding, a
// channel's cool-down, a reservation, an RFC 6062 peer connection waiting
// to connect or to be bound) has at most one entry, found by its
// key: a refresh moves that entry, a deletion removes it. So the queue
// never holds more entries than there are live objects, however often a
// client refreshes (a queue that only appends would grow with every
// request until the stale entries reached the front: docs/security.md).
#ifndef TURNPIKE_CORE_TURN_DEADLINE_QUEUE_H_
#define TURNPIKE_CORE_TURN_DEADLINE_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "core/net/transport_address.h"
#include "core/types.h"

namespace turnpike::core::turn {

enum class DeadlineKind : uint8_t {
  kAllocation,       // owner: allocation id
  kPermission,       // owner: allocation id; peer_ip
  kChannel,          // owner: allocation id; channel
  kChannelCooldown,  // owner: allocation id; channel
  kReservation,      // owner: reservation token
  kPeerConnection,   // owner: CONNECTION-ID (RFC 6062 connect/bind timer)
};

// Which object a deadline belongs to.
struct DeadlineKey {
  DeadlineKind kind = DeadlineKind::kAllocation;
  uint64_t owner = 0;
  IpAddress peer_ip;
  uint16_t channel = 0;

  friend bool operator==(const DeadlineKey&, const DeadlineKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const DeadlineKey& k) {
    return H::combine(std::move(h), k.kind, k.owner, k.peer_ip, k.channel);
  }
};

struct Deadline {
  MonoTime at;
  uint64_t sequence = 0;
  DeadlineKind kind = DeadlineKind::kAllocation;
  uint64_t owner = 0;
  IpAddress peer_ip;
  uint16_t channel = 0;

  DeadlineKey key() const { return {kind, owner, peer_ip, channel}; }
};

// A binary min-heap with an index from key to heap slot, so an entry can be
// moved or removed in O(log n).
class DeadlineQueue {
 public:
  // The object's deadline becomes `at`: its entry is added, or moved when
  // it has one.
  void Set(MonoTime at, DeadlineKind kind, uint64_t owner,
           IpAddress peer_ip = {}, uint16_t channel = 0) {
    const Deadline entry{at, next_sequence_++, kind, owner, peer_ip, channel};
    auto [it, added] = index_.try_emplace(entry.key(), heap_.size());
    if (added) {
      heap_.push_back(entry);
      SiftUp(heap_.size() - 1);
      return;
    }
    const size_t slot = it->second;
    heap_[slot] = entry;
    Restore(slot);
  }

  // Removes the object's entry, if it has one.
  void Erase(DeadlineKind kind, uint64_t owner, IpAddress peer_ip = {},
             uint16_t channel = 0) {
    auto it = index_.find(DeadlineKey{kind, owner, peer_ip, channel});
    if (it == index_.end()) return;
    const size_t slot = it->second;
    index_.erase(it);
    const size_t last = heap_.size() - 1;
    if (slot != last) {
      heap_[slot] = heap_[last];
      index_[heap_[slot].key()] = slot;
    }
    heap_.pop_back();
    if (slot < heap_.size()) Restore(slot);
  }

  const Deadline* Top() const { return heap_.empty() ? nullptr : &heap_[0]; }
  void Pop() {
    const Deadline& top = heap_[0];
    Erase(top.kind, top.owner, top.peer_ip, top.channel);
  }
  size_t size() const { return heap_.size(); }

  // When the object is due, if it has an entry (for CheckInvariants).
  std::optional<MonoTime> Find(DeadlineKind kind, uint64_t owner,
                               IpAddress peer_ip = {},
                               uint16_t channel = 0) const {
    auto it = index_.find(DeadlineKey{kind, owner, peer_ip, channel});
    if (it == index_.end()) return std::nullopt;
    return heap_[it->second].at;
  }
  // Every entry, in heap order (for CheckInvariants).
  absl::Span<const Deadline> entries() const { return heap_; }

 private:
  static bool Before(const Deadline& a, const Deadline& b) {
    return a.at != b.at ? a.at < b.at : a.sequence < b.sequence;
  }
  void Place(size_t slot, const Deadline& entry) {
    heap_[slot] = entry;
    index_[entry.key()] = slot;
  }
  void SiftUp(size_t slot) {
    const Deadline entry = heap_[slot];
    while (slot > 0) {
      const size_t parent = (slot - 1) / 2;
      if (!Before(entry, heap_[parent])) break;
      Place(slot, heap_[parent]);
      slot = parent;
    }
    Place(slot, entry);
  }
  void SiftDown(size_t slot) {
    const Deadline entry = heap_[slot];
    for (;;) {
      size_t child = 2 * slot + 1;
      if (child >= heap_.size()) break;
      if (child + 1 < heap_.size() && Before(heap_[child + 1], heap_[child])) {
        ++child;
      }
      if (!Before(heap_[child], entry)) break;
      Place(slot, heap_[child]);
      slot = child;
    }
    Place(slot, entry);
  }
  // The entry at `slot` changed: move it up or down to where it belongs.
  void Restore(size_t slot) {
    if (slot > 0 && Before(heap_[slot], heap_[(slot - 1) / 2])) {
      SiftUp(slot);
    } else {
      SiftDown(slot);
    }
  }

  std::vector<Deadline> heap_;
  absl::flat_hash_map<DeadlineKey, size_t> index_;
  uint64_t next_sequence_ = 0;
};

}  // namespace turnpike::core::turn

#endif  // TURNPIKE_CORE_TURN_DEADLINE_QUEUE_H_
