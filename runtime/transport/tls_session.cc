#include "runtime/transport/tls_session.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace turnpike::runtime {
namespace {

// The write side of every session: a BIO whose write hands the bytes to
// the session's RecordSink at once. Made once, never freed (BoringSSL
// keeps a pointer to it in every BIO made from it).
const BIO_METHOD* SinkBioMethod(int (*write)(BIO*, const char*, int)) {
  static const BIO_METHOD* const method = [write] {
    BIO_METHOD* m = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "turnpike-record-sink");
    BIO_meth_set_write(m, write);
    BIO_meth_set_ctrl(m, [](BIO*, int cmd, long, void*) -> long {
      // BoringSSL flushes after each flight; the sink has nothing buffered.
      return cmd == BIO_CTRL_FLUSH ? 1 : 0;
    });
    BIO_meth_set_create(m, [](BIO* bio) {
      BIO_set_init(bio, 1);
      return 1;
    });
    return m;
  }();
  return method;
}

}  // namespace

std::unique_ptr<TlsSession> TlsSession::NewServer(const TlsContext& context,
                                                  SecureFraming framing,
                                                  RecordSink& sink,
                                                  unsigned mtu) {
  SSL* ssl = SSL_new(framing == SecureFraming::kStream ? context.stream()
                                                       : context.datagram());
  if (ssl == nullptr) return nullptr;
  std::unique_ptr<TlsSession> session(new TlsSession(ssl, framing, sink));
  if (framing == SecureFraming::kDatagram) SSL_set_mtu(ssl, mtu);
  return session;
}

TlsSession::TlsSession(SSL* ssl, SecureFraming framing, RecordSink& sink)
    : ssl_(ssl), framing_(framing), sink_(sink) {
  network_in_ = BIO_new(BIO_s_mem());
  // An empty input is "wait for more", not end of stream.
  BIO_set_mem_eof_return(network_in_, -1);
  BIO* out = BIO_new(SinkBioMethod(&TlsSession::WriteToSink));
  BIO_set_data(out, this);
  SSL_set_bio(ssl_, network_in_, out);  // ssl_ owns both
  SSL_set_accept_state(ssl_);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

int TlsSession::WriteToSink(BIO* bio, const char* data, int size) {
  auto* session = static_cast<TlsSession*>(BIO_get_data(bio));
  if (size <= 0) return 0;
  session->sink_.OnRecords(absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(size)));
  return size;
}

absl::Status TlsSession::Fail(int ret, const char* what) {
  failed_ = true;
  const int error = SSL_get_error(ssl_, ret);
  const uint32_t code = ERR_get_error();
  ERR_clear_error();
  if (error == SSL_ERROR_ZERO_RETURN) {
    return absl::CancelledError("the peer closed the session (close_notify)");
  }
  char text[256] = "no detail";
  if (code != 0) ERR_error_string_n(code, text, sizeof(text));
  return absl::UnavailableError(absl::StrCat(what, " failed: ", text));
}

absl::Status TlsSession::Receive(absl::Span<const uint8_t> network,
                                 std::vector<uint8_t>& plaintext) {
  if (failed_) return absl::FailedPreconditionError("session already failed");
  if (network.empty()) return absl::OkStatus();
  if (network.size() > INT_MAX) {
    failed_ = true;
    return absl::InvalidArgumentError("network chunk too large");
  }
  record_ends_.clear();
  BIO_write(network_in_, network.data(), static_cast<int>(network.size()));
  if (SSL_in_init(ssl_)) {
    const int ret = SSL_do_handshake(ssl_);
    if (ret <= 0) {
      if (SSL_get_error(ssl_, ret) != SSL_ERROR_WANT_READ) {
        return Fail(ret, "TLS handshake");
      }
      // RFC 6347 §4.1.2.7: DTLS drops what it cannot use; nothing of one
      // datagram may linger to be read as part of the next.
      if (framing_ == SecureFraming::kDatagram) BIO_reset(network_in_);
      return absl::OkStatus();
    }
  }
  // Decrypt straight into the caller's buffer, one record's worth of room
  // at a time.
  for (;;) {
    const size_t used = plaintext.size();
    plaintext.resize(used + kMaxTlsPlaintext);
    const int ret =
        SSL_read(ssl_, plaintext.data() + used, static_cast<int>(kMaxTlsPlaintext));
    plaintext.resize(used + (ret > 0 ? static_cast<size_t>(ret) : 0));
    if (ret > 0) {
      // A DTLS SSL_read returns one record's plaintext, never more.
      if (framing_ == SecureFraming::kDatagram) {
        record_ends_.push_back(plaintext.size());
      }
      continue;
    }
    if (SSL_get_error(ssl_, ret) == SSL_ERROR_WANT_READ) break;
    return Fail(ret, "TLS read");
  }
  if (framing_ == SecureFraming::kDatagram) BIO_reset(network_in_);
  return absl::OkStatus();
}

