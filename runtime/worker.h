// One worker: one libuv loop, one core::Server, the sockets that feed it.
//
// The loop is the core's run-loop contract made concrete (core/server.h):
// every received datagram is pushed into the server, then Pump() drains the
// server's commands and executes them before the next datagram is read.
// Workers share nothing; several of them on SO_REUSEPORT sockets come later,
// and so do relay sockets, the deadline timer and stream listeners.
#ifndef TURNPIKE_RUNTIME_WORKER_H_
#define TURNPIKE_RUNTIME_WORKER_H_

#include <uv.h>

#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/command.h"
#include "core/config.h"
#include "core/server.h"
#include "core/stats.h"
#include "runtime/event_sink.h"
#include "runtime/receive_slab.h"
#include "runtime/runtime_stats.h"
#include "runtime/udp_listener.h"

namespace turnpike::runtime {

struct ListenerSpec {
  TransportAddress address;
  // For addresses the operator did not ask for (the default [::]): when the
  // host cannot use the address at all (no IPv6), warn and go on without it
  // instead of failing start-up. Conflicts (port in use) still fail.
  bool skip_if_unavailable = false;
};

// The relay addresses of one family (RFC 8656 §7.2: XOR-RELAYED-ADDRESS).
struct RelayAddress {
  // The local address relay sockets bind to. Not a wildcard: a relayed
  // address must be one peers can send to, so the operator (or the
  // embedded default, from the host's interfaces) names it.
  IpAddress bind;
  // Advertised in XOR-RELAYED-ADDRESS instead of `bind` when the host sits
  // behind a 1:1 NAT (AWS/GCP elastic addresses; coturn's external-ip).
  std::optional<IpAddress> external;
};

struct RelayOptions {
  // A family without an address cannot be allocated (the core answers 440).
  std::optional<RelayAddress> ipv4;
  std::optional<RelayAddress> ipv6;
  // Relay ports are drawn at random from [min_port, max_port] (RFC 8656
  // §7.2 recommends the dynamic range 49152-65535) and retried on
  // EADDRINUSE.
  uint16_t min_port = 49152;
  uint16_t max_port = 65535;
};

struct WorkerConfig {
  // relay_ipv4 / relay_ipv6 are set by Worker::Create from `relay`.
  core::ServerConfig server;
  // In order: the n-th socket that binds gets ListenerId n.
  std::vector<ListenerSpec> listeners;
  // Socket buffer sizes of listeners and relay sockets alike.
  UdpSocketOptions udp;
  RelayOptions relay;
  // Receives every lifecycle event; nullptr drops them. Borrowed.
  EventSink* events = nullptr;
  // SIGINT and SIGTERM stop the loop cleanly. When there are several
  // workers, the supervising loop will own the signals instead.
  bool handle_signals = true;
};

class Worker final : private DatagramSink {
 public:
  // Creates the loop and the server and binds every listener. Fails with
  // the core's InvalidArgument for a bad server config, with the socket's
  // error for a listener that cannot bind, and with FailedPrecondition when
  // no listener is left.
  // `deps` are borrowed and must outlive the Worker.
  static absl::StatusOr<std::unique_ptr<Worker>> Create(WorkerConfig config,
                                                        core::Deps deps);

  // Closes whatever is still open and runs the loop until libuv has
  // finished closing it.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Serves until Stop() or a SIGINT/SIGTERM; returns once every handle is
  // closed. Call once.
  absl::Status Run();

  // Closes every handle so that Run() returns; safe to call from inside a
  // loop callback, and more than once.
  void Stop();

  // The addresses actually bound, in ListenerId order.
  std::vector<TransportAddress> listening_addresses() const;
  const RuntimeStats& stats() const { return stats_; }
  const core::ServerStats& server_stats() const { return server_->stats(); }

 private:
  explicit Worker(std::unique_ptr<core::Server> server);

  absl::Status Listen(const std::vector<ListenerSpec>& specs,
                      const UdpSocketOptions& options);
  absl::Status WatchSignals();

  // DatagramSink: one input to the core, then its commands.
  void OnDatagram(const core::Now& now, core::ListenerId listener,
                  const TransportAddress& from,
                  absl::Span<const uint8_t> bytes) override;

  // Drains server_->PollCommand() and executes each command. Runs after
  // every input, so the core's queue is empty whenever the loop waits.
  void Pump();
  void Execute(const core::Transmit& transmit);
  void Execute(const core::OpenRelay& open);
  void Execute(const core::CloseRelay& close);
  void Execute(const core::Event& event);

  static void OnSignal(uv_signal_t* handle, int signum);

  uv_loop_t loop_;
  bool loop_open_ = false;
  std::unique_ptr<core::Server> server_;
  ReceiveSlab slab_;
  RuntimeStats stats_;
  // Indexed by ListenerId::value.
  std::vector<std::unique_ptr<UdpListener>> listeners_;
  // Heap-allocated and freed by their close callbacks (libuv touches a
  // handle after uv_close() returns).
  std::vector<uv_signal_t*> signals_;
  bool stopping_ = false;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_WORKER_H_
