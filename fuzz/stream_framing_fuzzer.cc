// libFuzzer target for StreamFramer, which cuts TCP/TLS byte streams into
// STUN messages and ChannelData frames (RFC 8656 §12.5, RFC 6062 §4).
//
// Input layout (so that the fuzzer controls the framer as well as the bytes):
//   [0..1]   max_frame_size: a big-endian value v; v >= 0x8000 selects the
//            default bound, otherwise the bound is 8 + v (8 is the smallest
//            bound the framer can honour: it must see 8 bytes of a STUN
//            header before it knows the length);
//   [2]      the low 3 bits + 1 give the number k of chunk sizes; bit 3
//            picks the highest channel number: set, RFC 5766's 0x7FFF,
//            clear, RFC 8656's 0x4FFF (the two ServerConfig allows);
//   [3..3+k) chunk sizes, used in turn (0 is a call with empty input);
//   rest     the stream.
//
// Properties: every frame parses as what it claims to be (STUN frames pass
// Parse()'s framing checks; ChannelData frames pass ParseChannelData with the
// padding stripped, and the configured range), frames are consecutive slices of
// the stream, buffered() never exceeds the bound, an error sticks and repeats,
// and feeding the stream in chunks gives the same frames, the same error and
// the same leftover as feeding it in one piece.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/types/span.h"
#include "core/stun/channel_data.h"
#include "core/stun/constants.h"
#include "core/stun/message_view.h"
#include "core/stun/stream_framer.h"
#include "core/util/byte_io.h"
#include "fuzz/fuzz_support.h"

