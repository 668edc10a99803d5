// libFuzzer target for the server side of TLS and DTLS
// (runtime/transport/tls_session.cc): arbitrary TCP chunks or datagrams
// from a client that has no right to be well-formed.
//
// Input layout:
//   [0]      bit 0 set: a DTLS association, clear: a TLS stream; bit 1 set:
//            fire the retransmission timer after each datagram (DTLS);
//   rest     chunks, each a big-endian 16-bit length and that many bytes
//            (the last one takes what is left): one Receive() call each,
//            a TCP read for TLS, one whole datagram for DTLS.
//
// Properties: nothing crashes or leaks; a failed session stays failed and
// produces no plaintext; Send refuses to run before the handshake; every
// DTLS write is at most one MTU while handshaking; SealedSize is larger than
// what it is asked about.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "runtime/transport/tls_context.h"
#include "runtime/transport/tls_session.h"
#include "tests/transport/test_certificate.h"

namespace {

using turnpike::runtime::OutboundMessage;
using turnpike::runtime::RecordSink;
using turnpike::runtime::SecureFraming;
using turnpike::runtime::TlsContext;
using turnpike::runtime::TlsSession;

void Check(bool ok) {
  if (!ok) std::abort();
}

struct Sink final : RecordSink {
  void OnRecords(absl::Span<const uint8_t> records) override {
    largest = std::max(largest, records.size());
  }
  size_t largest = 0;
};

const TlsContext& Context() {
  // One certificate for the whole run: key generation is slow, and the
  // certificate is not what is being fuzzed.
  static const std::shared_ptr<const TlsContext> context = [] {
    const turnpike::testing::TestCertificate cert =
        turnpike::testing::MakeSelfSigned("fuzz.test");
    auto loaded = TlsContext::FromPem(cert.certificate_pem, cert.key_pem,
                                      "cert", "key");
    Check(loaded.ok());
    return *loaded;
  }();
  return *context;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool dtls = (data[0] & 1) != 0;
  const bool fire_timer = (data[0] & 2) != 0;
  const SecureFraming framing =
      dtls ? SecureFraming::kDatagram : SecureFraming::kStream;
  Sink sink;
  std::unique_ptr<TlsSession> session =
      TlsSession::NewServer(Context(), framing, sink);
  Check(session != nullptr);
  Check(!session->Send(OutboundMessage::Of(absl::MakeConstSpan(data, 1)))
             .ok());
  std::vector<uint8_t> plaintext;
  bool failed = false;
  size_t at = 1;
  while (at < size) {
    size_t length = size - at;
    if (size - at >= 2) {
      length = std::min<size_t>(size_t{data[at]} << 8 | data[at + 1],
                                size - at - 2);
      at += 2;
    }
    const absl::Span<const uint8_t> chunk(data + at, length);
    at += length;
    const size_t before = plaintext.size();
    const bool ok = session->Receive(chunk, plaintext).ok();
    if (failed) Check(!ok && plaintext.size() == before);
    if (!ok) failed = true;
    if (dtls && !session->handshake_complete()) {
      Check(sink.largest <= turnpike::runtime::kDefaultDtlsMtu);
    }
    if (fire_timer && session->RetransmitIn().has_value()) {
      if (!session->OnRetransmitTimer().ok()) failed = true;
    }
  }
  Check(session->SealedSize(0) > 0);
  Check(session->SealedSize(size) > size);
  return 0;
}
