// DeadlineQueue: one entry per key, moved by Set and removed by Erase, and
// Top always the earliest (ties in the order the deadlines were set).
#include "core/turn/deadline_queue.h"

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <random>
#include <utility>

namespace turnpike::core::turn {
namespace {

MonoTime At(int seconds) { return MonoTime(std::chrono::seconds(seconds)); }

TEST_CASE("Set moves the one entry of an object and Erase removes it") {
  DeadlineQueue queue;
  queue.Set(At(10), DeadlineKind::kAllocation, 1);
  queue.Set(At(5), DeadlineKind::kChannel, 1, {}, 0x4000);
  queue.Set(At(7), DeadlineKind::kAllocation, 2);
  CHECK(queue.size() == 3);
  REQUIRE(queue.Top() != nullptr);
  CHECK(queue.Top()->kind == DeadlineKind::kChannel);
  // A refresh moves the entry instead of adding one.
  for (int i = 0; i < 1000; ++i) {
    queue.Set(At(20 + i), DeadlineKind::kChannel, 1, {}, 0x4000);
  }
  CHECK(queue.size() == 3);
  CHECK(queue.Top()->owner == 2);
  CHECK(queue.Find(DeadlineKind::kChannel, 1, {}, 0x4000) == At(1019));
  queue.Erase(DeadlineKind::kAllocation, 2);
  queue.Erase(DeadlineKind::kAllocation, 2);  // already gone: nothing
  CHECK(queue.size() == 2);
  CHECK(queue.Top()->owner == 1);
  CHECK(queue.Top()->kind == DeadlineKind::kAllocation);
  queue.Pop();
  queue.Pop();
  CHECK(queue.Top() == nullptr);
  CHECK(queue.size() == 0);
}

TEST_CASE("equal deadlines come out in the order they were last set") {
  DeadlineQueue queue;
  queue.Set(At(1), DeadlineKind::kAllocation, 1);
  queue.Set(At(1), DeadlineKind::kAllocation, 2);
  queue.Set(At(1), DeadlineKind::kAllocation, 1);  // set again: now last
  CHECK(queue.Top()->owner == 2);
  queue.Pop();
  CHECK(queue.Top()->owner == 1);
}

TEST_CASE("random Set and Erase and Pop agree with an ordered map") {
  std::mt19937 random(13);  // seeded: the same run every time
  DeadlineQueue queue;
  // Reference: key (owner) → (at, order of its last Set).
  std::map<uint64_t, std::pair<int, uint64_t>> reference;
  uint64_t order = 0;
  for (int step = 0; step < 20000; ++step) {
    const uint64_t owner = random() % 64;
    const int at = static_cast<int>(random() % 100);
    switch (random() % 4) {
      case 0:
      case 1:
        queue.Set(At(at), DeadlineKind::kPermission, owner);
        reference[owner] = {at, order++};
        break;
      case 2:
        queue.Erase(DeadlineKind::kPermission, owner);
        reference.erase(owner);
        break;
      case 3:
        if (!reference.empty()) {
          auto earliest = reference.begin();
          for (auto it = reference.begin(); it != reference.end(); ++it) {
            if (it->second < earliest->second) earliest = it;
          }
          REQUIRE(queue.Top() != nullptr);
          CHECK(queue.Top()->owner == earliest->first);
          CHECK(queue.Top()->at == At(earliest->second.first));
          queue.Pop();
          reference.erase(earliest);
        }
        break;
    }
    REQUIRE(queue.size() == reference.size());
  }
  for (const auto& [owner, due] : reference) {
    CHECK(queue.Find(DeadlineKind::kPermission, owner) == At(due.first));
  }
}

}  // namespace
}  // namespace turnpike::core::turn
