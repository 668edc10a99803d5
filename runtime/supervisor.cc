#include "runtime/supervisor.h"

#include <csignal>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/check.h"
#include "runtime/log.h"
#include "runtime/signal_watch.h"
#include "runtime/worker_summary.h"

namespace turnpike::runtime {
namespace {

template <typename Handle>
void CloseAndDelete(Handle* handle) {
  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* h) { delete reinterpret_cast<Handle*>(h); });
}

}  // namespace

Supervisor::Supervisor(uint32_t connections_per_ip, uint32_t dtls_handshakes)
    : limiter_(connections_per_ip), handshakes_(dtls_handshakes) {}

absl::StatusOr<std::unique_ptr<Supervisor>> Supervisor::Create(
    SupervisorConfig config, core::Deps deps) {
  if (config.workers < 1 || config.workers > kMaxWorkers) {
    return absl::InvalidArgumentError(absl::StrCat(
        "workers: ", config.workers, " is out of range; give 1 to ",
        kMaxWorkers, " (default: one per CPU)"));
  }
  std::unique_ptr<Supervisor> supervisor(
      new Supervisor(config.worker.transport.max_connections_per_ip,
                     config.worker.transport.max_dtls_handshakes));
  supervisor->on_reload_ = std::move(config.on_reload);
  if (int err = uv_loop_init(&supervisor->loop_); err != 0) {
    return absl::InternalError(
        absl::StrCat("event loop: uv_loop_init failed: ", uv_strerror(err)));
  }
  supervisor->loop_open_ = true;
  auto* async = new uv_async_t;
  if (int err = uv_async_init(&supervisor->loop_, async, &Supervisor::OnStop);
      err != 0) {
    delete async;  // never registered with the loop
    return absl::InternalError(
        absl::StrCat("stop: uv_async_init failed: ", uv_strerror(err)));
  }
  async->data = supervisor.get();
  supervisor->stop_async_ = async;
  if (absl::Status s = supervisor->PrepareDrain(config.worker.drain_timeout);
      !s.ok()) {
    return s;
  }
  if (config.handle_signals) {
    if (absl::Status s = supervisor->WatchSignals(); !s.ok()) return s;
  }

  WorkerConfig& worker = config.worker;
  worker.handle_signals = false;
  worker.on_reload = nullptr;
  worker.reuse_port = config.workers > 1;
  worker.shared_limiter = &supervisor->limiter_;
  worker.on_drained = [raw = supervisor.get()] { raw->OnWorkerDrained(); };
  worker.shared_handshakes = &supervisor->handshakes_;
  // One worker keeps its reservations to itself, as it always did.
  if (config.workers > 1) {
    worker.shared_reservations = &supervisor->reservations_;
  }
  if (!worker.server.nonce_key) {
    // One key for every worker: a client's retry after a 401 may reach
    // another worker (RFC 8489 §9.2: the nonce must validate there).
    worker.server.nonce_key.emplace();
    deps.random->Fill(absl::MakeSpan(*worker.server.nonce_key));
  }
  if (!config.stats_slots.empty() &&
      config.stats_slots.size() != static_cast<size_t>(config.workers)) {
    return absl::InvalidArgumentError(
        "supervisor: give one stats slot per worker, or none");
  }
  // RFC 6062: a ConnectionBind reaching another worker than its
  // CONNECTION-ID's moves there (runtime/worker_connection_handoff.cc).
  // workers_ is complete before any worker runs and fixed until they stop.
  worker.server.worker_count = static_cast<uint32_t>(config.workers);
  if (config.workers > 1) {
    Supervisor* self = supervisor.get();
    worker.post_connection_handoff = [self](uint32_t index,
                                            std::function<void(Worker&)> task) {
      if (index < self->workers_.size()) {
        self->workers_[index]->Post(std::move(task));
      }
    };
  }
  for (int i = 0; i < config.workers; ++i) {
    worker.server.worker_index = static_cast<uint32_t>(i);
    if (!config.stats_slots.empty()) {
      worker.stats_slot = config.stats_slots[static_cast<size_t>(i)];
      worker.stats_options.worker = i;
    }
    absl::StatusOr<std::unique_ptr<Worker>> made = Worker::Create(worker, deps);
    if (!made.ok()) return made.status();
    if (i == 0) {
      // The others bind what the first one got: a port 0 resolved, and
      // no address the host turned out not to have.
      const std::vector<TransportAddress> addresses =
          (*made)->listening_addresses();
      const std::vector<core::Transport> transports =
          (*made)->listening_transports();
      worker.listeners.clear();
      for (size_t l = 0; l < addresses.size(); ++l) {
        worker.listeners.push_back({addresses[l], false, transports[l]});
      }
      supervisor->listening_ = worker.listeners;
    }
    supervisor->workers_.push_back(*std::move(made));
  }
  return supervisor;
}