namespace turnpike::stun {
namespace {

using Bytes = absl::Span<const uint8_t>;

bool SameBytes(Bytes a, Bytes b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

struct RecordedFrame {
  FrameKind kind;
  std::vector<uint8_t> bytes;
  friend bool operator==(const RecordedFrame&, const RecordedFrame&) = default;
};

struct Outcome {
  std::vector<RecordedFrame> frames;
  std::optional<FramingError> error;
  size_t consumed = 0;  // stream bytes covered by the frames, padding included
  size_t buffered_at_end = 0;
};

// One frame: it must parse as its kind and be the next slice of the stream.
void CheckFrame(const Frame& frame, Bytes stream, const FramerLimits& limits,
                Outcome& out) {
  const size_t max_frame_size = limits.max_frame_size;
  const Bytes bytes = frame.bytes;
  size_t on_wire = 0;
  if (frame.kind == FrameKind::kStun) {
    FUZZ_CHECK(bytes.size() >= kHeaderSize);
    const auto parsed = MessageView::Parse(bytes);
    if (!parsed.ok()) {
      // The framer checked the header and cut at the declared length; only
      // attribute-level problems are left for the parser to find.
      const ParseError e = parsed.error().error;
      FUZZ_CHECK(e != ParseError::kTooShort && e != ParseError::kNotStun &&
                 e != ParseError::kBadMagicCookie &&
                 e != ParseError::kBadLength &&
                 e != ParseError::kLengthMismatch);
      FUZZ_CHECK(parsed.error().header.has_value());
    }
    on_wire = bytes.size();
  } else {
    const auto parsed = ParseChannelData(bytes, limits.max_channel);
    FUZZ_CHECK(parsed.ok());
    // The frame is header + payload, the stream padding stripped.
    FUZZ_CHECK(parsed->payload.size() + kChannelDataHeaderSize == bytes.size());
    on_wire = bytes.size() + ChannelDataPadding(parsed->payload.size(), true);
  }
  FUZZ_CHECK(on_wire <= max_frame_size);
  FUZZ_CHECK(on_wire <= stream.size() - out.consumed);
  FUZZ_CHECK(SameBytes(bytes, stream.subspan(out.consumed, bytes.size())));
  out.consumed += on_wire;
  out.frames.push_back({frame.kind, {bytes.begin(), bytes.end()}});
}

// Calls Next() until `chunk` is used up or the framer fails.
void Drain(StreamFramer& framer, Bytes chunk, Bytes stream,
           const FramerLimits& limits, Outcome& out) {
  const size_t max_frame_size = limits.max_frame_size;
  for (;;) {
    const size_t before = chunk.size();
    const auto next = framer.Next(&chunk);
    FUZZ_CHECK(framer.buffered() <= max_frame_size);
    FUZZ_CHECK(chunk.size() <= before);
    if (!next.ok()) {
      FUZZ_CHECK(FramingErrorName(next.error()) != "?");
      // Under RFC 5766's range every 0b01 first byte starts a valid channel.
      if (next.error() == FramingError::kBadChannel) {
        FUZZ_CHECK(limits.max_channel < kMaxRfc5766ChannelNumber);
      }
      // Once broken, always broken, with the same error.
      if (out.error) FUZZ_CHECK(*out.error == next.error());
      out.error = next.error();
      return;
    }
    FUZZ_CHECK(!out.error);
    if (!next->has_value()) {
      // nullopt means the input is used up (and any partial frame kept).
      FUZZ_CHECK(chunk.empty());
      return;
    }
    // CheckFrame bounds the number of frames by the stream length, so a
    // framer that returned frames forever would trip it.
    CheckFrame(**next, stream, limits, out);
  }
}

Outcome Feed(Bytes stream, const FramerLimits& limits,
             absl::Span<const size_t> chunk_sizes) {
  StreamFramer framer(limits);
  Outcome out;
  size_t position = 0;
  size_t turn = 0;
  while (position < stream.size()) {
    const size_t n = std::min(chunk_sizes[turn++ % chunk_sizes.size()],
                              stream.size() - position);
    Drain(framer, stream.subspan(position, n), stream, limits, out);
    position += n;
  }
  // One more call with nothing new: no frame appears from nowhere, and an
  // error is repeated.
  Drain(framer, Bytes(), stream, limits, out);
  if (out.error) {
    Bytes more = stream;
    const auto again = framer.Next(&more);
    FUZZ_CHECK(!again.ok() && again.error() == *out.error);
  } else {
    // Every byte is either in a returned frame or held as a partial one.
    out.buffered_at_end = framer.buffered();
    FUZZ_CHECK(out.consumed + out.buffered_at_end == stream.size());
  }
  return out;
}

void CheckSameOutcome(const Outcome& chunked, const Outcome& whole) {
  FUZZ_CHECK(chunked.frames.size() == whole.frames.size());
  for (size_t i = 0; i < whole.frames.size(); ++i) {
    FUZZ_CHECK(chunked.frames[i] == whole.frames[i]);
  }
  FUZZ_CHECK(chunked.error == whole.error);
  FUZZ_CHECK(chunked.consumed == whole.consumed);
  FUZZ_CHECK(chunked.buffered_at_end == whole.buffered_at_end);
}

// Splits the fuzz input into the framer's settings and the stream, then
// feeds the stream twice: in the chosen chunks and in one piece.
void Run(Bytes input) {
  if (input.size() < 3) return;
  const uint16_t bound = LoadBe16(input.data());
  const size_t max_frame_size =
      bound >= 0x8000 ? StreamFramer::kDefaultMaxFrameSize : 8u + bound;
  const uint16_t max_channel =
      (input[2] & 0x08) != 0 ? kMaxRfc5766ChannelNumber : kMaxChannelNumber;
  const FramerLimits limits{.max_channel = max_channel,
                            .max_frame_size = max_frame_size};
  const size_t k = (input[2] & 0x07) + 1u;
  if (input.size() < 3 + k) return;
  std::vector<size_t> chunk_sizes(input.begin() + 3, input.begin() + 3 + k);
  // At least one non-empty chunk, or the stream would never be fed.
  if (std::all_of(chunk_sizes.begin(), chunk_sizes.end(),
                  [](size_t n) { return n == 0; })) {
    chunk_sizes.push_back(1);
  }
  const Bytes stream = input.subspan(3 + k);

  const Outcome chunked = Feed(stream, limits, chunk_sizes);
  const size_t one_piece[] = {stream.size()};
  const Outcome whole = Feed(stream, limits, one_piece);
  CheckSameOutcome(chunked, whole);
}

}  // namespace
}  // namespace turnpike::stun

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  turnpike::stun::Run(absl::Span<const uint8_t>(data, size));
  return 0;
}
