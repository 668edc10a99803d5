#include "tests/transport/test_certificate.h"

#include <openssl/bio.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdlib>

namespace turnpike::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "test certificate: %s failed\n", what);
    std::abort();
  }
}

std::string Drain(BIO* bio) {
  const uint8_t* data = nullptr;
  size_t size = 0;
  Check(BIO_mem_contents(bio, &data, &size) == 1, "BIO_mem_contents");
  std::string text(reinterpret_cast<const char*>(data), size);
  BIO_free(bio);
  return text;
}

}  // namespace

TestCertificate MakeSelfSigned(const std::string& common_name) {
  EC_KEY* ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
  Check(ec != nullptr && EC_KEY_generate_key(ec) == 1, "EC key");
  EVP_PKEY* key = EVP_PKEY_new();
  Check(EVP_PKEY_assign_EC_KEY(key, ec) == 1, "EVP_PKEY_assign_EC_KEY");

  X509* cert = X509_new();
  Check(X509_set_version(cert, 2) == 1, "X509_set_version");
  static long serial = 1;
  Check(ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++) == 1,
        "serial");
  Check(X509_gmtime_adj(X509_getm_notBefore(cert), -86400) != nullptr,
        "notBefore");
  Check(X509_gmtime_adj(X509_getm_notAfter(cert), 86400) != nullptr,
        "notAfter");
  X509_NAME* name = X509_get_subject_name(cert);
  Check(X509_NAME_add_entry_by_txt(
            name, "CN", MBSTRING_ASC,
            reinterpret_cast<const uint8_t*>(common_name.c_str()), -1, -1,
            0) == 1,
        "CN");
  Check(X509_set_issuer_name(cert, name) == 1, "issuer");
  Check(X509_set_pubkey(cert, key) == 1, "pubkey");
  Check(X509_sign(cert, key, EVP_sha256()) > 0, "X509_sign");

  BIO* cert_bio = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_X509(cert_bio, cert) == 1, "PEM cert");
  BIO* key_bio = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr,
                                 nullptr) == 1,
        "PEM key");
  X509_free(cert);
  EVP_PKEY_free(key);
  return {Drain(cert_bio), Drain(key_bio)};
}

std::string PeerCommonName(const SSL* ssl) {
  X509* peer = SSL_get_peer_certificate(ssl);
  if (peer == nullptr) return "";
  char text[256] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, text,
                            sizeof(text));
  X509_free(peer);
  return text;
}

}  // namespace turnpike::testing
