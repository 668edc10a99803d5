// Self-checks shared by the benchmark programs: a benchmark that times the
// wrong thing, or allocates on a path that promises not to, fails loudly
// (Google Benchmark prints "ERROR OCCURRED", the program exits non-zero),
// which is what the *_bench_smoke CTest tests look for.
#ifndef TURNPIKE_BENCH_BENCH_CHECKS_H_
#define TURNPIKE_BENCH_BENCH_CHECKS_H_

#include <cstdint>
#include <string>

#include "benchmark/benchmark.h"

namespace turnpike::bench {

// Stops the benchmark with an error and records a failure.
void Fail(benchmark::State& state, const std::string& why);

enum class AllocationPolicy { kMustNotAllocate, kReportOnly };

// Publishes allocations per iteration of a timed loop as the
// "allocs_per_iter" counter and enforces `policy`. `allocations` is the
// count over the whole loop.
void ReportAllocations(benchmark::State& state, uint64_t allocations,
                       AllocationPolicy policy);

// Like BENCHMARK_MAIN(), but the exit status reports failed self-checks.
int RunBenchmarks(int argc, char** argv);

}  // namespace turnpike::bench

#endif  // TURNPIKE_BENCH_BENCH_CHECKS_H_
