// libFuzzer target for ParseChannelData (RFC 8656 §12.4-§12.5).
//
// No input may crash the parser. A rejected input must be wrong in the way
// the error says. An accepted one must carry a valid channel number, a
// payload that is exactly the `length` bytes after the header (a view into
// the input, never past it), must not also pass as STUN (RFC 7983
// demultiplexing), and must survive a round trip through
// EncodeChannelDataHeader, with and without stream padding and through
// StreamFramer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "core/stun/channel_data.h"
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

void CheckRejected(Bytes input, ChannelDataError error) {
  FUZZ_CHECK(ChannelDataErrorName(error) != "?");
  switch (error) {
    case ChannelDataError::kTooShort:
      FUZZ_CHECK(input.size() < kChannelDataHeaderSize);
      break;
    case ChannelDataError::kBadChannel:
      FUZZ_CHECK(input.size() >= kChannelDataHeaderSize);
      FUZZ_CHECK(!IsValidChannelNumber(LoadBe16(&input[0])));
      break;
    case ChannelDataError::kLengthOverrun:
      FUZZ_CHECK(input.size() >= kChannelDataHeaderSize);
      FUZZ_CHECK(IsValidChannelNumber(LoadBe16(&input[0])));
      FUZZ_CHECK(LoadBe16(&input[2]) > input.size() - kChannelDataHeaderSize);
      break;
  }
}

// Header + payload (+ stream padding) encodes to something that parses
// back to the same channel and payload.
void CheckReencoded(const ChannelDataView& view, bool stream) {
  FUZZ_CHECK(view.payload.size() <= 0xFFFF);
  const auto header = EncodeChannelDataHeader(
      view.channel, static_cast<uint16_t>(view.payload.size()));
  std::vector<uint8_t> wire(header.begin(), header.end());
  wire.insert(wire.end(), view.payload.begin(), view.payload.end());
  const size_t padding = ChannelDataPadding(view.payload.size(), stream);
  FUZZ_CHECK(padding < 4);
  wire.insert(wire.end(), padding, 0);
  // RFC 8656 §12.5: over streams the frame ends on a 4-byte boundary.
  if (stream) FUZZ_CHECK(wire.size() % 4 == 0);

  const auto again = ParseChannelData(wire);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->channel == view.channel);
  FUZZ_CHECK(SameBytes(again->payload, view.payload));
  FUZZ_CHECK(again->payload.data() == wire.data() + kChannelDataHeaderSize);

  if (stream) {
    // A stream carrying exactly this frame yields it, without the padding,
    // and nothing is left over.
    // The same range ParseChannelData was given above.
    StreamFramer framer({.max_channel = kMaxChannelNumber});
    Bytes input = absl::MakeConstSpan(wire);
    const auto frame = framer.Next(&input);
    FUZZ_CHECK(frame.ok() && frame->has_value());
    FUZZ_CHECK((*frame)->kind == FrameKind::kChannelData);
    FUZZ_CHECK(SameBytes((*frame)->bytes, absl::MakeConstSpan(wire).first(
                                              wire.size() - padding)));
    FUZZ_CHECK(input.empty());
    FUZZ_CHECK(framer.buffered() == 0);
  }
}

void CheckAccepted(Bytes input, const ChannelDataView& view) {
  FUZZ_CHECK(input.size() >= kChannelDataHeaderSize);
  FUZZ_CHECK(IsValidChannelNumber(view.channel));
  FUZZ_CHECK(view.channel == LoadBe16(&input[0]));
  FUZZ_CHECK(LooksLikeChannelData(input[0]));
  // RFC 7983: a ChannelData message can never be mistaken for STUN.
  FUZZ_CHECK(!MessageView::LooksLikeStun(input));
  const auto as_stun = MessageView::Parse(input);
  FUZZ_CHECK(!as_stun.ok());
  FUZZ_CHECK(as_stun.error().error == ParseError::kTooShort ||
             as_stun.error().error == ParseError::kNotStun);

  // The payload is the `length` bytes right after the header: a view into
  // the input that ends inside it. Trailing bytes are padding and ignored.
  FUZZ_CHECK(view.payload.size() == LoadBe16(&input[2]));
  FUZZ_CHECK(view.payload.data() == input.data() + kChannelDataHeaderSize);
  FUZZ_CHECK(view.payload.data() + view.payload.size() <=
             input.data() + input.size());
  const auto header = EncodeChannelDataHeader(
      view.channel, static_cast<uint16_t>(view.payload.size()));
  FUZZ_CHECK(SameBytes(header, input.first(kChannelDataHeaderSize)));

  CheckReencoded(view, /*stream=*/false);
  CheckReencoded(view, /*stream=*/true);
}

}  // namespace
}  // namespace turnpike::stun

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Span<const uint8_t> input(data, size);
  const auto parsed = turnpike::stun::ParseChannelData(input);
  if (parsed.ok()) {
    turnpike::stun::CheckAccepted(input, *parsed);
  } else {
    turnpike::stun::CheckRejected(input, parsed.error());
  }
  return 0;
}
