#include "runtime/transport/tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"

namespace turnpike::runtime {
namespace {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

// The oldest queued BoringSSL error as text, and the queue emptied.
std::string TakeSslError() {
  const uint32_t code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no detail";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     const std::string& setting) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(
        setting, ": cannot read '", path, "': ", std::strerror(errno),
        "; set ", setting, " to a readable PEM file"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<X509Ptr> ParseChain(const std::string& pem) {
  std::vector<X509Ptr> chain;
  BioPtr bio(BIO_new_mem_buf(pem.data(), pem.size()));
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr,
                                        nullptr)) {
    chain.emplace_back(cert);
  }
  ERR_clear_error();  // the loop ends on "no start line"
  return chain;
}

// RFC 7443 §3: a client that offers "stun.turn" gets it. One that offers
// no ALPN, or only other labels, still connects: TURN clients predate
// RFC 7443 (coturn's and most browsers' do not send it), and the bytes
// that follow are STUN whatever the label says.
int SelectAlpn(SSL*, const uint8_t** out, uint8_t* out_len, const uint8_t* in,
               unsigned in_len, void*) {
  static constexpr uint8_t kWanted[] = {9, 's', 't', 'u', 'n', '.',
                                        't', 'u', 'r', 'n'};
  uint8_t* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, in, in_len, kWanted,
                            sizeof(kWanted)) == OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

absl::StatusOr<SslCtxPtr> NewContext(const SSL_METHOD* method,
                                     uint16_t min_version,
                                     uint16_t max_version,
                                     const std::vector<X509Ptr>& chain,
                                     EVP_PKEY* key) {
  SslCtxPtr ctx(SSL_CTX_new(method));
  if (ctx == nullptr ||
      !SSL_CTX_set_min_proto_version(ctx.get(), min_version) ||
      !SSL_CTX_set_max_proto_version(ctx.get(), max_version) ||
      !SSL_CTX_set_strict_cipher_list(ctx.get(), kTls12CipherPolicy) ||
      !SSL_CTX_use_certificate(ctx.get(), chain.front().get()) ||
      !SSL_CTX_use_PrivateKey(ctx.get(), key)) {
    return absl::InternalError(
        absl::StrCat("building the TLS context failed: ", TakeSslError()));
  }
  for (size_t i = 1; i < chain.size(); ++i) {
    if (!SSL_CTX_add1_chain_cert(ctx.get(), chain[i].get())) {
      return absl::InternalError(absl::StrCat(
          "adding an intermediate certificate failed: ", TakeSslError()));
    }
  }
  // No session cache and no tickets: a TURN client's connection lives as
  // long as its allocation, so resumption saves little, and each cached
  // session or ticket key is state a client could make the server hold.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx.get(), 0);
  SSL_CTX_set_alpn_select_cb(ctx.get(), SelectAlpn, nullptr);
  return ctx;
}

}  // namespace

TlsContext::~TlsContext() {
  SSL_CTX_free(stream_);
  SSL_CTX_free(datagram_);
}

absl::StatusOr<std::shared_ptr<const TlsContext>> TlsContext::Load(
    const TlsFiles& files) {
  auto chain = ReadFile(files.certificate_chain, "tls-cert");
  if (!chain.ok()) return chain.status();
  auto key = ReadFile(files.private_key, "tls-key");
  if (!key.ok()) return key.status();
  return FromPem(*chain, *key, files.certificate_chain, files.private_key);
}

absl::StatusOr<std::shared_ptr<const TlsContext>> TlsContext::FromPem(
    const std::string& chain_pem, const std::string& key_pem,
    const std::string& cert_name, const std::string& key_name) {
  ERR_clear_error();
  const std::vector<X509Ptr> chain = ParseChain(chain_pem);
  if (chain.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tls-cert: '", cert_name,
        "' holds no PEM certificate (expected '-----BEGIN CERTIFICATE-----'); "
        "set tls-cert to the certificate chain, leaf first"));
  }
  BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), key_pem.size()));
  PkeyPtr key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "tls-key: '", key_name,
        "' holds no unencrypted PEM private key; set tls-key to the leaf "
        "certificate's key (PKCS#8, RSA or EC, without a passphrase)"));
  }
  if (!X509_check_private_key(chain.front().get(), key.get())) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "tls-key: the key in '", key_name,
        "' does not match the first certificate in '", cert_name,
        "'; set tls-key to that certificate's key, or put the leaf "
        "certificate first in tls-cert"));
  }
  auto stream = NewContext(TLS_method(), TLS1_2_VERSION, TLS1_3_VERSION,
                           chain, key.get());
  if (!stream.ok()) return stream.status();
  auto datagram = NewContext(DTLS_method(), DTLS1_2_VERSION, DTLS1_2_VERSION,
                             chain, key.get());
  if (!datagram.ok()) return datagram.status();
  return std::shared_ptr<const TlsContext>(
      new TlsContext(stream->release(), datagram->release()));
}

absl::Status TlsContextHolder::Reload(const TlsFiles& files) {
  auto loaded = TlsContext::Load(files);
  if (!loaded.ok()) return loaded.status();
  Swap(*std::move(loaded));
  return absl::OkStatus();
}

}  // namespace turnpike::runtime
