// The bounded write queue of one stream endpoint (TCP connection, TLS
// session). A stream must never carry a partial frame: the peer would read
// the next message's bytes as the rest of this one and lose the framing for
// good. So a message goes to the socket at once when it takes it; when the
// kernel takes only part, the unsent tail is copied here and finished before
// any other byte; when the queue already holds bytes, later messages wait
// behind them whole, and once the byte bound is reached they are dropped
// whole and counted. A slow reader costs at most the bound, never more
// (DESIGN.md "The runtime is transport-neutral").
//
// No socket and no loop in here: the endpoint passes a StreamWriter for the
// socket and calls Drain() when the socket is writable again.
#ifndef TURNPIKE_RUNTIME_TRANSPORT_WRITE_QUEUE_H_
#define TURNPIKE_RUNTIME_TRANSPORT_WRITE_QUEUE_H_

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/types/span.h"
#include "runtime/transport/message.h"

namespace turnpike::runtime {

// A non-blocking byte sink: the stream socket (uv_try_write, writev), or a
// test's fake.
class StreamWriter {
 public:
  // Writes as much of `parts`, in order, as the socket takes now: returns
  // the byte count (possibly 0) or a negative libuv error, UV_EAGAIN when it
  // takes nothing.
  virtual int64_t TryWrite(absl::Span<const uv_buf_t> parts) = 0;

 protected:
  ~StreamWriter() = default;
};

class WriteQueue {
 public:
  // `max_bytes` bounds what may wait. It should hold the largest message
  // the endpoint sends (a message larger than the bound is always dropped,
  // since its tail could not be kept).
  explicit WriteQueue(size_t max_bytes) : max_bytes_(max_bytes) {}
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Sends `message` whole or not at all, as far as the reader can tell:
  // kSent when the writer took all of it; kQueued when it, or the tail the
  // writer left, waits here; kQueueFull when it was dropped (counted);
  // kFailed with the writer's error when the stream is broken, in which
  // case nothing of it is kept and the endpoint should close.
  SendResult Write(StreamWriter& writer, const OutboundMessage& message);

  // Writes what waits until the writer stops taking bytes. Returns 0, or
  // the writer's error (not UV_EAGAIN) when the stream is broken. Call it
  // when the socket is writable and the queue is not empty.
  int Drain(StreamWriter& writer);

  bool empty() const { return size_ == 0; }
  size_t queued_bytes() const { return size_; }
  size_t max_bytes() const { return max_bytes_; }
  // The memory held now: the bound while anything waits, else nothing (an
  // idle connection keeps no buffer).
  size_t capacity_bytes() const { return ring_ ? max_bytes_ : 0; }
  uint64_t dropped_messages() const { return dropped_messages_; }
  uint64_t dropped_bytes() const { return dropped_bytes_; }

 private:
  SendResult Drop(size_t bytes);
  // Copies the bytes of `parts` after the first `skip` ones to the tail of
  // the ring; the caller has checked that they fit.
  void Append(absl::Span<const uv_buf_t> parts, size_t skip);
  void Consume(size_t bytes);

  size_t max_bytes_;
  // A ring of max_bytes_, allocated when something first has to wait and
  // freed when the queue empties.
  std::unique_ptr<uint8_t[]> ring_;
  size_t head_ = 0;  // index of the oldest waiting byte
  size_t size_ = 0;  // bytes waiting
  uint64_t dropped_messages_ = 0;
  uint64_t dropped_bytes_ = 0;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_WRITE_QUEUE_H_
