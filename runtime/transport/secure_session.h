// A TLS session or DTLS association as pure data in, data out: network
// bytes go in, the client's plaintext comes out, and the records to send go
// to a RecordSink. The endpoint that owns the socket feeds it; BoringSSL
// runs over memory BIOs behind it, so no TLS code touches a socket and the
// core never sees TLS (DESIGN.md "The runtime is transport-neutral").
#ifndef TURNPIKE_RUNTIME_TRANSPORT_SECURE_SESSION_H_
#define TURNPIKE_RUNTIME_TRANSPORT_SECURE_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/types.h"
#include "runtime/transport/message.h"

namespace turnpike::runtime {

// Where a session's records go: the endpoint's socket (through its write
// queue for TLS; one call is one datagram for DTLS).
class RecordSink {
 public:
  virtual void OnRecords(absl::Span<const uint8_t> records) = 0;

 protected:
  ~RecordSink() = default;
};

class SecureSession {
 public:
  virtual ~SecureSession() = default;

  // Bytes from the network: a chunk of the TCP stream, or one whole DTLS
  // datagram. Appends the decrypted application bytes to `plaintext`;
  // handshake records and alerts to send go to the RecordSink during the
  // call. Not OK when the session failed (bad record, handshake failure,
  // close_notify): the endpoint closes the connection.
  virtual absl::Status Receive(absl::Span<const uint8_t> network,
                               std::vector<uint8_t>& plaintext) = 0;

  // DTLS: where each application-data record read by the last Receive
  // ends in its `plaintext`, since one record is one STUN message or
  // ChannelData (RFC 7350 §4) and a client may pack several records into
  // one datagram. Empty for TLS, whose plaintext is one byte stream.
  virtual absl::Span<const size_t> last_record_ends() const { return {}; }

  // Encrypts one whole message (for DTLS, into one datagram); the records
  // go to the RecordSink during the call. Only after the handshake.
  virtual absl::Status Send(const OutboundMessage& message) = 0;

  // The most bytes Send hands the RecordSink for a message of
  // `plaintext_bytes`. A record cannot be dropped once made (the stream's
  // sequence numbers would break), so a stream endpoint checks its queue
  // has this much room before Send, and otherwise drops the message.
  virtual size_t SealedSize(size_t plaintext_bytes) const = 0;

  virtual bool handshake_complete() const = 0;

  // DTLS only: when the handshake flight must be retransmitted
  // (OnRetransmitTimer); nullopt when nothing waits.
  virtual std::optional<core::Duration> RetransmitIn() const {
    return std::nullopt;
  }
  virtual absl::Status OnRetransmitTimer() { return absl::OkStatus(); }
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_SECURE_SESSION_H_
