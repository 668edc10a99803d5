// Counts heap allocations made by this process, so a benchmark can prove that
// a code path allocates nothing (DESIGN.md: no heap allocation per packet).
//
// alloc_counter.cc replaces the malloc family and the global operator new, so
// every route to the heap is seen: C++ containers, absl, and C libraries such
// as BoringSSL (OPENSSL_malloc calls malloc). Sanitizer builds keep their own
// allocator, so there counting is off and AllocationCountingEnabled() is false.
#ifndef TURNPIKE_BENCH_ALLOC_COUNTER_H_
#define TURNPIKE_BENCH_ALLOC_COUNTER_H_

#include <cstdint>

namespace turnpike::bench {

// False in sanitizer builds, where AllocationCount() always returns 0.
bool AllocationCountingEnabled();

// Heap allocations (malloc, calloc, realloc, aligned allocations and operator
// new) since the process started. A realloc counts as one allocation.
uint64_t AllocationCount();

}  // namespace turnpike::bench

#endif  // TURNPIKE_BENCH_ALLOC_COUNTER_H_
