// The supervisor: the process's main thread and its N workers.
//
// Create() makes every Worker on the calling thread, so a listener that
// cannot bind stops start-up before anything serves. The first worker
// binds the configured addresses (a port 0 takes a free port); the others
// bind the addresses it got, all with SO_REUSEPORT, so the kernel spreads
// clients over the workers and keeps each 5-tuple on one of them. Run()
// then runs each Worker on a thread of its own and the supervisor's own
// libuv loop on the calling thread: that loop owns the signals (SIGINT and
// SIGTERM stop every worker, each deleting its allocations with their
// events; SIGHUP calls on_reload) and nothing else. Other threads reach a
// worker only through Worker::Post (PostToAll).
//
// What the workers share is only what must be shared, each safe from any
// thread: the Deps (credential snapshot, quota ledger, random,
// authenticator), the nonce key (so a nonce one worker issued validates on
// another), the per-client-IP connection limiter, the max-dtls-handshakes
// count, the EVEN-PORT reservations (a RESERVATION-TOKEN may arrive on
// another worker: runtime/shared_reservation_registry.h) and the event
// sink.
// Everything on the data path (allocations, relay sockets, the core
// Server) belongs to one worker.
#ifndef TURNPIKE_RUNTIME_SUPERVISOR_H_
#define TURNPIKE_RUNTIME_SUPERVISOR_H_

#include <uv.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/deps.h"
#include "runtime/shared_reservation_registry.h"
#include "runtime/transport/connection_limiter.h"
#include "runtime/transport/handshake_limiter.h"
#include "runtime/worker.h"

namespace turnpike::runtime {

inline constexpr int kMaxWorkers = 256;

struct SupervisorConfig {
  // What every worker is made from. The supervisor sets, per worker:
  // handle_signals (off: signals are the supervisor's), reuse_port (with
  // more than one worker), shared_limiter, server.nonce_key (drawn
  // from deps.random once when unset), server.worker_index and
  // server.worker_count, and post_connection_handoff (RFC 6062
  // ConnectionBind across workers, runtime/worker_connection_handoff.cc).
  WorkerConfig worker;
  // 1..kMaxWorkers.
  int workers = 1;
  // Empty, or one per worker: worker i publishes its stats snapshot into
  // stats_slots[i] (runtime/stats_board.h), for the admin endpoint.
  std::vector<StatsSlot*> stats_slots;
  // Watch SIGINT, SIGTERM and SIGHUP on the supervisor's loop. In-process
  // tests leave it off and call Stop().
  bool handle_signals = true;
  // Called on the supervisor's thread for SIGHUP; SIGHUP is ignored when
  // empty. Reach the workers with PostToAll.
  std::function<void()> on_reload;
};

class Supervisor {
 public:
  // Fails as Worker::Create does (InvalidArgument for a bad config, the
  // socket's error for an address that cannot bind), for the first worker
  // that fails; InvalidArgument for a worker count out of range. `deps`
  // are borrowed, shared by every worker, and must be safe from any
  // thread (SystemRandom, ReloadableCredentials, HmacAuthenticator,
  // SharedQuotaLedger); so must config.worker.events.
  static absl::StatusOr<std::unique_ptr<Supervisor>> Create(
      SupervisorConfig config, core::Deps deps);

  // Stops what still runs and destroys the workers.
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Logs the listening addresses, starts one thread per worker and serves
  // until Stop() or a stop signal; returns once every worker has stopped
  // and its thread is joined, after logging the summary of all of them.
  // Call once.
  absl::Status Run();

  // Stops every worker (each deletes its allocations, with their events).
  // Safe from any thread, before or during Run, and more than once.
  void Stop();

  // Drain for a rolling upgrade (supervisor_drain.cc; SIGUSR1 calls it):
  // every worker refuses new Allocates (Worker::Drain); once no worker has
  // an allocation left, or after the workers' drain_timeout, every worker
  // stops (the rest deleted with their events) and Run returns. Safe from
  // any thread (the admin endpoint's POST /drain); a second call changes
  // nothing.
  void Drain();

  // Runs `task` on every worker's loop (Worker::Post). Safe from any
  // thread while the Supervisor exists.
  void PostToAll(const std::function<void(Worker&)>& task);

  // The limit every worker's TCP, TLS and DTLS clients share (SIGHUP).
  void SetConnectionsPerIp(uint32_t limit) { limiter_.SetLimit(limit); }
  const ConnectionLimiter& limiter() const { return limiter_; }

  // A reload changed the listen addresses (supervisor_listeners.cc): the
  // first worker opens `wanted` (Worker::ReplaceListeners: new ones before
  // old ones close, old datagram ones kept until their last allocation),
  // then every other worker binds the same ports. Blocks the calling
  // thread (the reloader's, never a loop's) up to `timeout` per worker.
  // When a worker fails, the ones already changed go back to the previous
  // addresses, so every worker listens on the same set. Returns the
  // addresses now served.
  absl::StatusOr<std::vector<ListenerSpec>> ReplaceListeners(
      const std::vector<ListenerSpec>& wanted,
      absl::Duration timeout = absl::Seconds(10));
  // The listen addresses every worker serves (ports resolved).
  std::vector<ListenerSpec> listening() const;

  size_t worker_count() const { return workers_.size(); }
  // The i-th worker. Its accessors that read the loop's state (stats,
  // counts) are safe only from its own loop (Post) or after Run returns;
  // the listening addresses are fixed at Create and safe any time.
  const Worker& worker(size_t i) const { return *workers_[i]; }
  Worker& worker(size_t i) { return *workers_[i]; }

 private:
  Supervisor(uint32_t connections_per_ip, uint32_t dtls_handshakes);

  // The one place signals are set up: which ones, and what each does.
  absl::Status WatchSignals();
  static void OnSignal(uv_signal_t* handle, int signum);
  static void OnStop(uv_async_t* handle);
  // On the supervisor's loop: tells every worker to stop and closes the
  // supervisor's handles, so that its loop returns.
  void StopAll();
  // Drain on the supervisor's loop (supervisor_drain.cc).
  absl::Status PrepareDrain(std::chrono::milliseconds timeout);
  static void OnDrain(uv_async_t* handle);
  static void OnDrainTimeout(uv_timer_t* handle);
  // From a worker's thread: that worker has no allocation left.
  void OnWorkerDrained();
  void CloseDrainHandles();

  // One ReplaceListeners at a time; guards listening_.
  mutable std::mutex listeners_mutex_;
  std::vector<ListenerSpec> listening_;
  ConnectionLimiter limiter_;
  // EVEN-PORT reservations (with more than one worker) and
  // max-dtls-handshakes, for every worker; declared before the workers,
  // which borrow them.
  SharedReservationRegistry reservations_;
  HandshakeLimiter handshakes_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::function<void()> on_reload_;
  uv_loop_t loop_;
  bool loop_open_ = false;
  // Heap-allocated and freed by their close callbacks.
  std::vector<uv_signal_t*> signals_;
  // Stop(): the wake-up from any thread; nullptr once closed (under
  // stop_mutex_).
  std::mutex stop_mutex_;
  uv_async_t* stop_async_ = nullptr;
  bool ran_ = false;
  // Drain: the wake-up for Drain() (nullptr once closed, under
  // stop_mutex_), its timeout, and the workers not yet empty.
  uv_async_t* drain_async_ = nullptr;
  uv_timer_t* drain_timer_ = nullptr;
  std::chrono::milliseconds drain_timeout_{};
  bool draining_ = false;
  std::atomic<size_t> workers_with_allocations_{0};
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_SUPERVISOR_H_
