// The few TURN messages the end-to-end load client sends and reads, written
// here rather than taken from core/stun so that the benchmark drives both
// servers with the same independent client code (RFC 8489 §5, §9.2, §14;
// RFC 8656 §7, §12, §18). IPv4 only: the benchmark runs on 127.0.0.1.
#ifndef TURNPIKE_BENCH_E2E_TURN_WIRE_H_
#define TURNPIKE_BENCH_E2E_TURN_WIRE_H_

#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace turnpike::e2e {

using Bytes = std::vector<uint8_t>;
using TransactionId = std::array<uint8_t, 12>;
using LongTermKey = std::array<uint8_t, 16>;

// Message types (method | class bits, RFC 8489 §5).
inline constexpr uint16_t kAllocateRequest = 0x0003;
inline constexpr uint16_t kAllocateSuccess = 0x0103;
inline constexpr uint16_t kAllocateError = 0x0113;
inline constexpr uint16_t kChannelBindRequest = 0x0009;
inline constexpr uint16_t kChannelBindSuccess = 0x0109;
inline constexpr uint16_t kChannelBindError = 0x0119;

// Attribute types.
inline constexpr uint16_t kUsername = 0x0006;
inline constexpr uint16_t kMessageIntegrity = 0x0008;
inline constexpr uint16_t kErrorCode = 0x0009;
inline constexpr uint16_t kChannelNumber = 0x000C;
inline constexpr uint16_t kXorPeerAddress = 0x0012;
inline constexpr uint16_t kRealm = 0x0014;
inline constexpr uint16_t kNonce = 0x0015;
inline constexpr uint16_t kXorRelayedAddress = 0x0016;
inline constexpr uint16_t kRequestedTransport = 0x0019;

struct Attribute {
  uint16_t type = 0;
  Bytes value;
};

struct Message {
  uint16_t type = 0;
  TransactionId id{};
  std::vector<Attribute> attributes;

  const Attribute* Find(uint16_t attribute_type) const;
};

// The header and the attributes, each padded to 4 bytes; with `key`,
// MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) is appended last.
Bytes Encode(uint16_t type, const TransactionId& id,
             const std::vector<Attribute>& attributes, const LongTermKey* key);

// nullopt unless `data` is a whole STUN message (magic cookie, attributes
// exactly filling the declared length).
std::optional<Message> Decode(const uint8_t* data, size_t size);

// MD5(username ":" realm ":" password), RFC 8489 §9.2.2.
LongTermKey MakeLongTermKey(const std::string& username,
                            const std::string& realm,
                            const std::string& password);

Attribute StringAttribute(uint16_t type, const std::string& text);
// REQUESTED-TRANSPORT for UDP (protocol 17), RFC 8656 §18.7.
Attribute UdpTransport();
Attribute ChannelNumber(uint16_t channel);
// XOR-PEER-ADDRESS / XOR-RELAYED-ADDRESS for an IPv4 address (§14.2).
Attribute XorAddress(uint16_t type, const sockaddr_in& address);
std::optional<sockaddr_in> ReadXorAddress(const Attribute& attribute);
// class * 100 + number (RFC 8489 §14.8), nullopt without ERROR-CODE.
std::optional<int> ErrorCode(const Message& message);
std::string Text(const Attribute& attribute);

// ChannelData (RFC 8656 §12.4): 4-byte header then the payload.
inline constexpr size_t kChannelDataHeader = 4;

}  // namespace turnpike::e2e

#endif  // TURNPIKE_BENCH_E2E_TURN_WIRE_H_
