#include "core/stun/integrity.h"

#include <openssl/digest.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/mem.h>
#include <openssl/sha.h>

#include "core/util/byte_io.h"

namespace turnpike::stun {
namespace {

// HMAC over `message[0, attribute_offset)` with the header length replaced
// so that the message appears to end right after the attribute (RFC 8489
// §14.5, §14.6). Streaming the three pieces avoids copying the message.
size_t MacOverPrefix(const EVP_MD* md, absl::Span<const uint8_t> key,
                     absl::Span<const uint8_t> message, size_t attribute_offset,
                     size_t attribute_value_size, uint8_t* out) {
  uint8_t length[2];
  StoreBe16(length, static_cast<uint16_t>(attribute_offset +
                                          kAttributeHeaderSize +
                                          attribute_value_size - kHeaderSize));
  // An empty key must still be a non-null pointer: HMAC_Init_ex reads null
  // as "reuse the previous key".
  static constexpr uint8_t kEmptyKey = 0;
  HMAC_CTX ctx;
  HMAC_CTX_init(&ctx);
  unsigned int out_size = 0;
  const bool ok =
      HMAC_Init_ex(&ctx, key.empty() ? &kEmptyKey : key.data(), key.size(),
                   md, nullptr) &&
      HMAC_Update(&ctx, message.data(), 2) && HMAC_Update(&ctx, length, 2) &&
      HMAC_Update(&ctx, message.data() + 4, attribute_offset - 4) &&
      HMAC_Final(&ctx, out, &out_size);
  HMAC_CTX_cleanup(&ctx);
  // BoringSSL's HMAC fails only on allocation failure, which is fatal anyway.
  return ok ? out_size : 0;
}

IntegrityResult Check(const EVP_MD* md, const MessageView& message,
                      size_t offset, std::optional<absl::Span<const uint8_t>>
                                         received,
                      absl::Span<const uint8_t> key) {
  if (offset == 0 || !received) return IntegrityResult::kAbsent;
  uint8_t mac[EVP_MAX_MD_SIZE];
  const size_t size = MacOverPrefix(md, key, message.bytes(), offset,
                                    received->size(), mac);
  // A truncated MESSAGE-INTEGRITY-SHA256 compares its prefix (§14.6).
  if (size < received->size()) return IntegrityResult::kBad;
  return CRYPTO_memcmp(mac, received->data(), received->size()) == 0
             ? IntegrityResult::kOk
             : IntegrityResult::kBad;
}

}  // namespace

HmacKey ShortTermKey(std::string_view password) {
  return HmacKey(password.begin(), password.end());
}

HmacKey LongTermKey(PasswordAlgorithmId algorithm, std::string_view username,
                    std::string_view realm, std::string_view password) {
  const EVP_MD* md =
      algorithm == PasswordAlgorithmId::kSha256 ? EVP_sha256() : EVP_md5();
  EVP_MD_CTX ctx;
  EVP_MD_CTX_init(&ctx);
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestInit_ex(&ctx, md, nullptr);
  EVP_DigestUpdate(&ctx, username.data(), username.size());
  EVP_DigestUpdate(&ctx, ":", 1);
  EVP_DigestUpdate(&ctx, realm.data(), realm.size());
  EVP_DigestUpdate(&ctx, ":", 1);
  EVP_DigestUpdate(&ctx, password.data(), password.size());
  EVP_DigestFinal_ex(&ctx, digest, &size);
  EVP_MD_CTX_cleanup(&ctx);
  return HmacKey(digest, digest + size);
}

std::array<uint8_t, kUserhashSize> ComputeUserhash(std::string_view username,
                                                   std::string_view realm) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, username.data(), username.size());
  SHA256_Update(&ctx, ":", 1);
  SHA256_Update(&ctx, realm.data(), realm.size());
  std::array<uint8_t, kUserhashSize> out;
  SHA256_Final(out.data(), &ctx);
  return out;
}

IntegrityResult CheckMessageIntegrity(const MessageView& message,
                                      absl::Span<const uint8_t> key) {
  return Check(EVP_sha1(), message, message.message_integrity_offset(),
               message.MessageIntegrity(), key);
}

IntegrityResult CheckMessageIntegritySha256(const MessageView& message,
                                            absl::Span<const uint8_t> key) {
  return Check(EVP_sha256(), message,
               message.message_integrity_sha256_offset(),
               message.MessageIntegritySha256(), key);
}

std::array<uint8_t, 20> HmacSha1(absl::Span<const uint8_t> key,
                                 absl::Span<const uint8_t> data) {
  std::array<uint8_t, 20> out{};
  unsigned int size = 0;
  HMAC(EVP_sha1(), key.data(), key.size(), data.data(), data.size(),
       out.data(), &size);
  return out;
}

std::array<uint8_t, 32> HmacSha256(absl::Span<const uint8_t> key,
                                   absl::Span<const uint8_t> data) {
  std::array<uint8_t, 32> out{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), key.size(), data.data(), data.size(),
       out.data(), &size);
  return out;
}

}  // namespace turnpike::stun
