// TURN over a byte stream (TCP, RFC 8656 §3.1; TLS over it): messages are
// cut out of the stream with the project's own framer (core/stun), so the
// probe reads exactly what turnpike's server reads, and a broken stream
// ends the connection instead of desynchronising it. Subclasses supply the
// bytes: plain TCP here, TLS in secure_connection.h.
#ifndef TURNPIKE_CLI_PROBE_STREAM_CONNECTION_H_
#define TURNPIKE_CLI_PROBE_STREAM_CONNECTION_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/probe/connection.h"
#include "cli/probe/socket_io.h"
#include "core/net/transport_address.h"
#include "core/stun/stream_framer.h"

namespace turnpike::cli::probe {

class StreamConnection : public Connection {
 public:
  absl::Status Send(absl::Span<const uint8_t> message,
                    Clock::time_point deadline) final;
  absl::StatusOr<std::vector<uint8_t>> Receive(
      Clock::time_point deadline) final;
  bool reliable() const final { return true; }

 protected:
  StreamConnection();
  // Writes all of `bytes` or fails.
  virtual absl::Status WriteAll(absl::Span<const uint8_t> bytes,
                                Clock::time_point deadline) = 0;
  // Reads at least one byte into `into`; 0 means the server closed.
  virtual absl::StatusOr<size_t> ReadSome(absl::Span<uint8_t> into,
                                          Clock::time_point deadline) = 0;

 private:
  stun::StreamFramer framer_;
  std::vector<uint8_t> chunk_;
  absl::Span<const uint8_t> unread_;  // of chunk_, not yet framed
};

// A plain TCP connection to `server`, made before `deadline`.
absl::StatusOr<std::unique_ptr<Connection>> ConnectTcp(
    const TransportAddress& server, Clock::time_point deadline);

// Reads and writes on a connected non-blocking stream socket.
absl::Status WriteAllToSocket(int fd, absl::Span<const uint8_t> bytes,
                              Clock::time_point deadline);
absl::StatusOr<size_t> ReadSomeFromSocket(int fd, absl::Span<uint8_t> into,
                                          Clock::time_point deadline);

}  // namespace turnpike::cli::probe

#endif  // TURNPIKE_CLI_PROBE_STREAM_CONNECTION_H_
