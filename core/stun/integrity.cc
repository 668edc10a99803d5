#include "core/stun/integrity.h"

#include <openssl/md5.h>
#include <openssl/mem.h>
#include <openssl/sha.h>

#include <cstring>

#include "core/util/byte_io.h"

namespace turnpike::stun {
namespace {

// BoringSSL's HMAC_CTX and EVP_MD_CTX put their digest state on the heap
// (EVP_DigestInit_ex allocates it), which cost three allocations for every
// message checked or written. HMAC (RFC 2104) over the low-level digest
// contexts, which live on the stack, costs none: the codec's no-allocation
// promise holds with integrity too.
struct Md5 {
  using Context = MD5_CTX;
  static constexpr size_t kSize = MD5_DIGEST_LENGTH;
  static void Init(Context* c) { MD5_Init(c); }
  static void Update(Context* c, const void* d, size_t n) {
    MD5_Update(c, d, n);
  }
  static void Final(uint8_t* out, Context* c) { MD5_Final(out, c); }
};
struct Sha1 {
  using Context = SHA_CTX;
  static constexpr size_t kSize = SHA_DIGEST_LENGTH;
  static void Init(Context* c) { SHA1_Init(c); }
  static void Update(Context* c, const void* d, size_t n) {
    SHA1_Update(c, d, n);
  }
  static void Final(uint8_t* out, Context* c) { SHA1_Final(out, c); }
};
struct Sha256 {
  using Context = SHA256_CTX;
  static constexpr size_t kSize = SHA256_DIGEST_LENGTH;
  static void Init(Context* c) { SHA256_Init(c); }
  static void Update(Context* c, const void* d, size_t n) {
    SHA256_Update(c, d, n);
  }
  static void Final(uint8_t* out, Context* c) { SHA256_Final(out, c); }
};

// RFC 2104: H((K ^ opad) || H((K ^ ipad) || data)), with a key longer than
// the 64-byte block hashed first. SHA-1 and SHA-256 share the block size.
template <typename Digest>
class Hmac {
 public:
  static constexpr size_t kBlockSize = 64;

  explicit Hmac(absl::Span<const uint8_t> key) {
    uint8_t block[kBlockSize] = {};
    if (key.size() > kBlockSize) {
      Digest::Init(&inner_);
      Digest::Update(&inner_, key.data(), key.size());
      Digest::Final(block, &inner_);
    } else if (!key.empty()) {
      std::memcpy(block, key.data(), key.size());
    }
    uint8_t pad[kBlockSize];
    for (size_t i = 0; i < kBlockSize; ++i) pad[i] = block[i] ^ 0x36;
    Digest::Init(&inner_);
    Digest::Update(&inner_, pad, kBlockSize);
    for (size_t i = 0; i < kBlockSize; ++i) pad[i] = block[i] ^ 0x5c;
    Digest::Init(&outer_);
    Digest::Update(&outer_, pad, kBlockSize);
    OPENSSL_cleanse(block, sizeof(block));
    OPENSSL_cleanse(pad, sizeof(pad));
  }
  ~Hmac() {
    OPENSSL_cleanse(&inner_, sizeof(inner_));
    OPENSSL_cleanse(&outer_, sizeof(outer_));
  }
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;

  void Update(const uint8_t* data, size_t size) {
    Digest::Update(&inner_, data, size);
  }
  std::array<uint8_t, Digest::kSize> Final() {
    std::array<uint8_t, Digest::kSize> out;
    Digest::Final(out.data(), &inner_);
    Digest::Update(&outer_, out.data(), out.size());
    Digest::Final(out.data(), &outer_);
    return out;
  }

 private:
  typename Digest::Context inner_;
  typename Digest::Context outer_;
};

// HMAC over `message[0, attribute_offset)` with the header length replaced
// so that the message appears to end right after the attribute (RFC 8489
// §14.5, §14.6). Streaming the three pieces avoids copying the message.
template <typename Digest>
std::array<uint8_t, Digest::kSize> MacOverPrefix(
    absl::Span<const uint8_t> key, absl::Span<const uint8_t> message,
    size_t attribute_offset, size_t attribute_value_size) {
  uint8_t length[2];
  StoreBe16(length,
            static_cast<uint16_t>(attribute_offset + kAttributeHeaderSize +
                                  attribute_value_size - kHeaderSize));
  Hmac<Digest> hmac(key);
  hmac.Update(message.data(), 2);
  hmac.Update(length, 2);
  hmac.Update(message.data() + 4, attribute_offset - 4);
  return hmac.Final();
}

template <typename Digest>
IntegrityResult Check(const MessageView& message, size_t offset,
                      std::optional<absl::Span<const uint8_t>> received,
                      absl::Span<const uint8_t> key) {
  if (offset == 0 || !received) return IntegrityResult::kAbsent;
  const std::array<uint8_t, Digest::kSize> mac =
      MacOverPrefix<Digest>(key, message.bytes(), offset, received->size());
  // A truncated MESSAGE-INTEGRITY-SHA256 compares its prefix (§14.6).
  if (mac.size() < received->size()) return IntegrityResult::kBad;
  return CRYPTO_memcmp(mac.data(), received->data(), received->size()) == 0
             ? IntegrityResult::kOk
             : IntegrityResult::kBad;
}

// RFC 8489 §9.2.2: the long-term key hashes username ":" realm ":" password.
template <typename Digest>
HmacKey HashCredentials(std::string_view username, std::string_view realm,
                        std::string_view password) {
  typename Digest::Context ctx;
  Digest::Init(&ctx);
  Digest::Update(&ctx, username.data(), username.size());
  Digest::Update(&ctx, ":", 1);
  Digest::Update(&ctx, realm.data(), realm.size());
  Digest::Update(&ctx, ":", 1);
  Digest::Update(&ctx, password.data(), password.size());
  uint8_t digest[Digest::kSize];
  Digest::Final(digest, &ctx);
  return HmacKey(digest, digest + Digest::kSize);
}

}  // namespace

HmacKey ShortTermKey(std::string_view password) {
  return HmacKey(password.begin(), password.end());
}

HmacKey LongTermKey(PasswordAlgorithmId algorithm, std::string_view username,
                    std::string_view realm, std::string_view password) {
  return algorithm == PasswordAlgorithmId::kSha256
             ? HashCredentials<Sha256>(username, realm, password)
             : HashCredentials<Md5>(username, realm, password);
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
  return Check<Sha1>(message, message.message_integrity_offset(),
                     message.MessageIntegrity(), key);
}

IntegrityResult CheckMessageIntegritySha256(const MessageView& message,
                                            absl::Span<const uint8_t> key) {
  return Check<Sha256>(message, message.message_integrity_sha256_offset(),
                       message.MessageIntegritySha256(), key);
}

std::array<uint8_t, 20> HmacSha1(absl::Span<const uint8_t> key,
                                 absl::Span<const uint8_t> data) {
  Hmac<Sha1> hmac(key);
  hmac.Update(data.data(), data.size());
  return hmac.Final();
}

std::array<uint8_t, 32> HmacSha256(absl::Span<const uint8_t> key,
                                   absl::Span<const uint8_t> data) {
  Hmac<Sha256> hmac(key);
  hmac.Update(data.data(), data.size());
  return hmac.Final();
}

}  // namespace turnpike::stun
