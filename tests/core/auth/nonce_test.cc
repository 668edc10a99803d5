// Stateless nonces (core/auth/nonce.h): what Issue makes, Check accepts
// only for the same client, until exactly the lifetime has passed.
#include "core/auth/nonce.h"

#include <doctest/doctest.h>

namespace turnpike::core::auth {
namespace {

const MonoTime kT0 = MonoTime(std::chrono::seconds(1000));
const TransportAddress kClient = *TransportAddress::Parse("192.0.2.1:4000");

NonceCodec Codec(uint8_t key_byte = 7) {
  NonceCodec::Key key;
  key.fill(key_byte);
  return NonceCodec(key, std::chrono::minutes(10),
                    kFeaturePasswordAlgorithms | kFeatureUsernameAnonymity);
}

TEST_CASE("a nonce carries the cookie and feature bits (RFC 8489 §9.2)") {
  const std::string nonce = Codec().Issue(kT0, kClient);
  CHECK(nonce.size() == 45);
  CHECK(nonce.substr(0, 9) == "obMatJos2");
  // 0x000003 in base64 over three bytes.
  CHECK(nonce.substr(9, 4) == "AAAD");
  const NonceCheck check = Codec().Check(nonce, kT0, kClient);
  CHECK(check.status == NonceStatus::kValid);
  CHECK(check.features == 3);
}

TEST_CASE("valid until exactly its lifetime, then stale") {
  const NonceCodec codec = Codec();
  const std::string nonce = codec.Issue(kT0, kClient);
  const MonoTime expiry = kT0 + std::chrono::minutes(10);
  CHECK(codec.Check(nonce, expiry - std::chrono::nanoseconds(1), kClient)
            .status == NonceStatus::kValid);
  CHECK(codec.Check(nonce, expiry, kClient).status == NonceStatus::kStale);
}

TEST_CASE("another client, another key, or any edit makes it invalid") {
  const NonceCodec codec = Codec();
  const std::string nonce = codec.Issue(kT0, kClient);
  CHECK(codec.Check(nonce, kT0, *TransportAddress::Parse("192.0.2.1:4001"))
            .status == NonceStatus::kInvalid);
  CHECK(Codec(8).Check(nonce, kT0, kClient).status == NonceStatus::kInvalid);
  for (size_t i = 0; i < nonce.size(); ++i) {
    std::string edited = nonce;
    edited[i] = edited[i] == 'A' ? 'B' : 'A';
    CAPTURE(i);
    CHECK(codec.Check(edited, kT0, kClient).status == NonceStatus::kInvalid);
  }
  for (const char* junk : {"", "obMatJos2", "obMatJos2AAAD", "x"}) {
    CHECK(codec.Check(junk, kT0, kClient).status == NonceStatus::kInvalid);
  }
  CHECK(codec.Check(nonce + "A", kT0, kClient).status == NonceStatus::kInvalid);
}

}  // namespace
}  // namespace turnpike::core::auth
