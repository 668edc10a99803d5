#include "runtime/stats_publisher.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"

namespace turnpike::runtime {

StatsPublisher::~StatsPublisher() { Stop(); }

absl::Status StatsPublisher::Start(uv_loop_t* loop, Fill fill) {
  fill_ = std::move(fill);
  auto* timer = new uv_timer_t;
  if (int err = uv_timer_init(loop, timer); err != 0) {
    delete timer;  // never registered with the loop
    return absl::InternalError(
        absl::StrCat("stats timer: uv_timer_init failed: ", uv_strerror(err)));
  }
  timer->data = this;
  timer_ = timer;
  const uint64_t tick_ms =
      static_cast<uint64_t>(absl::ToInt64Milliseconds(options_.tick));
  expected_ns_ = uv_hrtime() + tick_ms * 1'000'000;
  if (int err = uv_timer_start(timer_, &OnTick, tick_ms, tick_ms); err != 0) {
    Stop();
    return absl::InternalError(
        absl::StrCat("stats timer: uv_timer_start failed: ", uv_strerror(err)));
  }
  // The stats timer must not keep a stopping loop alive by itself.
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_));
  PublishNow();
  return absl::OkStatus();
}

void StatsPublisher::Stop() {
  if (timer_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  timer_ = nullptr;
}

void StatsPublisher::OnTick(uv_timer_t* handle) {
  auto* self = static_cast<StatsPublisher*>(handle->data);
  const uint64_t now = uv_hrtime();
  // A repeating timer fires after the loop finished what it was doing:
  // how far past its due time that was is the wait a packet would see.
  if (now > self->expected_ns_) {
    self->max_lag_ns_ = std::max(self->max_lag_ns_, now - self->expected_ns_);
  }
  const uint64_t tick_ns =
      static_cast<uint64_t>(absl::ToInt64Nanoseconds(self->options_.tick));
  self->expected_ns_ = now + tick_ns;
  if (++self->ticks_ >= self->options_.ticks_per_publish) {
    self->PublishNow();
    self->ticks_ = 0;
    self->max_lag_ns_ = 0;
  }
}

void StatsPublisher::PublishNow() {
  auto snapshot = std::make_shared<WorkerSnapshot>();
  snapshot->worker = options_.worker;
  snapshot->taken = absl::Now();
  if (fill_) fill_(options_, *snapshot);
  snapshot->events = events_;
  snapshot->loop_lag = absl::Nanoseconds(static_cast<int64_t>(max_lag_ns_));
  slot_->Publish(std::move(snapshot));
}

}  // namespace turnpike::runtime
