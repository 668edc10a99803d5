#include "bench/bench_checks.h"

#include <atomic>
#include <cstdio>

#include "bench/alloc_counter.h"

namespace turnpike::bench {
namespace {
std::atomic<int> g_failures{0};
}  // namespace

void Fail(benchmark::State& state, const std::string& why) {
  g_failures.fetch_add(1);
  state.SkipWithError(why.c_str());
}

void ReportAllocations(benchmark::State& state, uint64_t allocations,
                       AllocationPolicy policy) {
  if (!AllocationCountingEnabled()) {
    state.SetLabel("allocations not counted (sanitizer build)");
    return;
  }
  state.counters["allocs_per_iter"] = benchmark::Counter(
      static_cast<double>(allocations), benchmark::Counter::kAvgIterations);
  if (policy == AllocationPolicy::kMustNotAllocate && allocations != 0) {
    Fail(state, std::to_string(allocations) + " heap allocations in " +
                    std::to_string(state.iterations()) +
                    " iterations of an allocation-free path");
  }
}

int RunBenchmarks(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  if (!AllocationCountingEnabled()) {
    std::fprintf(stderr,
                 "note: heap allocations are not counted in this build\n");
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  const int failures = g_failures.load();
  if (failures != 0) {
    std::fprintf(stderr, "%d benchmark self-check(s) failed\n", failures);
    return 1;
  }
  return 0;
}

}  // namespace turnpike::bench
