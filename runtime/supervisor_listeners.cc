// Supervisor: a reload that changes the listen addresses reaches every
// worker, and leaves them all on one set. The kernel spreads a port's
// clients over every socket bound to it with SO_REUSEPORT, so a worker
// left on an old set would keep answering some clients there.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/log.h"
#include "runtime/supervisor.h"

namespace turnpike::runtime {
namespace {

using Reply = absl::StatusOr<std::vector<ListenerSpec>>;

// The answer of one worker's loop to a posted ReplaceListeners.
struct Pending {
  std::mutex mutex;
  std::condition_variable answered;
  std::optional<Reply> reply;
};

// Runs ReplaceListeners(specs) on `worker`'s loop and waits for it. A
// worker that is stopping drops the task; the wait then ends at `timeout`.
Reply OnLoop(Worker& worker, const std::vector<ListenerSpec>& specs,
             absl::Duration timeout) {
  auto pending = std::make_shared<Pending>();
  worker.Post([pending, specs](Worker& loop) {
    Reply reply = loop.ReplaceListeners(specs);
    std::lock_guard<std::mutex> lock(pending->mutex);
    pending->reply = std::move(reply);
    pending->answered.notify_one();
  });
  std::unique_lock<std::mutex> lock(pending->mutex);
  if (!pending->answered.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                                  [&] { return pending->reply.has_value(); })) {
    return absl::DeadlineExceededError(
        "a worker did not answer the listener change in time (stopping?)");
  }
  return *std::move(pending->reply);
}

}  // namespace

std::vector<ListenerSpec> Supervisor::listening() const {
  std::lock_guard<std::mutex> lock(listeners_mutex_);
  return listening_;
}

absl::StatusOr<std::vector<ListenerSpec>> Supervisor::ReplaceListeners(
    const std::vector<ListenerSpec>& wanted, absl::Duration timeout) {
  std::lock_guard<std::mutex> lock(listeners_mutex_);
  Reply first = OnLoop(*workers_.front(), wanted, timeout);
  if (!first.ok()) return first.status();
  // The others bind exactly what the first one got: its ports, and
  // nothing it skipped (an unavailable default address comes back with
  // port 0).
  std::vector<ListenerSpec> resolved;
  for (const ListenerSpec& spec : *first) {
    if (spec.address.port != 0) resolved.push_back(spec);
  }
  for (size_t i = 1; i < workers_.size(); ++i) {
    Reply reply = OnLoop(*workers_[i], resolved, timeout);
    if (reply.ok()) continue;
    // Back to the set that was served, for the workers changed so far.
    for (size_t undo = 0; undo < i; ++undo) {
      Reply back = OnLoop(*workers_[undo], listening_, timeout);
      if (!back.ok()) {
        LogError(absl::StrCat(
            "worker ", undo,
            " could not go back to its listeners: ", back.status().message()));
      }
    }
    return absl::Status(
        reply.status().code(),
        absl::StrCat("worker ", i, ": ", reply.status().message(),
                     "; the listeners stay as they were"));
  }
  listening_ = resolved;
  return resolved;
}

}  // namespace turnpike::runtime
