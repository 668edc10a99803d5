// The codec's HMAC is written by hand over BoringSSL's stack-only digest
// contexts (see core/stun/integrity.cc for why); BoringSSL's own one-shot
// HMAC() is the reference it must agree with for every key and message,
// including keys longer than the 64-byte block, which RFC 2104 hashes first.
#include <doctest/doctest.h>
#include <openssl/digest.h>
#include <openssl/hmac.h>
#include <rapidcheck.h>

#include <array>
#include <cstdint>
#include <vector>

#include "core/stun/integrity.h"
#include "tests/property/property_check.h"

namespace turnpike::testing {
namespace {

template <size_t N>
std::vector<uint8_t> ReferenceHmac(const EVP_MD* md,
                                   const std::vector<uint8_t>& key,
                                   const std::vector<uint8_t>& data) {
  std::array<uint8_t, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  static constexpr uint8_t kEmpty = 0;
  HMAC(md, key.empty() ? &kEmpty : key.data(), key.size(),
       data.empty() ? &kEmpty : data.data(), data.size(), out.data(), &size);
  REQUIRE(size == N);
  return {out.begin(), out.begin() + size};
}

rc::Gen<std::vector<uint8_t>> Bytes(size_t max) {
  return rc::gen::container<std::vector<uint8_t>>(
      *rc::gen::inRange<size_t>(0, max + 1), rc::gen::arbitrary<uint8_t>());
}

TEST_CASE("hand-written HMAC-SHA1 and HMAC-SHA256 agree with BoringSSL") {
  size_t long_keys = 0;
  CheckProperty("HMAC matches BoringSSL HMAC()", [&] {
    // Keys up to 150 bytes cross the 64-byte block boundary both ways.
    const auto key = *Bytes(150);
    const auto data = *Bytes(300);
    if (key.size() > 64) ++long_keys;
    const auto sha1 = stun::HmacSha1(key, data);
    const auto sha256 = stun::HmacSha256(key, data);
    RC_ASSERT(std::vector<uint8_t>(sha1.begin(), sha1.end()) ==
              ReferenceHmac<20>(EVP_sha1(), key, data));
    RC_ASSERT(std::vector<uint8_t>(sha256.begin(), sha256.end()) ==
              ReferenceHmac<32>(EVP_sha256(), key, data));
  });
  // The interesting branch (key hashed first) must actually have been hit.
  CHECK(long_keys > 100);
}

}  // namespace
}  // namespace turnpike::testing
