// The relay's event sink: the loop thread only queues, a writer thread
// writes (DESIGN.md "A supervisor over the workers": writers fed by bounded
// queues). A slow disk or a full pipe never stalls the relay, and a flood of
// unauthenticated requests never becomes a flood of lines:
//
// * Events about authenticated activity (accepted verdicts, allocations,
//   permissions, channels, errors of authenticated requests) are queued
//   whole and written in order, each as its own line (JsonEventWriter).
// * Auth verdicts of requests that proved no password (challenged, unknown
//   user, bad integrity, stale or foreign nonce, missing credentials, bid
//   down) are only counted, and written as one "auth_failures" line per
//   interval with the count of each verdict and the first one as a sample.
// * The queue holds at most `capacity` events; past that an event is
//   dropped and counted, and an "events_dropped" line says how many.
//
// The writer flushes once per batch, not once per line.
#ifndef TURNPIKE_RUNTIME_QUEUED_EVENT_SINK_H_
#define TURNPIKE_RUNTIME_QUEUED_EVENT_SINK_H_

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "core/events.h"
#include "runtime/event_sink.h"
#include "runtime/json_event_writer.h"

namespace turnpike::runtime {

// The auth failures of one interval.
struct AuthFailureSummary {
  static constexpr size_t kOutcomes =
      static_cast<size_t>(core::AuthOutcome::kMissingCredentials) + 1;
  std::array<uint64_t, kOutcomes> counts{};
  uint64_t total = 0;
  absl::Time first_wall;
  std::optional<core::AuthVerdict> first;  // the sample
};

class QueuedEventSink final : public EventSink {
 public:
  struct Options {
    // Events waiting for the writer; a few MiB at most.
    size_t capacity = 16384;
    // How often the auth failures are summed up in one line.
    absl::Duration summary_interval = absl::Seconds(1);
  };

  QueuedEventSink(std::unique_ptr<JsonEventWriter> writer, Options options);
  // Writes what is queued and the pending summary, then stops the thread.
  ~QueuedEventSink() override;
  QueuedEventSink(const QueuedEventSink&) = delete;
  QueuedEventSink& operator=(const QueuedEventSink&) = delete;

  // Starts the writer thread. Until then events only queue (tests use this
  // to fill the queue); the destructor writes them either way.
  void Start();

  // Loop thread: never blocks on I/O, never allocates for an aggregated
  // verdict.
  void OnEvent(absl::Time wall, const core::Event& event) override;

  uint64_t dropped() const { return dropped_total_.load(); }
  uint64_t aggregated() const { return aggregated_total_.load(); }

  // Whether `event` is summed up rather than written.
  static bool IsAggregated(const core::Event& event);
  // {"ts":END,"event":"auth_failures","since":START,"total":N,
  //  "verdicts":{"challenged":N,...},"sample":{...first verdict's fields}}
  static std::string FormatSummary(absl::Time end,
                                   const AuthFailureSummary& summary);
  // {"ts":...,"event":"events_dropped","count":N}
  static std::string FormatDropped(absl::Time wall, uint64_t count);

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  struct Queued {
    absl::Time wall;
    core::Event event;
  };

  void Run();
  // Writes one batch taken from the queue; runs without the lock.
  void WriteBatch(std::vector<Queued>& batch,
                  std::optional<AuthFailureSummary>& summary,
                  uint64_t dropped);

  std::unique_ptr<JsonEventWriter> writer_;
  const Options options_;

  std::mutex mutex_;
  std::condition_variable wake_;
  // Guarded by mutex_.
  std::vector<Queued> queue_;
  AuthFailureSummary summary_;
  std::optional<SteadyTime> summary_due_;
  uint64_t dropped_unreported_ = 0;
  bool stop_ = false;

  std::atomic<uint64_t> dropped_total_{0};
  std::atomic<uint64_t> aggregated_total_{0};
  std::thread thread_;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_QUEUED_EVENT_SINK_H_
