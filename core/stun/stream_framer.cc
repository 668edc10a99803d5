#include "core/stun/stream_framer.h"

#include <algorithm>

#include "core/stun/channel_data.h"
#include "core/util/byte_io.h"

namespace turnpike::stun {
namespace {

// What the first bytes of a frame say about it.
struct FrameShape {
  FrameKind kind;
  size_t header_needed;        // bytes needed before `size` is known
  std::optional<size_t> size;  // on the wire, padding included
  size_t unpadded;             // the frame without stream padding
};

Expected<FrameShape, FramingError> Inspect(absl::Span<const uint8_t> b,
                                           uint16_t max_channel) {
  switch (b[0] >> 6) {
    case 0b00: {
      // STUN: the cookie is checked as soon as it is in, so garbage that
      // happens to start with two zero bits is caught after 8 bytes.
      FrameShape shape{FrameKind::kStun, 8, std::nullopt, 0};
      if (b.size() < 8) return shape;
      if (LoadBe32(&b[4]) != kMagicCookie) {
        return Unexpected(FramingError::kBadMagicCookie);
      }
      const size_t length = LoadBe16(&b[2]);
      if (length % 4 != 0) return Unexpected(FramingError::kBadStunLength);
      shape.size = shape.unpadded = kHeaderSize + length;
      return shape;
    }
    case 0b01: {
      FrameShape shape{FrameKind::kChannelData, kChannelDataHeaderSize,
                       std::nullopt, 0};
      if (b.size() < kChannelDataHeaderSize) return shape;
      if (!IsValidChannelNumber(LoadBe16(&b[0]), max_channel)) {
        return Unexpected(FramingError::kBadChannel);
      }
      const size_t length = LoadBe16(&b[2]);
      shape.unpadded = kChannelDataHeaderSize + length;
      // RFC 8656 §12.5: over streams the payload is padded to 4 bytes.
      shape.size = shape.unpadded + ChannelDataPadding(length, true);
      return shape;
    }
    default:
      return Unexpected(FramingError::kNotTurn);
  }
}

}  // namespace

std::string_view FramingErrorName(FramingError error) {
  switch (error) {
    case FramingError::kNotTurn:
      return "neither STUN nor ChannelData";
    case FramingError::kBadMagicCookie:
      return "bad magic cookie";
    case FramingError::kBadStunLength:
      return "STUN length not a multiple of 4";
    case FramingError::kBadChannel:
      return "channel number out of range";
    case FramingError::kFrameTooLarge:
      return "frame too large";
  }
  return "?";
}

Expected<std::optional<Frame>, FramingError> StreamFramer::Next(
    absl::Span<const uint8_t>* input) {
  if (error_) return Unexpected(*error_);
  if (release_buffer_) {
    buffer_.clear();
    release_buffer_ = false;
  }

  // Fast path: a whole frame at the front of the input, nothing buffered.
  if (buffer_.empty() && !input->empty()) {
    Expected<FrameShape, FramingError> shape = Inspect(*input, max_channel_);
    if (!shape.ok()) return Poison(shape.error());
    if (shape->size && *shape->size > max_frame_size_) {
      return Poison(FramingError::kFrameTooLarge);
    }
    if (shape->size && input->size() >= *shape->size) {
      Frame frame{shape->kind, input->first(shape->unpadded)};
      input->remove_prefix(*shape->size);
      return std::optional<Frame>(frame);
    }
  }

  // Slow path: assemble the frame in buffer_, first its header, then the
  // rest once the header says how long it is.
  while (!input->empty()) {
    size_t target;
    std::optional<size_t> unpadded;
    FrameKind kind = FrameKind::kStun;
    if (buffer_.empty()) {
      target = 1;
    } else {
      Expected<FrameShape, FramingError> shape = Inspect(buffer_, max_channel_);
      if (!shape.ok()) return Poison(shape.error());
      kind = shape->kind;
      if (shape->size) {
        if (*shape->size > max_frame_size_) {
          return Poison(FramingError::kFrameTooLarge);
        }
        target = *shape->size;
        unpadded = shape->unpadded;
      } else {
        target = shape->header_needed;
      }
    }
    if (buffer_.size() < target) {
      const size_t take = std::min(target - buffer_.size(), input->size());
      buffer_.insert(buffer_.end(), input->begin(), input->begin() + take);
      input->remove_prefix(take);
    }
    if (unpadded && buffer_.size() == target) {
      release_buffer_ = true;
      return std::optional<Frame>(
          Frame{kind, absl::MakeConstSpan(buffer_).first(*unpadded)});
    }
  }
  // The input may have ended exactly on a header: check it now, so garbage
  // is reported without waiting for more bytes.
  if (!buffer_.empty()) {
    Expected<FrameShape, FramingError> shape = Inspect(buffer_, max_channel_);
    if (!shape.ok()) return Poison(shape.error());
    if (shape->size && *shape->size > max_frame_size_) {
      return Poison(FramingError::kFrameTooLarge);
    }
    if (shape->size && buffer_.size() == *shape->size) {
      release_buffer_ = true;
      return std::optional<Frame>(Frame{
          shape->kind, absl::MakeConstSpan(buffer_).first(shape->unpadded)});
    }
  }
  return std::optional<Frame>();
}

}  // namespace turnpike::stun
