// Cuts a TCP or TLS byte stream into whole STUN messages and ChannelData
// frames (RFC 8656 §12.5, RFC 6062 §4), across arbitrary read boundaries.
//
// Frames that arrive whole in one read are returned without copying; only a
// frame split across reads is assembled in an internal buffer, which never
// holds more than `max_frame_size` bytes. Anything that is neither STUN nor
// ChannelData is an error, after which the connection must be closed: a
// stream that lost its framing cannot be resynchronised.
#ifndef TURNPIKE_CORE_STUN_STREAM_FRAMER_H_
#define TURNPIKE_CORE_STUN_STREAM_FRAMER_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "core/stun/constants.h"
#include "core/util/expected.h"

namespace turnpike::stun {

enum class FrameKind : uint8_t { kStun, kChannelData };

struct Frame {
  FrameKind kind = FrameKind::kStun;
  // The whole STUN message, or the ChannelData header and payload without
  // its stream padding.
  absl::Span<const uint8_t> bytes;
};

enum class FramingError : uint8_t {
  kNotTurn,         // first two bits are neither 0b00 nor 0b01
  kBadMagicCookie,  // a STUN header without the RFC 8489 cookie
  kBadStunLength,   // a STUN length that is not a multiple of 4
  kBadChannel,      // ChannelData above the configured maximum channel
  kFrameTooLarge,   // longer than the configured bound
};
std::string_view FramingErrorName(FramingError error);

// The largest STUN message a 16-bit length allows; ChannelData is smaller.
inline constexpr size_t kDefaultMaxFrameSize = kHeaderSize + 0xFFFC;

struct FramerLimits {
  // The highest channel number accepted: pass the server's
  // ServerConfig::max_channel_number (core/config.h), so a stream client is
  // held to the same range as a UDP client (stun::IsValidChannelNumber).
  // Deliberately without a default.
  uint16_t max_channel;
  size_t max_frame_size = kDefaultMaxFrameSize;
};

class StreamFramer {
 public:
  static constexpr size_t kDefaultMaxFrameSize = stun::kDefaultMaxFrameSize;

  explicit StreamFramer(FramerLimits limits)
      : max_frame_size_(limits.max_frame_size),
        max_channel_(limits.max_channel) {}

  // Consumes bytes from the front of `*input` until one frame is complete.
  // Returns:
  //   * a frame: its bytes borrow from `*input`'s storage or from this
  //     framer, and stay valid until the next call;
  //   * nullopt: `*input` is used up and the partial frame is kept;
  //   * an error: the stream is unusable; every later call repeats it.
  Expected<std::optional<Frame>, FramingError> Next(
      absl::Span<const uint8_t>* input);

  // Bytes of a partial frame held between calls.
  size_t buffered() const { return release_buffer_ ? 0 : buffer_.size(); }

 private:
  Expected<std::optional<Frame>, FramingError> Poison(FramingError error) {
    error_ = error;
    buffer_.clear();
    buffer_.shrink_to_fit();
    return Unexpected(error);
  }

  size_t max_frame_size_;
  uint16_t max_channel_;
  std::vector<uint8_t> buffer_;
  bool release_buffer_ = false;  // buffer_ was returned by the last call
  std::optional<FramingError> error_;
};

}  // namespace turnpike::stun

#endif  // TURNPIKE_CORE_STUN_STREAM_FRAMER_H_
