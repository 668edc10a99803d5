// One whole message on its way to a socket, and what became of it. The
// shape of a core::Forward ({prefix, payload, padding}) without the routing,
// so every endpoint sends the same thing the same way: gathered, never
// copied unless it has to wait (DESIGN.md "The runtime is transport-neutral").
#ifndef TURNPIKE_RUNTIME_TRANSPORT_MESSAGE_H_
#define TURNPIKE_RUNTIME_TRANSPORT_MESSAGE_H_

#include <uv.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "core/forward.h"

namespace turnpike::runtime {

struct OutboundMessage {
  // Written first: a ChannelData or Data indication header, or nothing.
  absl::Span<const uint8_t> prefix;
  // Borrowed: valid only during the Send call that carries it.
  absl::Span<const uint8_t> payload;
  // Zero bytes after the payload (RFC 8656 §12.5: at most 3).
  uint8_t padding = 0;

  size_t size() const { return prefix.size() + payload.size() + padding; }

  static OutboundMessage Of(const core::Forward& forward) {
    return {forward.prefix.view(), forward.payload, forward.padding};
  }
  static OutboundMessage Of(absl::Span<const uint8_t> bytes) {
    return {{}, bytes, 0};
  }
};

// The message's non-empty parts as scatter-gather buffers, in order. On
// Unix uv_buf_t has struct iovec's layout, so these feed sendmsg(2) and
// writev(2) alike.
struct GatheredMessage {
  std::array<uv_buf_t, 3> parts;
  size_t count = 0;
  absl::Span<const uv_buf_t> view() const { return {parts.data(), count}; }
};
GatheredMessage Gather(const OutboundMessage& message);

// What an endpoint did with one message; the worker counts it.
struct SendResult {
  enum class Outcome : uint8_t {
    kSent,        // handed whole to the kernel
    kQueued,      // (streams) part or all of it waits in the write queue
    kWouldBlock,  // (datagrams) the socket buffer was full: dropped
    kQueueFull,   // (streams) the write queue was full: dropped whole
    kFailed,      // any other error; `error` says which
    kBatched,     // (datagrams) copied into the worker's SendBatch, whose
                  // flush counts whether it left (send_batch.h)
  };
  Outcome outcome = Outcome::kFailed;
  // The message's size (for kSent and kQueued).
  size_t bytes = 0;
  // A negative libuv error code for kFailed.
  int error = 0;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_MESSAGE_H_
