// One TURN client on one connection (RFC 8656 §7-§12): requests with the
// long-term credential mechanism of RFC 8489 §9.2 (a first try without
// credentials, the 401 that teaches REALM and NONCE, the retry; a 438
// Stale Nonce retried with the fresh nonce), retransmission over UDP and
// DTLS (RFC 8489 §6.2.1), and the relayed data that arrives meanwhile.
// Everything the server sends is untrusted: answers are matched by
// transaction ID, a response whose integrity does not verify is dropped,
// and every wait ends at a deadline.
#ifndef TURNPIKE_CLI_PROBE_TURN_CLIENT_H_
#define TURNPIKE_CLI_PROBE_TURN_CLIENT_H_

#include <deque>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "cli/probe/connection.h"
#include "cli/probe/messages.h"

namespace turnpike::cli::probe {

class TurnClient {
 public:
  // `credential` holds the username and password (prepared); `timeout`
  // bounds each request and each wait for data.
  TurnClient(std::unique_ptr<Connection> connection, Credential credential,
             Clock::duration timeout);

  // One request. A STUN error response is a Reply (error_code set); a
  // Status error means no usable answer came (timeout, connection lost).
  // With `authenticate`, the credential dance above runs as needed.
  absl::StatusOr<Reply> Request(stun::Method method, const AddAttributes& add,
                                bool authenticate);
  // The round trip of the last answered request: from its last
  // transmission to its answer.
  Clock::duration last_rtt() const { return last_rtt_; }

  absl::Status SendIndication(const TransportAddress& peer,
                              absl::Span<const uint8_t> data);
  absl::Status SendChannelData(uint16_t channel,
                               absl::Span<const uint8_t> data);
  // The first relayed data for which `wanted` is true, waiting until
  // `deadline`; data that does not match is dropped.
  absl::StatusOr<Relayed> WaitRelayed(
      Clock::time_point deadline,
      const std::function<bool(const Relayed&)>& wanted);

  const Connection& connection() const { return *connection_; }
  Clock::duration timeout() const { return timeout_; }

 private:
  // One transaction: send (again, over an unreliable transport) and wait
  // for the response with `id`.
  absl::StatusOr<Reply> RoundTrip(const Bytes& request, stun::Method method,
                                  const stun::TransactionId& id);
  // Files relayed data that arrived during a transaction (bounded).
  void Keep(const std::vector<uint8_t>& bytes);

  std::unique_ptr<Connection> connection_;
  Credential credential_;
  Clock::duration timeout_;
  Clock::duration last_rtt_{};
  std::deque<Relayed> relayed_;
  int failed_integrity_ = 0;
};

// 96 random bits (RFC 8489 §6).
stun::TransactionId NewTransactionId();

}  // namespace turnpike::cli::probe

#endif  // TURNPIKE_CLI_PROBE_TURN_CLIENT_H_
