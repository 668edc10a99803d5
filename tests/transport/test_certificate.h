// Self-signed certificates made in the test with BoringSSL's X509 API, so
// TLS tests need no fixture files and no openssl command.
#ifndef TURNPIKE_TESTS_TRANSPORT_TEST_CERTIFICATE_H_
#define TURNPIKE_TESTS_TRANSPORT_TEST_CERTIFICATE_H_

#include <openssl/base.h>

#include <string>

namespace turnpike::testing {

struct TestCertificate {
  std::string certificate_pem;
  std::string key_pem;
};

// A P-256 key and a self-signed certificate for `common_name`, valid for a
// day either side of now.
TestCertificate MakeSelfSigned(const std::string& common_name);

// The subject CN of the peer's leaf certificate, or empty.
std::string PeerCommonName(const SSL* ssl);

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_TRANSPORT_TEST_CERTIFICATE_H_