Supervisor::~Supervisor() {
  if (loop_open_) {
    StopAll();  // when Run never ran: the handles still need closing
    uv_run(&loop_, UV_RUN_DEFAULT);
    if (int err = uv_loop_close(&loop_); err != 0) {
      LogError(absl::StrCat("event loop: handles left open at exit (",
                            uv_err_name(err), "); this is a bug"));
    }
  }
  workers_.clear();  // each runs its own loop until its handles are closed
}

absl::Status Supervisor::WatchSignals() {
  return WatchProcessSignals(&loop_, static_cast<bool>(on_reload_), this,
                             &Supervisor::OnSignal, signals_);
}

void Supervisor::OnSignal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<Supervisor*>(handle->data);
  switch (signum) {
    case SIGHUP:
      LogInfo("SIGHUP received, reloading");
      if (self->on_reload_) self->on_reload_();
      return;
    case SIGUSR1:
      LogInfo("SIGUSR1 received, draining");
      self->Drain();
      return;
    default:
      LogInfo(absl::StrCat(SignalName(signum), " received, stopping"));
      self->StopAll();
      return;
  }
}

void Supervisor::OnStop(uv_async_t* handle) {
  static_cast<Supervisor*>(handle->data)->StopAll();
}

void Supervisor::Stop() {
  std::lock_guard<std::mutex> lock(stop_mutex_);
  if (stop_async_ != nullptr) uv_async_send(stop_async_);
}

void Supervisor::PostToAll(const std::function<void(Worker&)>& task) {
  for (const std::unique_ptr<Worker>& worker : workers_) worker->Post(task);
}

void Supervisor::StopAll() {
  PostToAll([](Worker& worker) { worker.Stop(); });
  CloseDrainHandles();
  for (uv_signal_t* handle : signals_) CloseAndDelete(handle);
  signals_.clear();
  std::lock_guard<std::mutex> lock(stop_mutex_);
  if (stop_async_ != nullptr) {
    CloseAndDelete(stop_async_);
    stop_async_ = nullptr;
  }
}

absl::Status Supervisor::Run() {
  TURNPIKE_CHECK(!ran_, "Supervisor::Run called twice");
  ran_ = true;
  LogListening(*workers_.front());
  if (workers_.size() > 1) {
    LogInfo(absl::StrCat(workers_.size(),
                         " workers, one thread each, sharing every listening "
                         "address (SO_REUSEPORT)"));
  }
  std::vector<absl::Status> statuses(workers_.size());
  std::vector<std::thread> threads;
  threads.reserve(workers_.size());
  for (size_t i = 0; i < workers_.size(); ++i) {
    threads.emplace_back([worker = workers_[i].get(), status = &statuses[i]] {
      *status = worker->Run();
    });
  }
  // Returns once StopAll has closed the signals and the stop wake-up.
  uv_run(&loop_, UV_RUN_DEFAULT);
  for (std::thread& thread : threads) thread.join();

  std::vector<const Worker*> all;
  for (const std::unique_ptr<Worker>& worker : workers_) {
    all.push_back(worker.get());
  }
  LogStopSummary(all);
  for (const absl::Status& status : statuses) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace turnpike::runtime
