// The server's TLS and DTLS configuration, built once from the operator's
// PEM files and shared by every session made from it: the certificate
// chain and key, the protocol versions, the cipher policy and ALPN
// (docs/security.md "TLS and DTLS"). A TlsContext never changes after it is
// built; a certificate reload builds a new one and swaps it in a
// TlsContextHolder, so new sessions take the new certificate while the
// sessions already running keep the context (and SSL_CTX) they started on.
#ifndef TURNPIKE_RUNTIME_TRANSPORT_TLS_CONTEXT_H_
#define TURNPIKE_RUNTIME_TRANSPORT_TLS_CONTEXT_H_

#include <openssl/base.h>

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/transport/transport_settings.h"

namespace turnpike::runtime {

// RFC 7443 §3: the ALPN label of STUN (and TURN) over TLS and DTLS.
inline constexpr char kStunTurnAlpn[] = "stun.turn";

// The cipher suites for TLS 1.2 and DTLS 1.2: ECDHE key exchange (forward
// secrecy) with AEAD record protection only. No static RSA (no forward
// secrecy), no CBC (Lucky 13 and padding oracles), no RC4 or 3DES.
// TLS 1.3 suites are all ECDHE/AEAD by construction and BoringSSL fixes them.
inline constexpr char kTls12CipherPolicy[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

class TlsContext {
 public:
  // Reads and checks both files. The message names the file, what is wrong
  // with it and the fix (tls-cert / tls-key): a missing or unreadable file,
  // no PEM certificate or key in it, or a key that does not match the leaf.
  static absl::StatusOr<std::shared_ptr<const TlsContext>> Load(
      const TlsFiles& files);
  // The same from PEM text; `cert_name` and `key_name` name the sources in
  // messages.
  static absl::StatusOr<std::shared_ptr<const TlsContext>> FromPem(
      const std::string& chain_pem, const std::string& key_pem,
      const std::string& cert_name, const std::string& key_name);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // TLS 1.2 and 1.3 server (RFC 8446, RFC 5246).
  SSL_CTX* stream() const { return stream_; }
  // DTLS 1.2 server (RFC 6347; TURN over DTLS is RFC 7350).
  SSL_CTX* datagram() const { return datagram_; }

 private:
  TlsContext(SSL_CTX* stream, SSL_CTX* datagram)
      : stream_(stream), datagram_(datagram) {}
  SSL_CTX* stream_;
  SSL_CTX* datagram_;
};

// The context new sessions are made from; Swap() is the reload. Safe to
// call from any thread (SIGHUP handling runs apart from the workers).
class TlsContextHolder {
 public:
  explicit TlsContextHolder(std::shared_ptr<const TlsContext> context)
      : context_(std::move(context)) {}

  std::shared_ptr<const TlsContext> current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return context_;
  }
  void Swap(std::shared_ptr<const TlsContext> context) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      context_.swap(context);
    }
    // `context` holds the old one now and is released outside the lock;
    // its SSL_CTX lives on in the SSL objects of the sessions made from it.
  }
  // Loads `files` and swaps on success; on failure keeps serving with the
  // old certificate and returns why.
  absl::Status Reload(const TlsFiles& files);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const TlsContext> context_;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_TLS_CONTEXT_H_
