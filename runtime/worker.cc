#include "runtime/worker.h"

#include <csignal>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/clock.h"
#include "runtime/log.h"

namespace turnpike::runtime {
namespace {

const char* SignalName(int signum) {
  switch (signum) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "signal";
  }
}

}  // namespace

Worker::Worker(std::unique_ptr<core::Server> server)
    : server_(std::move(server)) {}

absl::StatusOr<std::unique_ptr<Worker>> Worker::Create(WorkerConfig config,
                                                       core::Deps deps) {
  absl::StatusOr<std::unique_ptr<core::Server>> server =
      core::Server::Create(std::move(config.server), deps);
  if (!server.ok()) return server.status();

  std::unique_ptr<Worker> worker(new Worker(std::move(*server)));
  if (int err = uv_loop_init(&worker->loop_); err != 0) {
    return absl::InternalError(
        absl::StrCat("event loop: uv_loop_init failed: ", uv_strerror(err)));
  }
  worker->loop_open_ = true;
  // On any failure below, the destructor closes what was opened.
  if (absl::Status status = worker->Listen(config.listeners, config.udp);
      !status.ok()) {
    return status;
  }
  if (config.handle_signals) {
    if (absl::Status status = worker->WatchSignals(); !status.ok()) {
      return status;
    }
  }
  return worker;
}

Worker::~Worker() {
  if (!loop_open_) return;
  Stop();
  // Only closing handles are left, so this returns once their close
  // callbacks have run.
  uv_run(&loop_, UV_RUN_DEFAULT);
  if (int err = uv_loop_close(&loop_); err != 0) {
    LogError(absl::StrCat("event loop: handles left open at exit (",
                          uv_err_name(err), "); this is a bug"));
  }
}

absl::Status Worker::Listen(const std::vector<ListenerSpec>& specs,
                            const UdpSocketOptions& options) {
  if (specs.size() > std::numeric_limits<uint16_t>::max()) {
    return absl::InvalidArgumentError(
        "listeners: at most 65535 listening addresses per worker");
  }
  for (const ListenerSpec& spec : specs) {
    const core::ListenerId id{static_cast<uint16_t>(listeners_.size())};
    absl::StatusOr<std::unique_ptr<UdpListener>> listener = UdpListener::Bind(
        &loop_, id, spec.address, options, &slab_, this, &stats_);
    if (!listener.ok()) {
      if (spec.skip_if_unavailable && absl::IsUnavailable(listener.status())) {
        LogWarning(absl::StrCat(listener.status().message(),
                                " (continuing without it)"));
        continue;
      }
      return listener.status();
    }
    listeners_.push_back(std::move(*listener));
  }
  if (listeners_.empty()) {
    return absl::FailedPreconditionError(
        "no listening address could be bound; give one this host has");
  }
  return absl::OkStatus();
}

absl::Status Worker::WatchSignals() {
  for (int signum : {SIGINT, SIGTERM}) {
    auto* handle = new uv_signal_t;
    if (int err = uv_signal_init(&loop_, handle); err != 0) {
      delete handle;  // never registered with the loop
      return absl::InternalError(
          absl::StrCat("signals: uv_signal_init failed: ", uv_strerror(err)));
    }
    handle->data = this;
    signals_.push_back(handle);
    if (int err = uv_signal_start(handle, &Worker::OnSignal, signum);
        err != 0) {
      return absl::InternalError(absl::StrCat("signals: watching ",
                                              SignalName(signum),
                                              " failed: ", uv_strerror(err)));
    }
  }
  return absl::OkStatus();
}

void Worker::OnSignal(uv_signal_t* handle, int signum) {
  LogInfo(absl::StrCat(SignalName(signum), " received, stopping"));
  static_cast<Worker*>(handle->data)->Stop();
}

absl::Status Worker::Run() {
  std::vector<std::string> addresses;
  for (const TransportAddress& address : listening_addresses()) {
    addresses.push_back(absl::StrCat("udp ", address.ToString()));
  }
  LogInfo(absl::StrCat("listening on ", absl::StrJoin(addresses, ", ")));

  // Returns when no active handle is left, i.e. after Stop().
  uv_run(&loop_, UV_RUN_DEFAULT);

  LogInfo(absl::StrCat(
      "stopped: ", stats_.datagrams_received, " datagrams received, ",
      stats_.datagrams_sent, " sent, ",
      stats_.send_would_block + stats_.send_errors + stats_.send_no_socket,
      " sends failed"));
  return absl::OkStatus();
}

void Worker::Stop() {
  if (stopping_) return;
  stopping_ = true;
  for (std::unique_ptr<UdpListener>& listener : listeners_) listener->Close();
  for (uv_signal_t* handle : signals_) {
    uv_close(reinterpret_cast<uv_handle_t*>(handle),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_signal_t*>(h); });
  }
  signals_.clear();
}

std::vector<TransportAddress> Worker::listening_addresses() const {
  std::vector<TransportAddress> addresses;
  addresses.reserve(listeners_.size());
  for (const std::unique_ptr<UdpListener>& listener : listeners_) {
    addresses.push_back(listener->local_address());
  }
  return addresses;
}

void Worker::OnDatagram(const core::Now& now, core::ListenerId listener,
                        const TransportAddress& from,
                        absl::Span<const uint8_t> bytes) {
  // The server side of the tuple is the listener's bound address; for a
  // wildcard bind that is 0.0.0.0 or ::, since libuv does not report the
  // datagram's destination address (IP_PKTINFO).
  const core::FiveTuple tuple{core::Transport::kUdp, from,
                              listeners_[listener.value]->local_address(),
                              listener};
  // Relayed data needs relay sockets, which the runtime does not open yet
  // (OpenRelay below), so no Forward can come back.
  server_->HandleClientMessage(now, tuple, bytes);
  Pump();
}

void Worker::Pump() {
  while (std::optional<core::Command> command = server_->PollCommand()) {
    // One Execute overload per Command alternative: a new alternative that
    // the runtime does not handle fails to compile here.
    std::visit([this](const auto& c) { Execute(c); }, *command);
  }
}

void Worker::Execute(const core::Transmit& transmit) {
  if (transmit.transport != core::Transport::kUdp ||
      transmit.from.value >= listeners_.size()) {
    ++stats_.send_no_socket;
    return;
  }
  // uv_buf_t's base is non-const, but uv_udp_try_send only reads it.
  const uv_buf_t part = uv_buf_init(
      const_cast<char*>(reinterpret_cast<const char*>(transmit.bytes.data())),
      static_cast<unsigned int>(transmit.bytes.size()));
  const int result = listeners_[transmit.from.value]->TrySend(
      transmit.to, absl::MakeConstSpan(&part, 1));
  if (result >= 0) {
    ++stats_.datagrams_sent;
    stats_.bytes_sent += static_cast<uint64_t>(result);
  } else if (result == UV_EAGAIN) {
    ++stats_.send_would_block;  // full socket buffer: drop, never queue
  } else {
    ++stats_.send_errors;
  }
}

void Worker::Execute(const core::OpenRelay& open) {
  // Relay sockets are not implemented in the runtime yet: the core answers
  // the Allocate with 508 Insufficient Capacity, which is the truth.
  server_->HandleRelayFailed(
      StampNow(), open.id,
      absl::UnimplementedError("relay sockets are not implemented yet"));
}

void Worker::Execute(const core::CloseRelay& /*close*/) {
  // Nothing was opened (see OpenRelay).
}

void Worker::Execute(const core::Event& /*event*/) {
  // Lifecycle events reach logs and sinks with the event-output option.
}

}  // namespace turnpike::runtime
