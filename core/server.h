// turnpike::core::Server: the sans-IO STUN/TURN server.
//
// The run-loop contract (docs/architecture.md): the runtime pushes one input
// (HandleClientMessage), then drains PollCommand() until it returns nullopt
// and executes each command, before pushing the next input. The server never
// reads a clock, touches a socket or blocks; time arrives in `Now`.
//
// Implemented so far: STUN Binding (RFC 8489 §6.3, §7.3). TURN methods are
// answered 400 until the TURN core lands (issue #3).
#ifndef TURNPIKE_CORE_SERVER_H_
#define TURNPIKE_CORE_SERVER_H_

#include <deque>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/command.h"
#include "core/config.h"
#include "core/stats.h"
#include "core/stun/message_view.h"
#include "core/types.h"

namespace turnpike::core {

class Server {
 public:
  // Fails with InvalidArgument when `config` is inconsistent.
  static absl::StatusOr<std::unique_ptr<Server>> Create(ServerConfig config);

  // Consumes one UDP/DTLS datagram, or one whole message framed from a
  // stream, received from a client. `message` is untrusted and only read
  // during the call. May queue one Transmit (the response). Malformed input
  // is answered with the RFC's error when it is a request whose header could
  // be read, and otherwise dropped and counted in stats().drops.
  void HandleClientMessage(const Now& now, const FiveTuple& from,
                           absl::Span<const uint8_t> message);

  // The next command, or nullopt when the queue is empty. Drain it after
  // every input.
  std::optional<Command> PollCommand();

  const ServerStats& stats() const { return stats_; }

 private:
  explicit Server(ServerConfig config) : config_(std::move(config)) {}

  void HandleRequest(const FiveTuple& from, const stun::MessageView& request);
  void HandleBindingRequest(const FiveTuple& from,
                            const stun::MessageView& request);
  // Queues an error response to a request (RFC 8489 §6.3.1.1).
  void RespondError(const FiveTuple& from, const stun::MessageHeader& request,
                    int code, bool with_fingerprint,
                    absl::Span<const uint16_t> unknown = {});
  void Drop(DropReason reason);

  ServerConfig config_;
  ServerStats stats_;
  std::deque<Command> commands_;
};

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_SERVER_H_
