#include "core/turn/connection_number.h"

namespace turnpike::core::turn {

int WorkerBits(uint32_t count) {
  int bits = 0;
  while ((uint64_t{1} << bits) < count) ++bits;
  return bits;
}

uint32_t ConnectionNumberFor(uint32_t index, uint32_t count, uint32_t random) {
  const int bits = WorkerBits(count);
  if (bits == 0) return random;
  const uint32_t low_mask = 0xFFFFFFFFu >> bits;
  return index << (32 - bits) | (random & low_mask);
}

uint32_t WorkerOfConnectionNumber(uint32_t number, uint32_t count) {
  const int bits = WorkerBits(count);
  return bits == 0 ? 0 : number >> (32 - bits);
}

}  // namespace turnpike::core::turn
