// A server TLS session (TLS 1.2/1.3 over a stream) or DTLS 1.2 association
// (one datagram at a time) behind the SecureSession interface. BoringSSL
// reads the network bytes from a memory BIO and writes its records through
// a BIO of our own straight into the RecordSink, so no TLS code touches a
// socket. For DTLS every write BoringSSL makes is one datagram: it packs
// records up to the MTU set here and never splits a write.
#ifndef TURNPIKE_RUNTIME_TRANSPORT_TLS_SESSION_H_
#define TURNPIKE_RUNTIME_TRANSPORT_TLS_SESSION_H_

#include <openssl/base.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "runtime/transport/secure_session.h"
#include "runtime/transport/tls_context.h"

namespace turnpike::runtime {

enum class SecureFraming : uint8_t { kStream, kDatagram };

// Bytes one sealed record adds at most, for the cipher suites
// tls_context.h allows. TLS 1.2 AES-GCM: 5 header + 8 explicit nonce + 16
// tag; TLS 1.3: 5 header + 1 content type + 16 tag; ChaCha20: less.
inline constexpr size_t kMaxTlsRecordOverhead = 5 + 8 + 16;
// DTLS 1.2 AES-GCM: 13 header + 8 explicit nonce + 16 tag.
inline constexpr size_t kMaxDtlsRecordOverhead = 13 + 8 + 16;
// The largest plaintext in one record (RFC 8446 §5.1, RFC 5246 §6.2.1).
inline constexpr size_t kMaxTlsPlaintext = 16384;
// The DTLS handshake's datagram size: fits IPv6's minimum MTU of 1280 with
// room for tunnels, as WebRTC stacks do.
inline constexpr unsigned kDefaultDtlsMtu = 1200;

class TlsSession final : public SecureSession {
 public:
  // A server session on `context`'s stream (TLS) or datagram (DTLS)
  // SSL_CTX. The SSL object holds its own reference to that SSL_CTX, so
  // the session outlives a reload that drops `context`. `sink` must
  // outlive the session.
  static std::unique_ptr<TlsSession> NewServer(const TlsContext& context,
                                               SecureFraming framing,
                                               RecordSink& sink,
                                               unsigned mtu = kDefaultDtlsMtu);
  ~TlsSession() override;
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  absl::Status Receive(absl::Span<const uint8_t> network,
                       std::vector<uint8_t>& plaintext) override;
  absl::Span<const size_t> last_record_ends() const override {
    return record_ends_;
  }
  absl::Status Send(const OutboundMessage& message) override;
  size_t SealedSize(size_t plaintext_bytes) const override;
  bool handshake_complete() const override;
  std::optional<core::Duration> RetransmitIn() const override;
  absl::Status OnRetransmitTimer() override;

  // The ALPN label agreed (RFC 7443 "stun.turn"), or empty.
  std::string_view alpn() const;
  // The negotiated protocol version (TLS1_3_VERSION, DTLS1_2_VERSION...).
  uint16_t version() const;

 private:
  TlsSession(SSL* ssl, SecureFraming framing, RecordSink& sink);
  static int WriteToSink(BIO* bio, const char* data, int size);
  absl::Status Fail(int ret, const char* what);

  SSL* ssl_;
  BIO* network_in_;  // owned by ssl_
  SecureFraming framing_;
  RecordSink& sink_;
  bool failed_ = false;
  std::vector<size_t> record_ends_;  // DTLS: of the last Receive
  std::vector<uint8_t> scratch_;  // one whole message, for one record
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_TLS_SESSION_H_
