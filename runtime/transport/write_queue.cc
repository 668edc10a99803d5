#include "runtime/transport/write_queue.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "core/util/check.h"

namespace turnpike::runtime {

SendResult WriteQueue::Write(StreamWriter& writer,
                             const OutboundMessage& message) {
  const size_t size = message.size();
  if (!empty()) {
    // Bytes already wait (the socket was full when they came): this message
    // goes behind them, whole, or not at all.
    if (size > max_bytes_ - size_) return Drop(size);
    Append(Gather(message).view(), 0);
    return {SendResult::Outcome::kQueued, size, 0};
  }
  // Too big to keep a tail of: never start it, or a partial write would
  // leave a frame that cannot be finished.
  if (size > max_bytes_) return Drop(size);

  const GatheredMessage gathered = Gather(message);
  const int64_t written = writer.TryWrite(gathered.view());
  if (written < 0 && written != UV_EAGAIN) {
    return {SendResult::Outcome::kFailed, 0, static_cast<int>(written)};
  }
  const size_t taken = written < 0 ? 0 : static_cast<size_t>(written);
  TURNPIKE_CHECK(taken <= size, "a writer reported more bytes than it got");
  if (taken == size) return {SendResult::Outcome::kSent, size, 0};
  // The queue was empty and size <= max_bytes_, so the tail fits.
  Append(gathered.view(), taken);
  return {SendResult::Outcome::kQueued, size, 0};
}

int WriteQueue::Drain(StreamWriter& writer) {
  // Each pass writes at least one byte or returns, so this ends.
  while (!empty()) {
    const size_t capacity = max_bytes_;
    const size_t first = std::min(size_, capacity - head_);
    std::array<uv_buf_t, 2> parts;
    size_t count = 0;
    parts[count++] = uv_buf_init(reinterpret_cast<char*>(&ring_[head_]),
                                 static_cast<unsigned int>(first));
    if (first < size_) {  // the waiting bytes wrap around the ring's end
      parts[count++] = uv_buf_init(reinterpret_cast<char*>(&ring_[0]),
                                   static_cast<unsigned int>(size_ - first));
    }
    const int64_t written =
        writer.TryWrite(absl::MakeConstSpan(parts.data(), count));
    if (written == UV_EAGAIN || written == 0) return 0;
    if (written < 0) return static_cast<int>(written);
    TURNPIKE_CHECK(static_cast<size_t>(written) <= size_,
                   "a writer reported more bytes than it got");
    Consume(static_cast<size_t>(written));
  }
  return 0;
}

SendResult WriteQueue::Drop(size_t bytes) {
  ++dropped_messages_;
  dropped_bytes_ += bytes;
  return {SendResult::Outcome::kQueueFull, 0, 0};
}

void WriteQueue::Append(absl::Span<const uv_buf_t> parts, size_t skip) {
  if (!ring_) ring_ = std::make_unique<uint8_t[]>(max_bytes_);
  for (const uv_buf_t& part : parts) {
    const size_t skipped = std::min(skip, part.len);
    skip -= skipped;
    const auto* bytes = reinterpret_cast<const uint8_t*>(part.base) + skipped;
    size_t left = part.len - skipped;
    while (left != 0) {
      const size_t tail = (head_ + size_) % max_bytes_;
      const size_t chunk = std::min(left, max_bytes_ - tail);
      TURNPIKE_CHECK(size_ + chunk <= max_bytes_,
                     "the write queue was asked to hold more than its bound");
      std::memcpy(&ring_[tail], bytes, chunk);
      size_ += chunk;
      bytes += chunk;
      left -= chunk;
    }
  }
}

void WriteQueue::Consume(size_t bytes) {
  head_ = (head_ + bytes) % max_bytes_;
  size_ -= bytes;
  if (size_ == 0) {
    ring_.reset();
    head_ = 0;
  }
}

}  // namespace turnpike::runtime
