// The gate that decides whether a datagram from an unknown address may
// open a DTLS association: a real ClientHello passes, anything else (and
// every truncation or tweak of a real one that breaks its framing) fails.
#include "runtime/transport/dtls_client_hello.h"

#include <doctest/doctest.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <vector>

#include "tests/transport/dtls_client_hello_sample.h"

namespace turnpike::runtime {
namespace {


TEST_CASE("a DTLS 1.2 or 1.0 ClientHello opens an association") {
  CHECK(IsDtlsClientHello(testing::DtlsClientHelloSample(DTLS1_2_VERSION)));
  CHECK(IsDtlsClientHello(testing::DtlsClientHelloSample(DTLS1_VERSION)));
}

TEST_CASE("every truncation of a ClientHello is refused") {
  const std::vector<uint8_t> hello = testing::DtlsClientHelloSample(DTLS1_2_VERSION);
  for (size_t size = 0; size < hello.size(); ++size) {
    CAPTURE(size);
    CHECK_FALSE(IsDtlsClientHello(absl::MakeConstSpan(hello.data(), size)));
  }
}

TEST_CASE("a ClientHello with a broken header field is refused") {
  const std::vector<uint8_t> hello = testing::DtlsClientHelloSample(DTLS1_2_VERSION);
  struct Tweak {
    size_t offset;
    uint8_t value;
  };
  // Content type, version major, epoch, handshake type, fragment offset,
  // fragment length, the body's version.
  for (const Tweak tweak : {Tweak{0, 23}, Tweak{1, 0x03}, Tweak{4, 1},
                            Tweak{13, 2}, Tweak{21, 1}, Tweak{24, 0},
                            Tweak{25, 0x03}}) {
    std::vector<uint8_t> bad = hello;
    bad[tweak.offset] = tweak.value;
    CAPTURE(tweak.offset);
    CHECK_FALSE(IsDtlsClientHello(bad));
  }
}

TEST_CASE("STUN and TLS bytes are not a DTLS ClientHello") {
  // A STUN Binding request header (RFC 8489 §5) and a TLS record header.
  std::vector<uint8_t> stun = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
  stun.resize(20 + 60, 0);
  CHECK_FALSE(IsDtlsClientHello(stun));
  std::vector<uint8_t> tls = {0x16, 0x03, 0x01, 0x00, 0x50, 0x01};
  tls.resize(100, 0);
  CHECK_FALSE(IsDtlsClientHello(tls));
}

}  // namespace
}  // namespace turnpike::runtime
