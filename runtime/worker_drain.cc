// Worker: drain for rolling upgrades (issue 12). The core refuses new
// allocations (core::Server::StartDrain); the worker waits for the ones it
// has to end — by their lifetime, a Refresh with LIFETIME 0, or their
// connection closing — and then stops, so the process exits 0. A timer
// bounds the wait: at drain_timeout the rest are deleted as by Stop(), each
// with its AllocationDeleted event.
#include <uv.h>

#include "absl/strings/str_cat.h"
#include "runtime/clock.h"
#include "runtime/log.h"
#include "runtime/worker.h"

namespace turnpike::runtime {

void Worker::Drain() {
  Post([](Worker& worker) { worker.StartDrain(); });
}

void Worker::StartDrain() {
  if (draining_ || stopping_) return;
  draining_ = true;
  now_ = StampNow();
  server_->StartDrain();
  const size_t left = server_->allocation_count();
  LogInfo(absl::StrCat(
      "draining: ", left, left == 1 ? " allocation" : " allocations",
      on_drained_
          ? " left on this worker"
          : absl::StrCat(" left; stopping when none is, or in ",
                         drain_timeout_.count() / 1000, " s at the latest")));
  if (on_drained_) {  // the supervisor keeps the time
    FinishDrainWhenEmpty();
    return;
  }
  drain_timer_ = new uv_timer_t;
  uv_timer_init(&loop_, drain_timer_);
  drain_timer_->data = this;
  uv_timer_start(drain_timer_, &Worker::OnDrainTimeout,
                 static_cast<uint64_t>(drain_timeout_.count()), 0);
  FinishDrainWhenEmpty();
}

void Worker::FinishDrainWhenEmpty() {
  if (!draining_ || drain_finished_ || stopping_) return;
  if (server_->allocation_count() != 0) return;
  drain_finished_ = true;
  if (on_drained_) {
    LogInfo("drained: no allocation left on this worker");
    on_drained_();
    return;
  }
  LogInfo("drained: no allocation left, stopping");
  Stop();
}

void Worker::OnDrainTimeout(uv_timer_t* handle) {
  auto* self = static_cast<Worker*>(handle->data);
  if (self->drain_finished_) return;
  LogInfo(absl::StrCat("drain timeout: deleting the ",
                       self->server_->allocation_count(),
                       " allocations left, stopping"));
  self->Stop();
}

void Worker::CloseDrainTimer() {
  drain_finished_ = true;
  if (drain_timer_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(drain_timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  drain_timer_ = nullptr;
}

}  // namespace turnpike::runtime
