// The probe's view of one connection to a TURN server: send one message,
// wait (bounded) for the next whole one. Blocking, on purpose: the probe
// runs one step at a time and every wait has a deadline. Implementations:
// a connected UDP socket, a TCP stream cut into messages
// (stream_connection.h), and TLS or DTLS over either (secure_connection.h).
#ifndef TURNPIKE_CLI_PROBE_CONNECTION_H_
#define TURNPIKE_CLI_PROBE_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace turnpike::cli::probe {

using Clock = std::chrono::steady_clock;

// The largest message the probe accepts from a server: a whole STUN
// message (RFC 8489 §5: the length is 16 bits). Anything larger is not an
// answer, and no read buffer grows past it.
inline constexpr size_t kMaxServerMessage = 20 + 0xFFFF;

class Connection {
 public:
  virtual ~Connection() = default;

  // One STUN message or ChannelData frame. Stream transports pad
  // ChannelData to a multiple of 4 bytes (RFC 8656 §12.5).
  // Waits at most until `deadline` for room to send.
  virtual absl::Status Send(absl::Span<const uint8_t> message,
                            Clock::time_point deadline) = 0;
  // The next whole message from the server. DeadlineExceeded when nothing
  // came by `deadline`; any other error means the connection is over.
  virtual absl::StatusOr<std::vector<uint8_t>> Receive(
      Clock::time_point deadline) = 0;
  // True over TCP and TLS: nothing is lost, so requests are sent once
  // (RFC 8489 §6.2.2); over UDP and DTLS they are retransmitted (§6.2.1).
  virtual bool reliable() const = 0;
  // What was negotiated, for the report ("TLSv1.3, ..."); may be empty.
  virtual std::string description() const { return {}; }
};

}  // namespace turnpike::cli::probe

#endif  // TURNPIKE_CLI_PROBE_CONNECTION_H_
