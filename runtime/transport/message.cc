#include "runtime/transport/message.h"

namespace turnpike::runtime {
namespace {

// Zero bytes for a message's padding (at most 3).
constexpr uint8_t kZeros[4] = {};

uv_buf_t ConstBuf(const void* data, size_t size) {
  // uv_buf_t's base is non-const, but the send and write calls only read it.
  return uv_buf_init(const_cast<char*>(static_cast<const char*>(data)),
                     static_cast<unsigned int>(size));
}

}  // namespace

GatheredMessage Gather(const OutboundMessage& message) {
  GatheredMessage gathered;
  if (!message.prefix.empty()) {
    gathered.parts[gathered.count++] =
        ConstBuf(message.prefix.data(), message.prefix.size());
  }
  // The payload always goes in, even empty: a zero-length datagram is a
  // datagram (RFC 8656 §11.4 allows an empty DATA).
  gathered.parts[gathered.count++] =
      ConstBuf(message.payload.data(), message.payload.size());
  if (message.padding != 0) {
    gathered.parts[gathered.count++] = ConstBuf(kZeros, message.padding);
  }
  return gathered;
}

}  // namespace turnpike::runtime
