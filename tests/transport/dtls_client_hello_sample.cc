#include "tests/transport/dtls_client_hello_sample.h"

#include <openssl/bio.h>

namespace turnpike::testing {

std::vector<uint8_t> DtlsClientHelloSample(uint16_t max_version) {
  SSL_CTX* ctx = SSL_CTX_new(DTLS_method());
  SSL_CTX_set_max_proto_version(ctx, max_version);
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(in, -1);
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);  // writes the first flight, then wants to read
  const uint8_t* data = nullptr;
  size_t size = 0;
  BIO_mem_contents(out, &data, &size);
  std::vector<uint8_t> hello(data, data + size);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return hello;
}

}  // namespace turnpike::testing
