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
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/command.h"
#include "core/config.h"
#include "core/server.h"
#include "core/stats.h"
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

struct WorkerConfig {
  core::ServerConfig server;
  // In order: the n-th socket that binds gets ListenerId n.
  std::vector<ListenerSpec> listeners;
  UdpSocketOptions udp;
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
