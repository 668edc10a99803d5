#include "tests/runtime/stun_wire.h"

#include <arpa/inet.h>
#include <zlib.h>

#include <algorithm>

namespace turnpike::testing::wire {
namespace {

constexpr uint32_t kMagicCookie = 0x2112A442;
constexpr uint32_t kFingerprintXor = 0x5354554E;
constexpr size_t kHeaderBytes = 20;

void Put16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void Put32(Bytes& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v));
}
uint16_t Get16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t Get32(const uint8_t* p) {
  return uint32_t{Get16(p)} << 16 | Get16(p + 2);
}
void SetLength(Bytes& message) {
  const size_t body = message.size() - kHeaderBytes;
  message[2] = static_cast<uint8_t>(body >> 8);
  message[3] = static_cast<uint8_t>(body);
}
uint32_t Crc32(const uint8_t* data, size_t size) {
  return static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), data, static_cast<uInt>(size)));
}

}  // namespace

Bytes Encode(uint16_t type, const TransactionId& id,
             const std::vector<Attribute>& attributes, bool fingerprint) {
  Bytes out;
  Put16(out, type);
  Put16(out, 0);
  Put32(out, kMagicCookie);
  out.insert(out.end(), id.begin(), id.end());
  for (const Attribute& attribute : attributes) {
    Put16(out, attribute.type);
    Put16(out, static_cast<uint16_t>(attribute.value.size()));
    out.insert(out.end(), attribute.value.begin(), attribute.value.end());
    while (out.size() % 4 != 0) out.push_back(0);
  }
  if (fingerprint) {
    // The length covers the FINGERPRINT attribute before the CRC is taken.
    out.resize(out.size() + 8);
    SetLength(out);
    out.resize(out.size() - 8);
    const uint32_t crc = Crc32(out.data(), out.size()) ^ kFingerprintXor;
    Put16(out, kFingerprint);
    Put16(out, 4);
    Put32(out, crc);
  }
  SetLength(out);
  return out;
}

const Attribute* Message::Find(uint16_t attribute_type) const {
  for (const Attribute& attribute : attributes) {
    if (attribute.type == attribute_type) return &attribute;
  }
  return nullptr;
}

std::optional<Message> Decode(const Bytes& bytes) {
  if (bytes.size() < kHeaderBytes || (bytes[0] & 0xC0) != 0 ||
      Get32(&bytes[4]) != kMagicCookie ||
      Get16(&bytes[2]) != bytes.size() - kHeaderBytes) {
    return std::nullopt;
  }
  Message message;
  message.type = Get16(&bytes[0]);
  std::copy(bytes.begin() + 8, bytes.begin() + 20, message.id.begin());
  size_t offset = kHeaderBytes;
  while (offset < bytes.size()) {
    if (bytes.size() - offset < 4) return std::nullopt;
    const uint16_t type = Get16(&bytes[offset]);
    const size_t length = Get16(&bytes[offset + 2]);
    const size_t padded = (length + 3) / 4 * 4;
    if (bytes.size() - offset - 4 < padded) return std::nullopt;
    const auto value = bytes.begin() + static_cast<long>(offset) + 4;
    message.attributes.push_back(
        {type, Bytes(value, value + static_cast<long>(length))});
    if (type == kFingerprint && length == 4) {
      message.fingerprint_valid =
          offset + 8 == bytes.size() &&
          Get32(&bytes[offset + 4]) ==
              (Crc32(bytes.data(), offset) ^ kFingerprintXor);
    }
    offset += 4 + padded;
  }
  return message;
}

std::optional<Endpoint> XorMappedAddress(const Message& message) {
  const Attribute* attribute = message.Find(kXorMappedAddress);
  if (attribute == nullptr || attribute->value.size() < 4) return std::nullopt;
  const Bytes& v = attribute->value;
  // RFC 8489 §14.2: the port is XORed with the cookie's top half, the
  // address with the cookie (IPv4) or cookie + transaction ID (IPv6).
  uint8_t key[16];
  Bytes cookie;
  Put32(cookie, kMagicCookie);
  std::copy(cookie.begin(), cookie.end(), key);
  std::copy(message.id.begin(), message.id.end(), key + 4);
  Endpoint endpoint;
  endpoint.port = static_cast<uint16_t>(Get16(&v[2]) ^ (kMagicCookie >> 16));
  char text[INET6_ADDRSTRLEN] = {};
  if (v[1] == 0x01 && v.size() == 8) {
    uint8_t ip[4];
    for (int i = 0; i < 4; ++i) ip[i] = v[4 + i] ^ key[i];
    inet_ntop(AF_INET, ip, text, sizeof(text));
  } else if (v[1] == 0x02 && v.size() == 20) {
    uint8_t ip[16];
    for (int i = 0; i < 16; ++i) ip[i] = v[4 + i] ^ key[i];
    inet_ntop(AF_INET6, ip, text, sizeof(text));
  } else {
    return std::nullopt;
  }
  endpoint.ip = text;
  return endpoint;
}

std::optional<int> ErrorCode(const Message& message) {
  const Attribute* attribute = message.Find(kErrorCode);
  if (attribute == nullptr || attribute->value.size() < 4) return std::nullopt;
  return (attribute->value[2] & 0x07) * 100 + attribute->value[3];
}

std::vector<uint16_t> UnknownAttributes(const Message& message) {
  std::vector<uint16_t> types;
  const Attribute* attribute = message.Find(kUnknownAttributes);
  if (attribute == nullptr) return types;
  for (size_t i = 0; i + 1 < attribute->value.size(); i += 2) {
    types.push_back(Get16(&attribute->value[i]));
  }
  return types;
}

TransactionId MakeTransactionId(uint8_t seed) {
  TransactionId id;
  for (size_t i = 0; i < id.size(); ++i) {
    id[i] = static_cast<uint8_t>(size_t{seed} * 31 + i * 7 + 1);
  }
  return id;
}

}  // namespace turnpike::testing::wire
