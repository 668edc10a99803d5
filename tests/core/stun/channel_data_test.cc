// ChannelData parsing and encoding (RFC 8656 §12.4-§12.5).
#include "core/stun/channel_data.h"

#include <doctest/doctest.h>

#include <vector>

#include "tests/harness/hex.h"
#include "tests/harness/printers.h"

namespace turnpike::stun {
namespace {

using testing::Hex;
using testing::ToHex;

std::vector<uint8_t> Frame(uint16_t channel, std::vector<uint8_t> payload,
                           size_t padding = 0) {
  const auto header =
      EncodeChannelDataHeader(channel, static_cast<uint16_t>(payload.size()));
  std::vector<uint8_t> out(header.begin(), header.end());
  out.insert(out.end(), payload.begin(), payload.end());
  out.resize(out.size() + padding, 0);
  return out;
}

void ExpectError(const std::vector<uint8_t>& bytes, ChannelDataError error) {
  auto parsed = ParseChannelData(bytes);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error() == error);
}

TEST_CASE("ChannelData header layout") {
  CHECK(ToHex(EncodeChannelDataHeader(0x4001, 0x0102)) == "40 01 01 02");
}

TEST_CASE("ChannelData channel number range") {
  SUBCASE("0x4000 and 0x4FFF are accepted") {
    for (uint16_t channel : {0x4000, 0x4123, 0x4FFF}) {
      CAPTURE(channel);
      const std::vector<uint8_t> frame = Frame(channel, {1, 2, 3});
      auto parsed = ParseChannelData(frame);
      REQUIRE(parsed.ok());
      CHECK(parsed->channel == channel);
      CHECK(ToHex(parsed->payload) == "01 02 03");
    }
  }
  SUBCASE("0x3FFF 0x5000 0x7FFF 0xFFFF 0x0000 are rejected") {
    for (uint16_t channel : {0x3FFF, 0x5000, 0x7FFF, 0xFFFF, 0x0000}) {
      CAPTURE(channel);
      ExpectError(Frame(channel, {1, 2, 3, 4}), ChannelDataError::kBadChannel);
    }
  }
  SUBCASE("IsValidChannelNumber agrees at the edges") {
    CHECK_FALSE(IsValidChannelNumber(0x3FFF));
    CHECK(IsValidChannelNumber(0x4000));
    CHECK(IsValidChannelNumber(0x4FFF));
    CHECK_FALSE(IsValidChannelNumber(0x5000));
  }
}

TEST_CASE("ChannelData lengths") {
  SUBCASE("fewer than 4 bytes") {
    const std::vector<uint8_t> header = Hex("40 00 00 00");
    for (size_t n = 0; n < kChannelDataHeaderSize; ++n) {
      CAPTURE(n);
      ExpectError(std::vector<uint8_t>(header.begin(), header.begin() + n),
                  ChannelDataError::kTooShort);
    }
  }
  SUBCASE("length overrun is rejected") {
    std::vector<uint8_t> frame = Frame(0x4000, {1, 2, 3, 4, 5});
    frame.pop_back();
    ExpectError(frame, ChannelDataError::kLengthOverrun);
    ExpectError(Hex("40 00 ff ff 00"), ChannelDataError::kLengthOverrun);
  }
  SUBCASE("empty payload") {
    const std::vector<uint8_t> frame = Frame(0x4000, {});
    auto parsed = ParseChannelData(frame);
    REQUIRE(parsed.ok());
    CHECK(parsed->payload.empty());
  }
  SUBCASE("trailing padding is accepted and not part of the payload") {
    for (size_t padding : {1, 2, 3, 4, 7}) {
      CAPTURE(padding);
      const std::vector<uint8_t> frame =
          Frame(0x4abc, {9, 8, 7, 6, 5}, padding);
      auto parsed = ParseChannelData(frame);
      REQUIRE(parsed.ok());
      CHECK(parsed->channel == 0x4abc);
      CHECK(ToHex(parsed->payload) == "09 08 07 06 05");
    }
  }
}

TEST_CASE("ChannelData demultiplexing and padding rules") {
  CHECK(LooksLikeChannelData(0x40));
  CHECK(LooksLikeChannelData(0x7F));
  CHECK_FALSE(LooksLikeChannelData(0x00));
  CHECK_FALSE(LooksLikeChannelData(0x80));
  // RFC 8656 §12.5: pad to 4 over streams, never over UDP.
  CHECK(ChannelDataPadding(0, true) == 0);
  CHECK(ChannelDataPadding(1, true) == 3);
  CHECK(ChannelDataPadding(2, true) == 2);
  CHECK(ChannelDataPadding(3, true) == 1);
  CHECK(ChannelDataPadding(4, true) == 0);
  CHECK(ChannelDataPadding(5, false) == 0);
  for (ChannelDataError e :
       {ChannelDataError::kTooShort, ChannelDataError::kBadChannel,
        ChannelDataError::kLengthOverrun}) {
    CHECK(ChannelDataErrorName(e) != "?");
  }
}

}  // namespace
}  // namespace turnpike::stun
