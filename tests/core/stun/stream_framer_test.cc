// StreamFramer on hand-picked streams (the split-invariance property lives in
// tests/property/stream_framer_property_test.cc).
#include "core/stun/stream_framer.h"

#include <doctest/doctest.h>

#include <vector>

#include "core/config.h"
#include "core/stun/channel_data.h"
#include "tests/harness/hex.h"
#include "tests/harness/printers.h"
#include "tests/harness/raw_stun.h"

namespace turnpike::stun {
namespace {

using testing::RawStun;
using testing::ToHex;
using AT = AttributeType;

// The server's default range (RFC 5766 §11, ServerConfig), unless a test
// says otherwise.
constexpr FramerLimits kLimits{.max_channel = kMaxRfc5766ChannelNumber};

struct Collected {
  std::vector<std::pair<FrameKind, std::vector<uint8_t>>> frames;
  std::optional<FramingError> error;
};

// Feeds `chunks` in order, draining frames after each.
Collected Feed(StreamFramer& framer,
               const std::vector<std::vector<uint8_t>>& chunks) {
  Collected c;
  for (const std::vector<uint8_t>& chunk : chunks) {
    absl::Span<const uint8_t> input = chunk;
    while (true) {
      auto next = framer.Next(&input);
      if (!next.ok()) {
        c.error = next.error();
        return c;
      }
      if (!next->has_value()) break;
      const Frame& f = **next;
      c.frames.emplace_back(
          f.kind, std::vector<uint8_t>(f.bytes.begin(), f.bytes.end()));
    }
    CHECK(input.empty());
  }
  return c;
}

std::vector<uint8_t> Stun(std::string_view software) {
  return RawStun().AttrText(AT::kSoftware, software).Build();
}

std::vector<uint8_t> ChannelData(uint16_t channel,
                                 const std::vector<uint8_t>& payload) {
  const auto h =
      EncodeChannelDataHeader(channel, static_cast<uint16_t>(payload.size()));
  std::vector<uint8_t> out(h.begin(), h.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::vector<uint8_t> Concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST_CASE("a whole frame in one read is returned without copying") {
  const std::vector<uint8_t> stun = Stun("hello");
  StreamFramer framer(kLimits);
  absl::Span<const uint8_t> input = stun;
  auto next = framer.Next(&input);
  REQUIRE(next.ok());
  REQUIRE(next->has_value());
  CHECK((*next)->kind == FrameKind::kStun);
  CHECK((*next)->bytes.data() == stun.data());
  CHECK((*next)->bytes.size() == stun.size());
  CHECK(input.empty());
  CHECK(framer.buffered() == 0);
  auto done = framer.Next(&input);
  REQUIRE(done.ok());
  CHECK_FALSE(done->has_value());
}

TEST_CASE("frames split across reads are assembled") {
  const std::vector<uint8_t> a = Stun("first message");
  const std::vector<uint8_t> b = ChannelData(0x4001, {1, 2, 3, 4, 5});
  const std::vector<uint8_t> padding = {0, 0, 0};  // RFC 8656 §12.5
  const std::vector<uint8_t> c = Stun("x");
  const std::vector<uint8_t> stream = Concat({a, b, padding, c});

  SUBCASE("one byte at a time") {
    StreamFramer framer(kLimits);
    std::vector<std::vector<uint8_t>> chunks;
    for (uint8_t byte : stream) chunks.push_back({byte});
    const Collected got = Feed(framer, chunks);
    CHECK_FALSE(got.error.has_value());
    REQUIRE(got.frames.size() == 3);
    CHECK(got.frames[0].first == FrameKind::kStun);
    CHECK(ToHex(got.frames[0].second) == ToHex(a));
    CHECK(got.frames[1].first == FrameKind::kChannelData);
    // The frame excludes the stream padding.
    CHECK(ToHex(got.frames[1].second) == ToHex(b));
    CHECK(ToHex(got.frames[2].second) == ToHex(c));
    CHECK(framer.buffered() == 0);
  }
  SUBCASE("all in one read") {
    StreamFramer framer(kLimits);
    const Collected got = Feed(framer, {stream});
    CHECK_FALSE(got.error.has_value());
    REQUIRE(got.frames.size() == 3);
    CHECK(ToHex(got.frames[1].second) == ToHex(b));
  }
  SUBCASE("a split inside the padding") {
    StreamFramer framer(kLimits);
    const size_t cut = a.size() + b.size() + 1;
    const Collected got = Feed(framer, {{stream.begin(), stream.begin() + cut},
                                        {stream.begin() + cut, stream.end()}});
    CHECK_FALSE(got.error.has_value());
    REQUIRE(got.frames.size() == 3);
    CHECK(ToHex(got.frames[2].second) == ToHex(c));
  }
}

TEST_CASE("buffered() counts the partial frame") {
  const std::vector<uint8_t> stun = Stun("abcdefgh");
  StreamFramer framer(kLimits);
  absl::Span<const uint8_t> input = absl::MakeConstSpan(stun).first(13);
  auto next = framer.Next(&input);
  REQUIRE(next.ok());
  CHECK_FALSE(next->has_value());
  CHECK(framer.buffered() == 13);
  input = absl::MakeConstSpan(stun).subspan(13);
  next = framer.Next(&input);
  REQUIRE(next.ok());
  REQUIRE(next->has_value());
  CHECK(ToHex((*next)->bytes) == ToHex(stun));
  // The returned frame lives in the framer until the next call.
  CHECK(framer.buffered() == 0);
}

TEST_CASE("framing errors") {
  const std::vector<uint8_t> good = Stun("ok");
  auto error_after = [](std::vector<uint8_t> stream,
                        uint16_t max_channel = kMaxRfc5766ChannelNumber) {
    StreamFramer framer({.max_channel = max_channel});
    return Feed(framer, {stream});
  };
  SUBCASE("first two bits 0b10 or 0b11") {
    for (uint8_t first : {0x80, 0xBF, 0xC0, 0xFF}) {
      CAPTURE(first);
      const Collected got = error_after(Concat({good, {first}}));
      CHECK(got.frames.size() == 1);
      CHECK(got.error == FramingError::kNotTurn);
    }
  }
  SUBCASE("STUN header with a bad magic cookie") {
    std::vector<uint8_t> bad = good;
    bad[5] ^= 0xFF;
    // Reported as soon as the cookie is in: 7 bytes are not enough ...
    StreamFramer framer(kLimits);
    Collected got = Feed(framer, {{bad.begin(), bad.begin() + 7}});
    CHECK_FALSE(got.error.has_value());
    CHECK(framer.buffered() == 7);
    // ... the 8th is.
    got = Feed(framer, {{bad[7]}});
    CHECK(got.error == FramingError::kBadMagicCookie);
  }
  SUBCASE("STUN length not a multiple of 4") {
    std::vector<uint8_t> bad = good;
    bad[3] = 0x05;
    CHECK(error_after(bad).error == FramingError::kBadStunLength);
  }
  SUBCASE("ChannelData above an RFC 8656 maximum of 0x4FFF") {
    for (uint16_t channel : {0x5000, 0x7FFF}) {
      CAPTURE(channel);
      CHECK(error_after(ChannelData(channel, {1}), kMaxChannelNumber).error ==
            FramingError::kBadChannel);
    }
  }
  SUBCASE("the error is sticky") {
    StreamFramer framer(kLimits);
    Collected got = Feed(framer, {{0xFF}});
    CHECK(got.error == FramingError::kNotTurn);
    got = Feed(framer, {good});
    CHECK(got.frames.empty());
    CHECK(got.error == FramingError::kNotTurn);
    CHECK(framer.buffered() == 0);
  }
  SUBCASE("every FramingError has a name") {
    for (FramingError e :
         {FramingError::kNotTurn, FramingError::kBadMagicCookie,
          FramingError::kBadStunLength, FramingError::kBadChannel,
          FramingError::kFrameTooLarge}) {
      CHECK(FramingErrorName(e) != "?");
    }
  }
}

// A stream client is held to the same channel range as a UDP client: the
// framer and the core's check (IsValidChannelNumber with the server's
// max_channel_number, core/server_permission.cc and core/server_data.cc)
// agree on every channel number, for both ranges a server can be given.
TEST_CASE("the framer accepts exactly the configured channel range") {
  // The server's default is RFC 5766's 0x7FFF (turnutils_uclient and other
  // RFC 5766 clients bind channels up there).
  CHECK(core::ServerConfig{}.max_channel_number == kMaxRfc5766ChannelNumber);
  for (uint16_t max_channel : {kMaxChannelNumber, kMaxRfc5766ChannelNumber}) {
    CAPTURE(max_channel);
    int accepted = 0;
    // Every number whose first two bits are 0b01 (RFC 7983: ChannelData).
    for (uint32_t channel = 0x4000; channel <= 0x7FFF; ++channel) {
      const auto frame =
          Concat({ChannelData(static_cast<uint16_t>(channel), {7}), {0, 0, 0}});
      StreamFramer framer({.max_channel = max_channel});
      const Collected got = Feed(framer, {frame});
      const bool framed = !got.error.has_value() && got.frames.size() == 1;
      if (framed) ++accepted;
      if (framed !=
          IsValidChannelNumber(static_cast<uint16_t>(channel), max_channel)) {
        CAPTURE(channel);
        FAIL("framer and IsValidChannelNumber disagree");
      }
      if (!framed) CHECK(got.error == FramingError::kBadChannel);
      // What the framer passes, the core's ChannelData parser takes.
      if (framed)
        CHECK(ParseChannelData(got.frames[0].second, max_channel).ok());
    }
    CHECK(accepted == max_channel - kMinChannelNumber + 1);
  }
}

TEST_CASE("frame size bound") {
  SUBCASE("a frame over the bound is refused before it is buffered") {
    const std::vector<uint8_t> big = Stun(std::string(100, 'x'));
    StreamFramer framer(
        {.max_channel = kMaxRfc5766ChannelNumber, .max_frame_size = 64});
    // Whole in one read.
    CHECK(Feed(framer, {big}).error == FramingError::kFrameTooLarge);
    // Byte by byte: refused once the header shows the length.
    StreamFramer slow(
        {.max_channel = kMaxRfc5766ChannelNumber, .max_frame_size = 64});
    std::vector<std::vector<uint8_t>> chunks;
    for (uint8_t byte : big) chunks.push_back({byte});
    CHECK(Feed(slow, chunks).error == FramingError::kFrameTooLarge);
  }
  SUBCASE("a ChannelData frame counts its padding") {
    // 4 + 61 + 3 padding = 68 bytes on the wire.
    const std::vector<uint8_t> frame =
        Concat({ChannelData(0x4000, std::vector<uint8_t>(61, 1)), {0, 0, 0}});
    StreamFramer fits(
        {.max_channel = kMaxRfc5766ChannelNumber, .max_frame_size = 68});
    Collected got = Feed(fits, {frame});
    CHECK_FALSE(got.error.has_value());
    CHECK(got.frames.size() == 1);
    StreamFramer too_small(
        {.max_channel = kMaxRfc5766ChannelNumber, .max_frame_size = 67});
    CHECK(Feed(too_small, {frame}).error == FramingError::kFrameTooLarge);
  }
  SUBCASE("the default bound admits the largest STUN message") {
    std::vector<uint8_t> largest(kHeaderSize + 0xFFFC, 0);
    const std::vector<uint8_t> header = RawStun().BuildWithLength(0xFFFC);
    std::copy(header.begin(), header.end(), largest.begin());
    StreamFramer framer(kLimits);
    // Split so the slow path assembles it.
    const Collected got =
        Feed(framer, {{largest.begin(), largest.begin() + 100},
                      {largest.begin() + 100, largest.end()}});
    CHECK_FALSE(got.error.has_value());
    REQUIRE(got.frames.size() == 1);
    CHECK(got.frames[0].second.size() == largest.size());
  }
}

}  // namespace
}  // namespace turnpike::stun
