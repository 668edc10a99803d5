// ChannelData messages (RFC 8656 §12.4-§12.5): a 4-byte header (channel
// number, length) in front of application data, used instead of Send/Data
// indications once a channel is bound.
#ifndef TURNPIKE_CORE_STUN_CHANNEL_DATA_H_
#define TURNPIKE_CORE_STUN_CHANNEL_DATA_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "absl/types/span.h"
#include "core/util/expected.h"

namespace turnpike::stun {

inline constexpr size_t kChannelDataHeaderSize = 4;
// RFC 8656 §12: 0x4000-0x4FFF are channel numbers; 0x5000-0x7FFF are
// reserved and must not be used.
inline constexpr uint16_t kMinChannelNumber = 0x4000;
inline constexpr uint16_t kMaxChannelNumber = 0x4FFF;
// RFC 5766 §11 allowed 0x4000-0x7FFF, and RFC 5766 clients (coturn's
// turnutils_uclient among them) still pick numbers up to 0x7FFF.
inline constexpr uint16_t kMaxRfc5766ChannelNumber = 0x7FFF;

// `max_channel` is kMaxChannelNumber, or kMaxRfc5766ChannelNumber for a
// server that accepts RFC 5766 clients (core/config.h).
constexpr bool IsValidChannelNumber(uint16_t channel,
                                    uint16_t max_channel = kMaxChannelNumber) {
  return channel >= kMinChannelNumber && channel <= max_channel;
}

// RFC 8656 §12 / RFC 7983: the first two bits of a TURN message tell STUN
// (0b00) from ChannelData (0b01).
constexpr bool LooksLikeChannelData(uint8_t first_byte) {
  return (first_byte & 0xC0) == 0x40;
}

struct ChannelDataView {
  uint16_t channel = 0;
  absl::Span<const uint8_t> payload;  // borrows from the parsed bytes
};

enum class ChannelDataError : uint8_t {
  kTooShort,       // fewer than 4 bytes
  kBadChannel,     // outside 0x4000-0x4FFF
  kLengthOverrun,  // the length field claims more than is there
};
std::string_view ChannelDataErrorName(ChannelDataError error);

// Parses one ChannelData message. Bytes after the payload (padding on any
// transport, RFC 8656 §12.5) are ignored. Channel numbers above
// `max_channel` are refused (kBadChannel).
Expected<ChannelDataView, ChannelDataError> ParseChannelData(
    absl::Span<const uint8_t> bytes, uint16_t max_channel = kMaxChannelNumber);

// The 4-byte header for `payload_size` bytes on `channel`.
std::array<uint8_t, kChannelDataHeaderSize> EncodeChannelDataHeader(
    uint16_t channel, uint16_t payload_size);

// Bytes of zero padding to send after the payload: required on stream
// transports, not over UDP (RFC 8656 §12.5).
constexpr size_t ChannelDataPadding(size_t payload_size, bool stream) {
  return stream ? (4 - (payload_size & 3)) & 3 : 0;
}

}  // namespace turnpike::stun

#endif  // TURNPIKE_CORE_STUN_CHANNEL_DATA_H_
