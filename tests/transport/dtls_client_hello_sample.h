// A real DTLS client's first flight, made by BoringSSL in memory: what the
// DTLS listener's ClientHello gate must let through.
#ifndef TURNPIKE_TESTS_TRANSPORT_DTLS_CLIENT_HELLO_SAMPLE_H_
#define TURNPIKE_TESTS_TRANSPORT_DTLS_CLIENT_HELLO_SAMPLE_H_

#include <openssl/ssl.h>

#include <cstdint>
#include <vector>

namespace turnpike::testing {

// One datagram holding the ClientHello of a client whose highest version
// is `max_version` (DTLS1_2_VERSION, DTLS1_VERSION).
std::vector<uint8_t> DtlsClientHelloSample(
    uint16_t max_version = DTLS1_2_VERSION);

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_TRANSPORT_DTLS_CLIENT_HELLO_SAMPLE_H_
