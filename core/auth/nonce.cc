#include "core/auth/nonce.h"

#include <openssl/mem.h>

#include <cstring>

#include "absl/strings/escaping.h"
#include "core/stun/integrity.h"
#include "core/util/absl_compat.h"
#include "core/util/byte_io.h"

namespace turnpike::core::auth {
namespace {

constexpr size_t kFeaturesChars = 4;   // 24 bits in base64
constexpr size_t kBodyBytes = 8 + 16;  // expiry, truncated MAC
constexpr size_t kBodyChars = kBodyBytes / 3 * 4;
constexpr size_t kNonceChars =
    kNonceCookie.size() + kFeaturesChars + kBodyChars;

std::string Base64(const uint8_t* data, size_t size) {
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(data), size));
}

// Decodes exactly `size` bytes from base64 `text`, or returns false.
bool Unbase64(std::string_view text, uint8_t* out, size_t size) {
  std::string decoded;
  if (!absl::Base64Unescape(ToAbsl(text), &decoded) || decoded.size() != size) {
    return false;
  }
  std::memcpy(out, decoded.data(), size);
  return true;
}

}  // namespace

std::array<uint8_t, 16> NonceCodec::Mac(int64_t expiry_ns, uint32_t features,
                                        const TransportAddress& client) const {
  // expiry || features || family || address || port: everything the nonce
  // binds, at fixed offsets so no two inputs share an encoding.
  uint8_t input[8 + 4 + 1 + 16 + 2] = {};
  StoreBe64(input, static_cast<uint64_t>(expiry_ns));
  StoreBe32(input + 8, features);
  input[12] = static_cast<uint8_t>(client.ip.family());
  std::memcpy(input + 13, client.ip.bytes().data(), 16);
  StoreBe16(input + 29, client.port);
  const std::array<uint8_t, 32> full = stun::HmacSha256(key_, input);
  std::array<uint8_t, 16> mac;
  std::memcpy(mac.data(), full.data(), mac.size());
  return mac;
}

std::string NonceCodec::Issue(MonoTime now,
                              const TransportAddress& client) const {
  const int64_t expiry_ns = (now + lifetime_).time_since_epoch().count();
  uint8_t features[3] = {static_cast<uint8_t>(features_ >> 16),
                         static_cast<uint8_t>(features_ >> 8),
                         static_cast<uint8_t>(features_)};
  uint8_t body[kBodyBytes];
  StoreBe64(body, static_cast<uint64_t>(expiry_ns));
  const std::array<uint8_t, 16> mac = Mac(expiry_ns, features_, client);
  std::memcpy(body + 8, mac.data(), mac.size());
  std::string nonce(kNonceCookie);
  nonce += Base64(features, sizeof(features));
  nonce += Base64(body, sizeof(body));
  return nonce;
}

NonceCheck NonceCodec::Check(std::string_view nonce, MonoTime now,
                             const TransportAddress& client) const {
  NonceCheck result;
  if (nonce.size() != kNonceChars || !nonce.starts_with(kNonceCookie)) {
    return result;
  }
  uint8_t features[3];
  uint8_t body[kBodyBytes];
  if (!Unbase64(nonce.substr(kNonceCookie.size(), kFeaturesChars), features,
                sizeof(features)) ||
      !Unbase64(nonce.substr(kNonceCookie.size() + kFeaturesChars), body,
                sizeof(body))) {
    return result;
  }
  const uint32_t feature_bits =
      uint32_t{features[0]} << 16 | uint32_t{features[1]} << 8 | features[2];
  const int64_t expiry_ns = static_cast<int64_t>(LoadBe64(body));
  const std::array<uint8_t, 16> mac = Mac(expiry_ns, feature_bits, client);
  if (CRYPTO_memcmp(mac.data(), body + 8, mac.size()) != 0) return result;
  result.features = feature_bits;
  result.status = now.time_since_epoch().count() >= expiry_ns
                      ? NonceStatus::kStale
                      : NonceStatus::kValid;
  return result;
}

}  // namespace turnpike::core::auth
