// StreamFramer properties: the frames out of a stream do not depend on how
// the stream was cut into reads; garbage at a frame boundary is reported as
// the right FramingError after exactly the frames before it; the buffer
// bound holds. Each run picks one of the two channel ranges a server can be
// configured with (ServerConfig::max_channel_number).
#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <optional>
#include <vector>

#include "core/stun/channel_data.h"
#include "core/stun/stream_framer.h"
#include "core/util/byte_io.h"
#include "tests/harness/hex.h"
#include "tests/property/property_check.h"
#include "tests/property/uniform.h"

namespace turnpike::testing {
namespace {

using stun::FrameKind;
using stun::FramerLimits;
using stun::FramingError;
using stun::StreamFramer;

// RFC 8656 §12 (0x4FFF) or RFC 5766 §11 (0x7FFF).
uint16_t PickMaxChannel() {
  return *rc::gen::arbitrary<bool>() ? stun::kMaxChannelNumber
                                     : stun::kMaxRfc5766ChannelNumber;
}

struct WireFrame {
  FrameKind kind = FrameKind::kStun;
  std::vector<uint8_t> bytes;    // the frame as Next() must return it
  std::vector<uint8_t> padding;  // stream padding after a ChannelData frame

  size_t wire_size() const { return bytes.size() + padding.size(); }
  friend bool operator==(const WireFrame& a, const WireFrame& b) {
    return a.kind == b.kind && a.bytes == b.bytes;
  }
};

std::ostream& operator<<(std::ostream& os, const WireFrame& f) {
  return os << (f.kind == FrameKind::kStun ? "STUN " : "ChannelData ")
            << f.bytes.size() << "+" << f.padding.size() << " bytes";
}

std::vector<uint8_t> PickPayload(size_t max) {
  const size_t n = Uniform<size_t>(0, max + 1);
  return *rc::gen::container<std::vector<uint8_t>>(
      n, rc::gen::arbitrary<uint8_t>());
}

// A STUN frame: a valid header (any type with the two top bits clear, the
// cookie, a random transaction ID) and a random body of 4-byte multiple
// length. The framer does not look inside the body.
WireFrame PickStunFrame(size_t max_body_words) {
  WireFrame f;
  f.kind = FrameKind::kStun;
  const size_t body = 4 * Uniform<size_t>(0, max_body_words + 1);
  f.bytes.resize(stun::kHeaderSize);
  StoreBe16(&f.bytes[0], *rc::gen::arbitrary<uint16_t>() & 0x3FFF);
  StoreBe16(&f.bytes[2], static_cast<uint16_t>(body));
  StoreBe32(&f.bytes[4], stun::kMagicCookie);
  for (size_t i = 8; i < stun::kHeaderSize; ++i) {
    f.bytes[i] = *rc::gen::arbitrary<uint8_t>();
  }
  const std::vector<uint8_t> rest = *rc::gen::container<std::vector<uint8_t>>(
      body, rc::gen::arbitrary<uint8_t>());
  f.bytes.insert(f.bytes.end(), rest.begin(), rest.end());
  return f;
}

// A ChannelData frame on a channel up to `max_channel` with its RFC 8656
// §12.5 stream padding (zeros, though the framer must skip whatever is
// there).
WireFrame PickChannelDataFrame(size_t max_payload, uint16_t max_channel) {
  WireFrame f;
  f.kind = FrameKind::kChannelData;
  const uint16_t channel = static_cast<uint16_t>(
      Uniform<int>(stun::kMinChannelNumber, max_channel + 1));
  const std::vector<uint8_t> payload = PickPayload(max_payload);
  const auto header = stun::EncodeChannelDataHeader(
      channel, static_cast<uint16_t>(payload.size()));
  f.bytes.assign(header.begin(), header.end());
  f.bytes.insert(f.bytes.end(), payload.begin(), payload.end());
  f.padding.assign(stun::ChannelDataPadding(payload.size(), true),
                   *rc::gen::arbitrary<bool>() ? 0 : 0xEE);
  return f;
}

std::vector<WireFrame> PickFrames(size_t max_frames, size_t max_size,
                                  uint16_t max_channel) {
  std::vector<WireFrame> frames;
  const size_t count = Uniform<size_t>(0, max_frames + 1);
  for (size_t i = 0; i < count; ++i) {
    if (*rc::gen::arbitrary<bool>()) {
      frames.push_back(PickStunFrame((max_size - stun::kHeaderSize) / 4));
    } else {
      frames.push_back(PickChannelDataFrame(max_size - 4 - 3, max_channel));
    }
  }
  return frames;
}

std::vector<uint8_t> Concatenate(const std::vector<WireFrame>& frames) {
  std::vector<uint8_t> out;
  for (const WireFrame& f : frames) {
    out.insert(out.end(), f.bytes.begin(), f.bytes.end());
    out.insert(out.end(), f.padding.begin(), f.padding.end());
  }
  return out;
}

// Cuts `size` bytes into chunk lengths: many single bytes, small reads and
// large ones, in random mixture.
std::vector<size_t> PickSplit(size_t size) {
  std::vector<size_t> chunks;
  const int style = Uniform(0, 4);
  size_t left = size;
  while (left > 0) {
    size_t n;
    switch (style) {
      case 0:
        n = 1;
        break;  // one byte at a time
      case 1:
        n = Uniform<size_t>(1, 9);
        break;
      case 2:
        n = Uniform<size_t>(1, left + 1);
        break;
      default:
        n = *rc::gen::arbitrary<bool>() ? 1 : Uniform<size_t>(1, 300);
    }
    n = std::min(n, left);
    chunks.push_back(n);
    left -= n;
  }
  return chunks;
}

struct FeedResult {
  std::vector<WireFrame> frames;
  std::optional<FramingError> error;
  size_t max_buffered = 0;
  size_t final_buffered = 0;
};

// Feeds `stream` cut as `chunks`, draining after each read.
FeedResult Feed(StreamFramer& framer, const std::vector<uint8_t>& stream,
                const std::vector<size_t>& chunks) {
  FeedResult r;
  size_t offset = 0;
  for (size_t n : chunks) {
    // Each read in its own allocation, so a frame that borrows from a read
    // cannot accidentally see the next one.
    const std::vector<uint8_t> read(stream.begin() + offset,
                                    stream.begin() + offset + n);
    offset += n;
    absl::Span<const uint8_t> input = read;
    while (true) {
      auto next = framer.Next(&input);
      r.max_buffered = std::max(r.max_buffered, framer.buffered());
      if (!next.ok()) {
        r.error = next.error();
        // The error repeats on every later call.
        absl::Span<const uint8_t> more = read;
        auto again = framer.Next(&more);
        RC_ASSERT(!again.ok());
        RC_ASSERT(again.error() == next.error());
        r.final_buffered = framer.buffered();
        return r;
      }
      if (!next->has_value()) break;
      WireFrame f;
      f.kind = (*next)->kind;
      f.bytes.assign((*next)->bytes.begin(), (*next)->bytes.end());
      r.frames.push_back(std::move(f));
    }
    RC_ASSERT(input.empty());
  }
  r.final_buffered = framer.buffered();
  return r;
}

TEST_CASE("the same frames come out however the stream is split") {
  CheckProperty("split invariance", [] {
    const uint16_t max_channel = PickMaxChannel();
    const std::vector<WireFrame> frames = PickFrames(12, 400, max_channel);
    const std::vector<uint8_t> stream = Concatenate(frames);
    const std::vector<size_t> split = PickSplit(stream.size());
    StreamFramer framer(FramerLimits{.max_channel = max_channel});
    const FeedResult r = Feed(framer, stream, split);
    RC_ASSERT(!r.error.has_value());
    RC_ASSERT(r.frames == frames);
    RC_ASSERT(r.final_buffered == 0u);
  });
}

TEST_CASE("garbage at a frame boundary gives the right FramingError") {
  CheckProperty("garbage at a boundary", [] {
    const uint16_t max_channel = PickMaxChannel();
    const std::vector<WireFrame> frames = PickFrames(6, 200, max_channel);
    const size_t boundary = Uniform<size_t>(0, frames.size() + 1);
    const std::vector<WireFrame> before(frames.begin(),
                                        frames.begin() + boundary);
    const std::vector<WireFrame> after(frames.begin() + boundary, frames.end());
    const std::vector<uint8_t> head = Concatenate(before);
    const std::vector<uint8_t> tail = Concatenate(after);

    // What to insert, and what the framer must say about it, given the
    // bytes that follow (`tail`).
    std::vector<uint8_t> garbage;
    std::optional<FramingError> expected;
    size_t needed_after = 0;  // tail bytes needed before the error is known
    int kind = Uniform(0, 4);
    // With the RFC 5766 range every 0b01 byte starts a valid channel
    // number, so there is no ChannelData garbage to insert.
    if (kind == 1 && max_channel == stun::kMaxRfc5766ChannelNumber) kind = 0;
    switch (kind) {
      case 0:
        // First two bits 0b10 or 0b11: neither STUN nor ChannelData
        // (RFC 7983), known from the first byte alone.
        garbage = {Uniform<uint8_t>(0x80, 0xFF)};
        if (*rc::gen::arbitrary<bool>()) garbage[0] = 0xFF;
        expected = FramingError::kNotTurn;
        needed_after = 0;
        break;
      case 1:
        // 0b01 with a channel number 0x5000-0x7FFF (RFC 8656 §12: reserved,
        // refused under the RFC 8656 range), known once the 2-byte channel and
        // 2-byte length are in. (0x40-0x4F are valid channel numbers, not
        // garbage: a byte there would start a well-formed frame and cannot be
        // detected.)
        garbage = {Uniform<uint8_t>(0x50, 0x80)};
        expected = FramingError::kBadChannel;
        needed_after = 3;
        break;
      case 2:
        // 0b00: read as a STUN header whose "cookie" is the 4 bytes at
        // offset 4, which here come from the following frame.
        garbage = {Uniform<uint8_t>(0x00, 0x40)};
        expected = FramingError::kBadMagicCookie;
        needed_after = 7;
        break;
      default: {
        // A whole STUN header with a length that is not a multiple of 4.
        garbage.resize(8);
        StoreBe16(&garbage[0], 0x0001);
        StoreBe16(&garbage[2],
                  static_cast<uint16_t>(4 * Uniform(0, 100) + Uniform(1, 4)));
        StoreBe32(&garbage[4], stun::kMagicCookie);
        expected = FramingError::kBadStunLength;
        needed_after = 0;
        break;
      }
    }
    std::vector<uint8_t> stream = head;
    stream.insert(stream.end(), garbage.begin(), garbage.end());
    stream.insert(stream.end(), tail.begin(), tail.end());
    const size_t garbage_at = head.size();
    if (expected == FramingError::kBadMagicCookie &&
        tail.size() >= needed_after) {
      // The following bytes could, by a 2^-32 chance, spell the cookie.
      RC_PRE(LoadBe32(&stream[garbage_at + 4]) != stun::kMagicCookie);
    }

    StreamFramer framer(FramerLimits{.max_channel = max_channel});
    const FeedResult r = Feed(framer, stream, PickSplit(stream.size()));
    // The frames before the garbage come out intact either way.
    RC_ASSERT(r.frames.size() >= before.size());
    RC_ASSERT(std::vector<WireFrame>(r.frames.begin(),
                                     r.frames.begin() + before.size()) ==
              before);
    if (tail.size() >= needed_after) {
      RC_ASSERT(r.error == expected);
      RC_ASSERT(r.frames.size() == before.size());
      RC_ASSERT(r.final_buffered == 0u);
    } else {
      // Too few bytes follow to tell yet: no verdict, the partial header
      // waits in the buffer.
      RC_ASSERT(!r.error.has_value());
      RC_ASSERT(r.frames.size() == before.size());
      RC_ASSERT(r.final_buffered == garbage.size() + tail.size());
    }
  });
}

TEST_CASE("the buffered-bytes bound is enforced") {
  CheckProperty("frame size bound", [] {
    // 8 bytes is the least that can hold a STUN header up to the cookie;
    // below that a STUN header would have to be buffered past the bound
    // before its length is known.
    const size_t max_frame = Uniform<size_t>(8, 400);
    const uint16_t max_channel = PickMaxChannel();
    const std::vector<WireFrame> frames = PickFrames(8, 450, max_channel);
    const std::vector<uint8_t> stream = Concatenate(frames);
    StreamFramer framer(
        FramerLimits{.max_channel = max_channel, .max_frame_size = max_frame});
    const FeedResult r = Feed(framer, stream, PickSplit(stream.size()));

    // Expected: every frame up to the first one over the bound, then
    // kFrameTooLarge.
    std::vector<WireFrame> fitting;
    bool too_large = false;
    for (const WireFrame& f : frames) {
      if (f.wire_size() > max_frame) {
        too_large = true;
        break;
      }
      fitting.push_back(f);
    }
    RC_ASSERT(r.frames == fitting);
    if (too_large) {
      RC_ASSERT(r.error == FramingError::kFrameTooLarge);
    } else {
      RC_ASSERT(!r.error.has_value());
    }
    RC_ASSERT(r.max_buffered <= max_frame);
    RC_TAG(too_large ? "over the bound" : "within the bound");
  });
}

}  // namespace
}  // namespace turnpike::testing
