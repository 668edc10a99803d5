// What the workers of a process say in the log: the addresses they listen
// on when they start, and at exit one summary of what they did, summed
// over every worker (each Worker counts on its own thread; the sums are
// read after every worker has returned from Run).
#ifndef TURNPIKE_RUNTIME_WORKER_SUMMARY_H_
#define TURNPIKE_RUNTIME_WORKER_SUMMARY_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "runtime/worker.h"

namespace turnpike::runtime {

// "listening on udp 127.0.0.1:3478, tcp ...": the first worker's listeners
// (every worker binds the same ones).
void LogListening(const Worker& worker);

// Allocations granted by each worker (successful Allocate responses), in
// worker order: shows how the kernel spread the clients.
std::vector<uint64_t> AllocationsPerWorker(
    absl::Span<const Worker* const> workers);

// The stop summary: datagrams, sends, withheld answers, TCP relays and
// stream clients, summed over `workers`, and the allocations per worker.
// Call only once every worker's Run has returned.
void LogStopSummary(absl::Span<const Worker* const> workers);

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_WORKER_SUMMARY_H_
