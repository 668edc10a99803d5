#include "runtime/queued_event_sink.h"

#include <variant>

#include "absl/strings/str_cat.h"
#include "runtime/json_text.h"

namespace turnpike::runtime {

QueuedEventSink::QueuedEventSink(std::unique_ptr<JsonEventWriter> writer,
                                 Options options)
    : writer_(std::move(writer)), options_(options) {
  queue_.reserve(options_.capacity < 1024 ? options_.capacity : 1024);
}

QueuedEventSink::~QueuedEventSink() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
    return;
  }
  // Never started: write what was queued here.
  std::vector<Queued> batch;
  batch.swap(queue_);
  std::optional<AuthFailureSummary> summary;
  if (summary_.total > 0) summary = summary_;
  WriteBatch(batch, summary, dropped_unreported_);
}

void QueuedEventSink::Start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

bool QueuedEventSink::IsAggregated(const core::Event& event) {
  const auto* verdict = std::get_if<core::AuthVerdict>(&event);
  if (verdict == nullptr) return false;
  // Accepted and 441 (the right password, another allocation's
  // credentials) are authenticated activity: written whole.
  return verdict->outcome != core::AuthOutcome::kAccepted &&
         verdict->outcome != core::AuthOutcome::kWrongCredentials;
}

void QueuedEventSink::OnEvent(absl::Time wall, const core::Event& event) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (IsAggregated(event)) {
      const auto& verdict = std::get<core::AuthVerdict>(event);
      if (summary_.total++ == 0) {
        summary_.first_wall = wall;
        summary_.first = verdict;
        summary_due_ = std::chrono::steady_clock::now() +
                       absl::ToChronoNanoseconds(options_.summary_interval);
        wake = true;  // the writer must wait for the new deadline
      }
      ++summary_.counts[static_cast<size_t>(verdict.outcome)];
      aggregated_total_.fetch_add(1, std::memory_order_relaxed);
    } else if (queue_.size() >= options_.capacity) {
      ++dropped_unreported_;
      dropped_total_.fetch_add(1, std::memory_order_relaxed);
    } else {
      // The writer sleeps only on an empty queue: one wake-up per batch.
      wake = queue_.empty();
      queue_.push_back({wall, event});
    }
  }
  if (wake) wake_.notify_one();
}

void QueuedEventSink::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    const bool summary_due =
        summary_due_ && std::chrono::steady_clock::now() >= *summary_due_;
    if (!stop_ && queue_.empty() && !summary_due) {
      // Woken by a new event, a new summary deadline, the stop, or the
      // deadline itself; every case is looked at again from the top.
      if (summary_due_) {
        wake_.wait_until(lock, *summary_due_);
      } else {
        wake_.wait(lock);
      }
      continue;
    }
    std::vector<Queued> batch;
    batch.swap(queue_);
    std::optional<AuthFailureSummary> summary;
    if (summary_.total > 0 && (stop_ || summary_due)) {
      summary = std::exchange(summary_, AuthFailureSummary{});
      summary_due_.reset();
    }
    const uint64_t dropped = std::exchange(dropped_unreported_, 0);
    const bool stopping = stop_;
    lock.unlock();
    WriteBatch(batch, summary, dropped);
    lock.lock();
    if (stopping && queue_.empty() && summary_.total == 0) return;
  }
}

void QueuedEventSink::WriteBatch(std::vector<Queued>& batch,
                                 std::optional<AuthFailureSummary>& summary,
                                 uint64_t dropped) {
  if (batch.empty() && !summary && dropped == 0) return;
  for (const Queued& queued : batch) {
    writer_->WriteLine(JsonEventWriter::Format(queued.wall, queued.event));
  }
  const absl::Time now = absl::Now();
  if (summary) writer_->WriteLine(FormatSummary(now, *summary));
  if (dropped > 0) writer_->WriteLine(FormatDropped(now, dropped));
  writer_->Flush();
}

std::string QueuedEventSink::FormatSummary(absl::Time end,
                                           const AuthFailureSummary& summary) {
  Json line = Json::object();
  line["ts"] = Rfc3339Millis(end);
  line["event"] = "auth_failures";
  line["since"] = Rfc3339Millis(summary.first_wall);
  line["total"] = summary.total;
  Json verdicts = Json::object();
  for (size_t i = 0; i < summary.counts.size(); ++i) {
    if (summary.counts[i] == 0) continue;
    verdicts[std::string(core::AuthOutcomeName(
        static_cast<core::AuthOutcome>(i)))] = summary.counts[i];
  }
  line["verdicts"] = std::move(verdicts);
  if (summary.first) {
    line["sample"] = JsonEventWriter::ToJson(summary.first_wall,
                                             core::Event(*summary.first));
  }
  return DumpJson(line);
}

std::string QueuedEventSink::FormatDropped(absl::Time wall, uint64_t count) {
  Json line = Json::object();
  line["ts"] = Rfc3339Millis(wall);
  line["event"] = "events_dropped";
  line["count"] = count;
  return DumpJson(line);
}

}  // namespace turnpike::runtime
