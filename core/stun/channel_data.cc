#include "core/stun/channel_data.h"

#include "core/util/byte_io.h"

namespace turnpike::stun {

std::string_view ChannelDataErrorName(ChannelDataError error) {
  switch (error) {
    case ChannelDataError::kTooShort:
      return "too short";
    case ChannelDataError::kBadChannel:
      return "channel number out of range";
    case ChannelDataError::kLengthOverrun:
      return "length overruns datagram";
  }
  return "?";
}

Expected<ChannelDataView, ChannelDataError> ParseChannelData(
    absl::Span<const uint8_t> bytes, uint16_t max_channel) {
  if (bytes.size() < kChannelDataHeaderSize) {
    return Unexpected(ChannelDataError::kTooShort);
  }
  const uint16_t channel = LoadBe16(&bytes[0]);
  if (!IsValidChannelNumber(channel, max_channel)) {
    return Unexpected(ChannelDataError::kBadChannel);
  }
  const size_t length = LoadBe16(&bytes[2]);
  // RFC 8656 §12.5: a datagram shorter than 4 + length is discarded.
  if (length > bytes.size() - kChannelDataHeaderSize) {
    return Unexpected(ChannelDataError::kLengthOverrun);
  }
  return ChannelDataView{channel,
                         bytes.subspan(kChannelDataHeaderSize, length)};
}

std::array<uint8_t, kChannelDataHeaderSize> EncodeChannelDataHeader(
    uint16_t channel, uint16_t payload_size) {
  std::array<uint8_t, kChannelDataHeaderSize> header;
  StoreBe16(&header[0], channel);
  StoreBe16(&header[2], payload_size);
  return header;
}

}  // namespace turnpike::stun
