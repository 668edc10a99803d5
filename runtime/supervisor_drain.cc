// Supervisor: drain across every worker (issue 12, rolling upgrades). Each
// worker refuses new Allocates and says when it has none left
// (WorkerConfig::on_drained, from its own thread); the process stops when
// the count of workers still holding allocations reaches zero — a drained
// worker stays drained, since it takes no new allocation — or when the
// drain timeout fires first, and then every worker deletes what it has
// with its events.
#include <uv.h>

#include <chrono>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "runtime/log.h"
#include "runtime/supervisor.h"

namespace turnpike::runtime {
namespace {

template <typename Handle>
void CloseHandle(Handle* handle) {
  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* h) { delete reinterpret_cast<Handle*>(h); });
}

}  // namespace

absl::Status Supervisor::PrepareDrain(std::chrono::milliseconds timeout) {
  drain_timeout_ = timeout;
  auto* async = new uv_async_t;
  if (int err = uv_async_init(&loop_, async, &Supervisor::OnDrain); err != 0) {
    delete async;  // never registered with the loop
    return absl::InternalError(
        absl::StrCat("drain: uv_async_init failed: ", uv_strerror(err)));
  }
  async->data = this;
  std::lock_guard<std::mutex> lock(stop_mutex_);
  drain_async_ = async;
  return absl::OkStatus();
}

void Supervisor::Drain() {
  std::lock_guard<std::mutex> lock(stop_mutex_);
  if (drain_async_ != nullptr) uv_async_send(drain_async_);
}

void Supervisor::OnDrain(uv_async_t* handle) {
  auto* self = static_cast<Supervisor*>(handle->data);
  if (self->draining_) return;
  self->draining_ = true;
  LogInfo(absl::StrCat("draining ", self->workers_.size(),
                       self->workers_.size() == 1 ? " worker" : " workers",
                       "; stopping when none has an allocation left, or in ",
                       self->drain_timeout_.count() / 1000,
                       " s at the latest"));
  // Counted before any worker can report (they learn of the drain below).
  self->workers_with_allocations_.store(self->workers_.size());
  self->drain_timer_ = new uv_timer_t;
  uv_timer_init(&self->loop_, self->drain_timer_);
  self->drain_timer_->data = self;
  uv_timer_start(self->drain_timer_, &Supervisor::OnDrainTimeout,
                 static_cast<uint64_t>(self->drain_timeout_.count()), 0);
  for (const std::unique_ptr<Worker>& worker : self->workers_) worker->Drain();
}

void Supervisor::OnWorkerDrained() {
  // The last worker to empty stops them all (Stop is safe from any thread).
  if (workers_with_allocations_.fetch_sub(1) == 1) {
    LogInfo("drained: no worker has an allocation left, stopping");
    Stop();
  }
}

void Supervisor::OnDrainTimeout(uv_timer_t* handle) {
  auto* self = static_cast<Supervisor*>(handle->data);
  LogInfo(
      "drain timeout: deleting the allocations left on every worker, "
      "stopping");
  self->StopAll();
}

void Supervisor::CloseDrainHandles() {
  if (drain_timer_ != nullptr) {
    CloseHandle(drain_timer_);
    drain_timer_ = nullptr;
  }
  std::lock_guard<std::mutex> lock(stop_mutex_);
  if (drain_async_ != nullptr) {
    CloseHandle(drain_async_);
    drain_async_ = nullptr;
  }
}

}  // namespace turnpike::runtime