absl::Status TlsSession::Send(const OutboundMessage& message) {
  if (failed_) return absl::FailedPreconditionError("session already failed");
  if (SSL_in_init(ssl_)) {
    return absl::FailedPreconditionError("TLS handshake not finished");
  }
  const size_t size = message.size();
  if (size == 0) return absl::OkStatus();
  // DTLS: one message is one record in one datagram, and a record holds at
  // most 2^14 bytes; a larger message is dropped, the session lives on.
  if (framing_ == SecureFraming::kDatagram && size > kMaxTlsPlaintext) {
    return absl::ResourceExhaustedError("message larger than a DTLS record");
  }
  if (size > INT_MAX) return absl::ResourceExhaustedError("message too large");
  // Gathered into one buffer so a message below 2^14 bytes is one record
  // (and for DTLS, one datagram) rather than one per part.
  scratch_.resize(size);
  uint8_t* out = scratch_.data();
  if (!message.prefix.empty()) {
    std::memcpy(out, message.prefix.data(), message.prefix.size());
    out += message.prefix.size();
  }
  if (!message.payload.empty()) {
    std::memcpy(out, message.payload.data(), message.payload.size());
    out += message.payload.size();
  }
  std::memset(out, 0, message.padding);
  const int ret = SSL_write(ssl_, scratch_.data(), static_cast<int>(size));
  if (ret <= 0) return Fail(ret, "TLS write");
  return absl::OkStatus();
}

size_t TlsSession::SealedSize(size_t plaintext_bytes) const {
  if (framing_ == SecureFraming::kDatagram) {
    return plaintext_bytes + kMaxDtlsRecordOverhead;
  }
  const size_t records =
      plaintext_bytes == 0 ? 1
                           : (plaintext_bytes + kMaxTlsPlaintext - 1) /
                                 kMaxTlsPlaintext;
  // RFC 8446 §4.6.3: a KeyUpdate the client asked for waits in BoringSSL
  // and goes out with the next write: one more record of a 5-byte message.
  constexpr size_t kPendingKeyUpdate = kMaxTlsRecordOverhead + 5;
  return plaintext_bytes + records * kMaxTlsRecordOverhead + kPendingKeyUpdate;
}

bool TlsSession::handshake_complete() const {
  return !failed_ && !SSL_in_init(ssl_);
}

std::optional<core::Duration> TlsSession::RetransmitIn() const {
  if (framing_ != SecureFraming::kDatagram || failed_) return std::nullopt;
  timeval remaining{};
  if (!DTLSv1_get_timeout(ssl_, &remaining)) return std::nullopt;
  return std::chrono::seconds(remaining.tv_sec) +
         std::chrono::microseconds(remaining.tv_usec);
}

absl::Status TlsSession::OnRetransmitTimer() {
  if (framing_ != SecureFraming::kDatagram || failed_) {
    return absl::OkStatus();
  }
  // Resends the last flight through the sink; fails once BoringSSL gives up.
  if (DTLSv1_handle_timeout(ssl_) < 0) {
    return Fail(-1, "DTLS retransmission");
  }
  return absl::OkStatus();
}

std::string_view TlsSession::alpn() const {
  const uint8_t* data = nullptr;
  unsigned size = 0;
  SSL_get0_alpn_selected(ssl_, &data, &size);
  return {reinterpret_cast<const char*>(data), size};
}

uint16_t TlsSession::version() const { return SSL_version(ssl_); }

}  // namespace turnpike::runtime
