#include "bench/alloc_counter.h"

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <new>

#ifndef TURNPIKE_BENCH_COUNT_ALLOCATIONS
#define TURNPIKE_BENCH_COUNT_ALLOCATIONS 1
#endif

#if TURNPIKE_BENCH_COUNT_ALLOCATIONS

// glibc's own allocator entry points. Defining malloc and friends in the
// executable interposes them for every shared library too (the glibc manual's
// "Replacing malloc"); these are what the replacements forward to.
extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* pointer, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* pointer);
}

namespace {

// Relaxed is enough: benchmarks read the count on the thread that allocates.
std::atomic<uint64_t> g_allocations{0};

void Count() { g_allocations.fetch_add(1, std::memory_order_relaxed); }

bool IsPowerOfTwo(size_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace

extern "C" {

void* malloc(size_t size) noexcept {
  Count();
  return __libc_malloc(size);
}

void* calloc(size_t count, size_t size) noexcept {
  Count();
  return __libc_calloc(count, size);
}

void* realloc(void* pointer, size_t size) noexcept {
  Count();
  return __libc_realloc(pointer, size);
}

void free(void* pointer) noexcept { __libc_free(pointer); }

void* memalign(size_t alignment, size_t size) noexcept {
  Count();
  return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) noexcept {
  Count();
  return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) noexcept {
  // POSIX: a power of two that is a multiple of sizeof(void*).
  if (!IsPowerOfTwo(alignment) || alignment % sizeof(void*) != 0) {
    return EINVAL;
  }
  Count();
  void* pointer = __libc_memalign(alignment, size);
  if (pointer == nullptr && size != 0) return ENOMEM;
  *out = pointer;
  return 0;
}

}  // extern "C"

// The global operator new routes through the counting malloc above. Defining
// it here, rather than relying on how the C++ runtime implements it, keeps
// the count correct whichever runtime this is linked with. The array and
// nothrow forms are replaced too; the aligned forms call aligned_alloc.
namespace {

void* NewOrThrow(size_t size) {
  if (size == 0) size = 1;
  void* pointer = std::malloc(size);
  if (pointer == nullptr) throw std::bad_alloc();
  return pointer;
}

}  // namespace

void* operator new(size_t size) { return NewOrThrow(size); }
void* operator new[](size_t size) { return NewOrThrow(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* pointer) noexcept { std::free(pointer); }
void operator delete[](void* pointer) noexcept { std::free(pointer); }
void operator delete(void* pointer, size_t) noexcept { std::free(pointer); }
void operator delete[](void* pointer, size_t) noexcept { std::free(pointer); }
void operator delete(void* pointer, const std::nothrow_t&) noexcept {
  std::free(pointer);
}
void operator delete[](void* pointer, const std::nothrow_t&) noexcept {
  std::free(pointer);
}

namespace turnpike::bench {

bool AllocationCountingEnabled() { return true; }

uint64_t AllocationCount() {
  return g_allocations.load(std::memory_order_relaxed);
}

}  // namespace turnpike::bench

#else  // !TURNPIKE_BENCH_COUNT_ALLOCATIONS

namespace turnpike::bench {

bool AllocationCountingEnabled() { return false; }
uint64_t AllocationCount() { return 0; }

}  // namespace turnpike::bench

#endif  // TURNPIKE_BENCH_COUNT_ALLOCATIONS
