#include "turn_wire.h"

#include <openssl/hmac.h>
#include <openssl/md5.h>

#include <cstring>

namespace turnpike::e2e {
namespace {

constexpr uint32_t kMagicCookie = 0x2112A442;
constexpr size_t kHeaderSize = 20;
constexpr size_t kIntegritySize = 20;

void Put16(Bytes& out, uint16_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value));
}

void Put32(Bytes& out, uint32_t value) {
  Put16(out, static_cast<uint16_t>(value >> 16));
  Put16(out, static_cast<uint16_t>(value));
}

uint16_t Get16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

void SetLength(Bytes& message, size_t body_length) {
  message[2] = static_cast<uint8_t>(body_length >> 8);
  message[3] = static_cast<uint8_t>(body_length);
}

void AppendAttribute(Bytes& out, uint16_t type, const Bytes& value) {
  Put16(out, type);
  Put16(out, static_cast<uint16_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
  while (out.size() % 4 != 0) out.push_back(0);
}

}  // namespace

const Attribute* Message::Find(uint16_t attribute_type) const {
  for (const Attribute& attribute : attributes) {
    if (attribute.type == attribute_type) return &attribute;
  }
  return nullptr;
}

Bytes Encode(uint16_t type, const TransactionId& id,
             const std::vector<Attribute>& attributes, const LongTermKey* key) {
  Bytes out;
  out.reserve(256);
  Put16(out, type);
  Put16(out, 0);
  Put32(out, kMagicCookie);
  out.insert(out.end(), id.begin(), id.end());
  for (const Attribute& attribute : attributes) {
    AppendAttribute(out, attribute.type, attribute.value);
  }
  if (key != nullptr) {
    // RFC 8489 §14.5: the HMAC covers the message up to the attribute, with
    // the header's length already counting MESSAGE-INTEGRITY itself.
    SetLength(out, out.size() - kHeaderSize + 4 + kIntegritySize);
    std::array<uint8_t, kIntegritySize> mac{};
    unsigned int mac_size = 0;
    HMAC(EVP_sha1(), key->data(), key->size(), out.data(), out.size(),
         mac.data(), &mac_size);
    AppendAttribute(out, kMessageIntegrity, Bytes(mac.begin(), mac.end()));
  }
  SetLength(out, out.size() - kHeaderSize);
  return out;
}

std::optional<Message> Decode(const uint8_t* data, size_t size) {
  if (size < kHeaderSize || (data[0] & 0xC0) != 0) return std::nullopt;
  const size_t body = Get16(data + 2);
  const uint32_t cookie = (uint32_t{data[4]} << 24) |
                          (uint32_t{data[5]} << 16) | (uint32_t{data[6]} << 8) |
                          data[7];
  if (cookie != kMagicCookie || kHeaderSize + body != size || body % 4 != 0) {
    return std::nullopt;
  }
  Message message;
  message.type = Get16(data);
  std::memcpy(message.id.data(), data + 8, message.id.size());
  size_t at = kHeaderSize;
  while (at < size) {
    if (size - at < 4) return std::nullopt;
    const uint16_t type = Get16(data + at);
    const size_t length = Get16(data + at + 2);
    const size_t padded = (length + 3) & ~size_t{3};
    if (size - at - 4 < padded) return std::nullopt;
    message.attributes.push_back(
        {type, Bytes(data + at + 4, data + at + 4 + length)});
    at += 4 + padded;
  }
  return message;
}

LongTermKey MakeLongTermKey(const std::string& username,
                            const std::string& realm,
                            const std::string& password) {
  const std::string input = username + ":" + realm + ":" + password;
  LongTermKey key{};
  MD5(reinterpret_cast<const uint8_t*>(input.data()), input.size(), key.data());
  return key;
}

Attribute StringAttribute(uint16_t type, const std::string& text) {
  return {type, Bytes(text.begin(), text.end())};
}

Attribute UdpTransport() { return {kRequestedTransport, {17, 0, 0, 0}}; }

Attribute ChannelNumber(uint16_t channel) {
  return {kChannelNumber,
          {static_cast<uint8_t>(channel >> 8), static_cast<uint8_t>(channel), 0,
           0}};
}

Attribute XorAddress(uint16_t type, const sockaddr_in& address) {
  // Port and address are XORed with the magic cookie (RFC 8489 §14.2); both
  // are already in network order, as is the cookie written big-endian.
  const uint16_t port = ntohs(address.sin_port) ^ (kMagicCookie >> 16);
  const uint32_t ip = ntohl(address.sin_addr.s_addr) ^ kMagicCookie;
  Bytes value = {0, 0x01};
  Put16(value, port);
  Put32(value, ip);
  return {type, value};
}

std::optional<sockaddr_in> ReadXorAddress(const Attribute& attribute) {
  const Bytes& v = attribute.value;
  if (v.size() != 8 || v[1] != 0x01) return std::nullopt;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(Get16(v.data() + 2) ^ (kMagicCookie >> 16));
  const uint32_t ip = (uint32_t{v[4]} << 24) | (uint32_t{v[5]} << 16) |
                      (uint32_t{v[6]} << 8) | v[7];
  address.sin_addr.s_addr = htonl(ip ^ kMagicCookie);
  return address;
}

std::optional<int> ErrorCode(const Message& message) {
  const Attribute* attribute = message.Find(kErrorCode);
  if (attribute == nullptr || attribute->value.size() < 4) return std::nullopt;
  return (attribute->value[2] & 0x07) * 100 + attribute->value[3];
}

std::string Text(const Attribute& attribute) {
  return std::string(attribute.value.begin(), attribute.value.end());
}

}  // namespace turnpike::e2e
