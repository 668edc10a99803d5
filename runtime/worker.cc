#include "runtime/worker.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/util/absl_compat.h"
#include "core/util/check.h"
#include "runtime/clock.h"
#include "runtime/host_addresses.h"
#include "runtime/log.h"
#include "runtime/signal_watch.h"

namespace turnpike::runtime {
namespace {

// How many random ports to try before the Allocate gets 508: with a range
// a quarter full, 32 tries all landing on used ports has odds of 4^-32.
constexpr int kPortAttempts = 32;

// The listening sockets' buffers when none is configured (coturn asks for
// the same); the kernel caps it at net.core.rmem_max / wmem_max.
constexpr int kListenerBufferBytes = 4 << 20;

// What the core must know to keep the relay out of the server itself: the
// relay addresses (and their public counterparts), the host's addresses
// when a listener is a wildcard (it answers on all of them), and the relay
// port range.
absl::StatusOr<core::SelfAddressConfig> OwnAddresses(
    const RelayOptions& relay, const std::vector<TransportAddress>& listening) {
  core::SelfAddressConfig own;
  own.relay_min_port = relay.min_port;
  own.relay_max_port = relay.max_port;
  for (const std::optional<RelayAddress>& family : {relay.ipv4, relay.ipv6}) {
    if (!family) continue;
    own.relay.push_back(family->bind);
    if (family->external) own.relay.push_back(*family->external);
  }
  for (const RelayAddress& more : relay.more) {
    own.relay.push_back(more.bind);
    if (more.external) own.relay.push_back(*more.external);
  }
  if (std::any_of(
          listening.begin(), listening.end(),
          [](const TransportAddress& a) { return a.ip.IsUnspecified(); })) {
    absl::StatusOr<std::vector<InterfaceAddress>> host =
        ListInterfaceAddresses();
    if (!host.ok()) return host.status();
    for (const InterfaceAddress& address : *host) {
      own.host.push_back(address.address);
    }
  }
  return own;
}

}  // namespace

Worker::Worker(std::unique_ptr<core::Server> server, const WorkerConfig& config,
               core::Deps deps)
    : server_(std::move(server)),
      deps_(deps),
      udp_options_(config.udp),
      relay_options_(config.relay),
      relay_picker_(config.relay),
      events_(config.events),
      on_reload_(config.on_reload),
      drain_timeout_(config.drain_timeout),
      on_drained_(config.on_drained),
      transport_settings_(config.transport),
      tls_sessions_(config.tls_sessions),
      dtls_sessions_(config.dtls_sessions),
      max_channel_number_(config.server.max_channel_number),
      reuse_port_(config.reuse_port),
      own_limiter_(config.transport.max_connections_per_ip),
      limiter_(config.shared_limiter != nullptr ? *config.shared_limiter
                                                : own_limiter_),
      reservations_(config.shared_reservations),
      own_handshakes_(config.transport.max_dtls_handshakes),
      handshakes_(config.shared_handshakes != nullptr
                      ? *config.shared_handshakes
                      : own_handshakes_),
      post_connection_handoff_(config.post_connection_handoff) {}

absl::StatusOr<std::unique_ptr<Worker>> Worker::Create(WorkerConfig config,
                                                       core::Deps deps) {
  if (config.relay.min_port == 0 ||
      config.relay.min_port > config.relay.max_port) {
    return absl::InvalidArgumentError(absl::StrCat(
        "relay port range ", config.relay.min_port, "-", config.relay.max_port,
        " is empty: give 1 <= min-port <= max-port (default 49152-65535)"));
  }
  for (const std::optional<RelayAddress>& relay :
       {config.relay.ipv4, config.relay.ipv6}) {
    if (relay && relay->bind.IsUnspecified()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "relay address ", relay->bind.ToString(),
          " is a wildcard: peers must be able to send to a relayed address, "
          "so name an address of this host (relay-ip)"));
    }
  }
  if (config.relay.ipv4 && !config.relay.ipv4->bind.is_v4()) {
    return absl::InvalidArgumentError("the IPv4 relay address is not IPv4");
  }
  if (config.relay.ipv6 && !config.relay.ipv6->bind.is_v6()) {
    return absl::InvalidArgumentError("the IPv6 relay address is not IPv6");
  }
  for (const RelayAddress& more : config.relay.more) {
    const std::optional<RelayAddress>& first =
        more.bind.is_v4() ? config.relay.ipv4 : config.relay.ipv6;
    if (more.bind.IsUnspecified() || !first) {
      return absl::InvalidArgumentError(absl::StrCat(
          "relay address ", more.bind.ToString(),
          ": a further relay address must be an address of this host, beside "
          "a first one of its family (relay-ip)"));
    }
  }
  // Several workers: any worker's core may claim a token another's made.
  if (config.shared_reservations != nullptr) {
    deps.reservations = config.shared_reservations;
  }
  config.server.relay_ipv4 = config.relay.ipv4.has_value();
  config.server.relay_ipv6 = config.relay.ipv6.has_value();

  std::unique_ptr<Worker> worker(new Worker(nullptr, config, deps));
  if (int err = uv_loop_init(&worker->loop_); err != 0) {
    return absl::InternalError(
        absl::StrCat("event loop: uv_loop_init failed: ", uv_strerror(err)));
  }
  worker->loop_open_ = true;
  // Every UDP socket of this worker sends through one batch (its relay
  // sockets take udp_options_ too).
  absl::StatusOr<std::unique_ptr<SendBatch>> batch =
      SendBatch::Create(&worker->loop_, &worker->stats_);
  if (!batch.ok()) return batch.status();
  worker->send_batch_ = *std::move(batch);
  worker->udp_options_.send_batch = worker->send_batch_.get();
  // On any failure below, the destructor closes what was opened.
  if (absl::Status status = worker->Listen(config.listeners); !status.ok()) {
    return status;
  }
  // The core learns the listeners as bound (a port 0 resolved, a skipped
  // address gone): RFC 5780 answers name them, and the relay must never
  // reach them (docs/security.md).
  config.server.listeners = worker->OpenListenerConfigs();
  absl::StatusOr<core::SelfAddressConfig> own = worker->OwnAddressConfig();
  if (!own.ok()) return own.status();
  config.server.own_addresses = *std::move(own);
  absl::StatusOr<std::unique_ptr<core::Server>> server =
      core::Server::Create(config.server, deps);
  if (!server.ok()) return server.status();
  worker->server_ = *std::move(server);

  if (absl::Status status = worker->CheckRelayAddresses(); !status.ok()) {
    return status;
  }
  if (absl::Status status = worker->StartTimer(); !status.ok()) {
    return status;
  }
  if (absl::Status status = worker->StartPosting(); !status.ok()) {
    return status;
  }
  if (config.stats_slot != nullptr) {
    worker->stats_publisher_ = std::make_unique<StatsPublisher>(
        config.stats_slot, config.stats_options);
    Worker* self = worker.get();
    if (absl::Status status = worker->stats_publisher_->Start(
            &worker->loop_,
            [self](const StatsPublisherOptions& options,
                   WorkerSnapshot& snapshot) {
              self->FillSnapshot(options, snapshot);
            });
        !status.ok()) {
      return status;
    }
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

absl::Status Worker::Listen(const std::vector<ListenerSpec>& specs) {
  if (specs.size() > std::numeric_limits<uint16_t>::max()) {
    return absl::InvalidArgumentError(
        "listeners: at most 65535 listening addresses per worker");
  }
  for (const ListenerSpec& spec : specs) {
    const core::ListenerId id{static_cast<uint16_t>(listeners_.size())};
    absl::StatusOr<std::unique_ptr<Endpoint>> listener = OpenListener(spec, id);
    if (!listener.ok()) {
      if (spec.skip_if_unavailable && absl::IsUnavailable(listener.status())) {
        LogWarning(absl::StrCat(listener.status().message(),
                                " (continuing without it)"));
        continue;
      }
      return listener.status();
    }
    listeners_.push_back(std::move(*listener));
    retired_.push_back(false);
  }
  if (listeners_.empty()) {
    return absl::FailedPreconditionError(
        "no listening address could be bound; give one this host has");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Endpoint>> Worker::OpenListener(
    const ListenerSpec& spec, core::ListenerId id) {
  if ((spec.transport == core::Transport::kDtls && !dtls_sessions_) ||
      (spec.transport == core::Transport::kTls && !tls_sessions_)) {
    return absl::UnimplementedError(
        absl::StrCat(std::string(core::TransportName(spec.transport)),
                     " listeners need a certificate (tls-cert and tls-key); "
                     "listen on udp:// or tcp:// without one"));
  }
  // Every client's packets arrive on these few sockets: the system's
  // default buffer (208 KiB on Debian) overflows under bursts long before
  // the loop is busy (docs/benchmarks.md, end to end). Relay sockets each
  // carry one allocation and keep the system default unless configured.
  UdpSocketOptions options = udp_options_;
  if (!options.receive_buffer_bytes) {
    options.receive_buffer_bytes = kListenerBufferBytes;
  }
  if (!options.send_buffer_bytes) {
    options.send_buffer_bytes = kListenerBufferBytes;
  }
  options.reuse_port = reuse_port_;
  if (spec.transport == core::Transport::kUdp) {
    return UdpSocket::Bind(&loop_, id, spec.address, options, &slab_, this,
                           &stats_);
  }
  if (spec.transport == core::Transport::kDtls) {
    absl::StatusOr<std::unique_ptr<DtlsListener>> dtls = DtlsListener::Bind(
        &loop_, id, spec.address, options, transport_settings_, &dtls_sessions_,
        &slab_, this, this, &stats_, &limiter_, &handshakes_);
    if (!dtls.ok()) return dtls.status();
    dtls_listeners_.push_back(dtls->get());
    return std::unique_ptr<Endpoint>(*std::move(dtls));
  }
  return TcpListener::Listen(&loop_, id, spec.transport, spec.address,
                             &limiter_, this, &stats_.stream(spec.transport),
                             reuse_port_);
}

std::vector<core::ListenerConfig> Worker::OpenListenerConfigs() const {
  std::vector<core::ListenerConfig> out;
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (listeners_[i] == nullptr) continue;
    out.push_back({core::ListenerId{static_cast<uint16_t>(i)},
                   listeners_[i]->transport(), listeners_[i]->local_address()});
  }
  return out;
}

absl::StatusOr<core::SelfAddressConfig> Worker::OwnAddressConfig() const {
  std::vector<TransportAddress> open;
  for (const core::ListenerConfig& listener : OpenListenerConfigs()) {
    open.push_back(listener.address);
  }
  return OwnAddresses(relay_options_, open);
}

absl::Status Worker::TellCoreListeners() {
  absl::StatusOr<core::SelfAddressConfig> own = OwnAddressConfig();
  if (!own.ok()) return own.status();
  return server_->SetListeners(OpenListenerConfigs(), *std::move(own));
}

absl::Status Worker::CheckRelayAddresses() {
  for (AddressFamily family : {AddressFamily::kIpv4, AddressFamily::kIpv6}) {
    for (const RelayAddress& address : relay_picker_.addresses(family)) {
      const RelayAddress* relay = &address;
      absl::StatusOr<std::unique_ptr<UdpSocket>> probe = UdpSocket::Bind(
          &loop_, core::RelayId{0}, TransportAddress{relay->bind, 0},
          udp_options_, &slab_, this, &stats_);
      if (!probe.ok()) {
        return absl::Status(
            probe.status().code(),
            absl::StrCat("relay address: ", probe.status().message()));
      }
      (*probe)->Close();
    }
  }
  return absl::OkStatus();
}

absl::Status Worker::StartTimer() {
  auto* timer = new uv_timer_t;
  if (int err = uv_timer_init(&loop_, timer); err != 0) {
    delete timer;  // never registered with the loop
    return absl::InternalError(
        absl::StrCat("timer: uv_timer_init failed: ", uv_strerror(err)));
  }
  timer->data = this;
  timer_ = timer;
  return absl::OkStatus();
}

absl::Status Worker::StartPosting() {
  auto* async = new uv_async_t;
  if (int err = uv_async_init(&loop_, async, &Worker::OnPosted); err != 0) {
    delete async;  // never registered with the loop
    return absl::InternalError(
        absl::StrCat("post: uv_async_init failed: ", uv_strerror(err)));
  }
  async->data = this;
  std::lock_guard<std::mutex> lock(posted_mutex_);
  posted_async_ = async;
  return absl::OkStatus();
}

void Worker::Post(std::function<void(Worker&)> task) {
  std::lock_guard<std::mutex> lock(posted_mutex_);
  if (posted_async_ == nullptr) return;  // stopping
  posted_.push_back(std::move(task));
  uv_async_send(posted_async_);
}

void Worker::OnPosted(uv_async_t* handle) {
  auto* self = static_cast<Worker*>(handle->data);
  std::vector<std::function<void(Worker&)>> tasks;
  {
    std::lock_guard<std::mutex> lock(self->posted_mutex_);
    tasks.swap(self->posted_);
  }
  for (auto& task : tasks) {
    if (!self->stopping_) task(*self);
  }
}

absl::Status Worker::WatchSignals() {
  return WatchProcessSignals(&loop_, static_cast<bool>(on_reload_), this,
                             &Worker::OnSignal, signals_);
}

void Worker::OnSignal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<Worker*>(handle->data);
  if (signum == SIGHUP) {
    LogInfo("SIGHUP received, reloading");
    if (self->on_reload_) self->on_reload_(*self);
    return;
  }
  if (signum == SIGUSR1) {
    LogInfo("SIGUSR1 received, draining");
    self->StartDrain();
    return;
  }
  LogInfo(absl::StrCat(SignalName(signum), " received, stopping"));
  self->Stop();
}

absl::Status Worker::Run() {
  // Returns when no active handle is left, i.e. after Stop().
  uv_run(&loop_, UV_RUN_DEFAULT);
  return absl::OkStatus();
}

void Worker::Stop() {
  if (stopping_) return;
  if (server_ == nullptr) {  // Create failed before the server existed
    stopping_ = true;
    for (std::unique_ptr<Endpoint>& listener : listeners_) {
      if (listener != nullptr) listener->Close();
    }
    if (send_batch_ != nullptr) send_batch_->Close();
    return;
  }
  // Allocations end first, while the sockets and the event sink are still
  // there: each gets its AllocationDeleted and its relay sockets close.
  CloseDrainTimer();  // and no drain may call Stop() from the Pump below
  now_ = StampNow();
  server_->Shutdown(now_);
  Pump();
  stopping_ = true;
  for (std::unique_ptr<Endpoint>& listener : listeners_) {
    if (listener != nullptr) listener->Close();
  }
  if (retire_timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(retire_timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    retire_timer_ = nullptr;
  }
  for (auto& [id, connection] : connections_) connection->Close();
  associations_.clear();  // closed with their listeners just above
  for (auto& [id, relay] : relays_) relay->Close();
  relays_.clear();
  // The core's Shutdown closed these already; anything left goes quietly.
  for (auto& [id, relay] : tcp_relays_) relay->Close();
  tcp_relays_.clear();
  peer_connections_.clear();
  splices_.clear();
  splice_by_client_.clear();
  closed_splices_.clear();
  if (stats_publisher_ != nullptr) {
    stats_publisher_->PublishNow();  // the final counts, allocations gone
    stats_publisher_->Stop();
  }
  if (send_batch_ != nullptr) send_batch_->Close();
  if (timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
  for (uv_signal_t* handle : signals_) {
    uv_close(reinterpret_cast<uv_handle_t*>(handle),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_signal_t*>(h); });
  }
  signals_.clear();
  std::lock_guard<std::mutex> lock(posted_mutex_);
  if (posted_async_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(posted_async_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
    posted_async_ = nullptr;
  }
}

std::vector<TransportAddress> Worker::listening_addresses() const {
  std::vector<TransportAddress> addresses;
  addresses.reserve(listeners_.size());
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (IsActiveListener(i)) {
      addresses.push_back(listeners_[i]->local_address());
    }
  }
  return addresses;
}

std::vector<core::Transport> Worker::listening_transports() const {
  std::vector<core::Transport> transports;
  transports.reserve(listeners_.size());
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (IsActiveListener(i)) transports.push_back(listeners_[i]->transport());
  }
  return transports;
}

std::vector<std::pair<int, int>> Worker::listener_buffer_bytes() const {
  std::vector<std::pair<int, int>> sizes;
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (IsActiveListener(i)) sizes.push_back(listeners_[i]->buffer_bytes());
  }
  return sizes;
}

void Worker::SetPeerRules(core::PeerFilterRules rules) {
  server_->SetPeerRules(std::move(rules));
}

void Worker::OnMessage(const core::Now& now, Endpoint& endpoint,
                       const TransportAddress& from,
                       absl::Span<const uint8_t> bytes) {
  if (stopping_) return;
  // No socket callback is on the stack for these any more (a closed socket
  // gets no callbacks), so they can go.
  ReleaseClosed();
  now_ = now;
  std::optional<core::Forward> forward;
  const core::SocketRef socket = endpoint.id();
  if (std::holds_alternative<core::ConnectionId>(socket)) {
    // A connection's client: the tuple names the connection, so replies
    // and relayed data go back on it (core::ClientSocket).
    const std::optional<core::FiveTuple> tuple = endpoint.client_tuple();
    TURNPIKE_CHECK(tuple.has_value(),
                   "a connection endpoint must know its client's 5-tuple");
    forward = server_->HandleClientMessage(now, *tuple, bytes);
  } else if (const auto* listener = std::get_if<core::ListenerId>(&socket)) {
    // The server side of the tuple is the endpoint's bound address; for a
    // wildcard UDP bind that is 0.0.0.0 or ::, since libuv does not report
    // the datagram's destination address (IP_PKTINFO).
    const core::FiveTuple tuple{endpoint.transport(), from,
                                endpoint.local_address(), *listener};
    forward = server_->HandleClientMessage(now, tuple, bytes);
  } else {
    forward = server_->HandlePeerDatagram(now, std::get<core::RelayId>(socket),
                                          from, bytes);
  }
  // The Forward's payload borrows `bytes`, which live until we return.
  // RFC 8656 §11.4/§12.5: header, payload and padding as one message,
  // gathered: the payload is never copied unless a stream must queue it.
  if (forward) {
    Send(forward->via, forward->transport, forward->to,
         OutboundMessage::Of(*forward));
  }
  Pump();
}

Endpoint* Worker::EndpointFor(core::SocketRef ref) {
  if (const auto* listener = std::get_if<core::ListenerId>(&ref)) {
    return listener->value < listeners_.size()
               ? listeners_[listener->value].get()
               : nullptr;
  }
  if (const auto* connection = std::get_if<core::ConnectionId>(&ref)) {
    auto it = connections_.find(*connection);
    if (it != connections_.end()) return it->second.get();
    auto dtls = associations_.find(*connection);
    return dtls == associations_.end() ? nullptr : dtls->second;
  }
  auto it = relays_.find(std::get<core::RelayId>(ref));
  return it == relays_.end() ? nullptr : it->second.get();
}

void Worker::CountSend(const SendResult& result) {
  switch (result.outcome) {
    case SendResult::Outcome::kSent:
      ++stats_.datagrams_sent;
      stats_.bytes_sent += result.bytes;
      break;
    case SendResult::Outcome::kQueued:
      ++stats_.send_queued;
      break;
    case SendResult::Outcome::kWouldBlock:
      ++stats_.send_would_block;  // full socket buffer: drop, never queue
      break;
    case SendResult::Outcome::kQueueFull:
      ++stats_.send_queue_full;
      break;
    case SendResult::Outcome::kFailed:
      ++stats_.send_errors;
      break;
    case SendResult::Outcome::kBatched:
      break;  // the batch's flush counts it
  }
}

void Worker::Send(core::SocketRef via, core::Transport transport,
                  const TransportAddress& to, const OutboundMessage& message) {
  Endpoint* endpoint = EndpointFor(via);
  // The core and the runtime disagreeing on an endpoint's transport is the
  // same bug as a missing endpoint: the core would have framed it wrong.
  if (endpoint == nullptr || endpoint->transport() != transport) {
    ++stats_.send_no_socket;
    return;
  }
  CountSend(endpoint->Send(to, message));
}

void Worker::Pump() {
  while (std::optional<core::Command> command = server_->PollCommand()) {
    // One Execute overload per Command alternative: a new alternative that
    // the runtime does not handle fails to compile here.
    std::visit([this](const auto& c) { Execute(c); }, *command);
  }
  ArmTimer();
  if (draining_) FinishDrainWhenEmpty();
}

void Worker::ArmTimer() {
  if (timer_ == nullptr || stopping_) return;
  const std::optional<core::MonoTime> deadline = server_->NextDeadline();
  if (deadline == armed_for_) return;  // the usual case on the packet path
  armed_for_ = deadline;
  if (!deadline) {
    uv_timer_stop(timer_);
    return;
  }
  // Rounded up: libuv counts whole milliseconds, and firing a little late
  // is harmless (every input expires what is due first, core/server.h)
  // whereas firing early would wake the loop for nothing.
  const core::Duration wait = *deadline - now_.mono;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
  uv_timer_start(timer_, &Worker::OnTimer,
                 static_cast<uint64_t>(std::max<int64_t>(ms, 0)), 0);
}

void Worker::OnTimer(uv_timer_t* handle) {
  auto* self = static_cast<Worker*>(handle->data);
  self->ReleaseClosed();
  self->armed_for_.reset();
  self->now_ = StampNow();
  self->server_->HandleTimeout(self->now_);
  self->Pump();
}

void Worker::Execute(const core::Transmit& transmit) {
  Send(transmit.via, transmit.transport, transmit.to,
       OutboundMessage::Of(absl::MakeConstSpan(transmit.bytes)));
}

uint32_t Worker::DrawRelayPort(bool even) {
  // RFC 8656 §7.2: the port is chosen at random, so relayed addresses
  // cannot be guessed (and tried) by off-path attackers.
  const uint32_t low = relay_options_.min_port;
  const uint32_t span = relay_options_.max_port - low + 1;
  uint8_t random[4];
  deps_.random->Fill(absl::MakeSpan(random));
  const uint32_t draw = uint32_t{random[0]} << 24 | uint32_t{random[1]} << 16 |
                        uint32_t{random[2]} << 8 | random[3];
  uint32_t port = low + draw % span;
  if (even) port &= ~uint32_t{1};
  return port;
}

absl::StatusOr<TransportAddress> Worker::OpenRelaySockets(
    const core::OpenRelay& open) {
  std::vector<const RelayAddress*> candidates =
      relay_picker_.Candidates(open.family);
  if (candidates.empty()) {
    return absl::FailedPreconditionError("no relay address of that family");
  }
  // Issue 10: an address whose port range is full passes the relay on to
  // the next, so the family is full only when all of them are.
  absl::StatusOr<TransportAddress> bound = absl::ResourceExhaustedError("");
  for (const RelayAddress* relay : candidates) {
    bound = OpenRelaySocketsOn(open, *relay);
    if (!absl::IsResourceExhausted(bound.status())) return bound;
  }
  if (candidates.size() == 1) return bound;
  return absl::ResourceExhaustedError(absl::StrCat(
      "no free relay port in ", relay_options_.min_port, "-",
      relay_options_.max_port, " on any of the ", candidates.size(),
      " relay addresses after ", kPortAttempts,
      " tries each; widen the range (min-port, max-port) or add relay-ip"));
}

absl::StatusOr<TransportAddress> Worker::OpenRelaySocketsOn(
    const core::OpenRelay& open, const RelayAddress& address) {
  const RelayAddress* relay = &address;
  const uint32_t low = relay_options_.min_port;
  // EVEN-PORT R=1 needs port+1 in range too.
  const bool pair = open.reserve_id.has_value();
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    const uint32_t port = DrawRelayPort(open.even_port);
    if (port < low || (pair && port + 1 > relay_options_.max_port)) continue;

    const core::RelayId id = open.id;
    absl::StatusOr<std::unique_ptr<UdpSocket>> socket = UdpSocket::Bind(
        &loop_, id, TransportAddress{relay->bind, static_cast<uint16_t>(port)},
        udp_options_, &slab_, this, &stats_);
    if (!socket.ok()) {
      if (absl::IsAlreadyExists(socket.status())) continue;  // EADDRINUSE
      return socket.status();
    }
    std::unique_ptr<UdpSocket> next;
    if (pair) {
      absl::StatusOr<std::unique_ptr<UdpSocket>> second = UdpSocket::Bind(
          &loop_, *open.reserve_id,
          TransportAddress{relay->bind, static_cast<uint16_t>(port + 1)},
          udp_options_, &slab_, this, &stats_);
      if (!second.ok()) {
        (*socket)->Close();
        if (absl::IsAlreadyExists(second.status())) continue;
        return second.status();
      }
      next = std::move(*second);
    }
    if (open.dont_fragment) {
      for (UdpSocket* s : {socket->get(), next.get()}) {
        if (s == nullptr) continue;
        if (absl::Status df = s->SetDontFragment(); !df.ok()) {
          LogWarning(FromAbsl(df.message()));
        }
      }
    }
    relays_.emplace(id, std::move(*socket));
    if (next) relays_.emplace(*open.reserve_id, std::move(next));
    return TransportAddress{relay->external.value_or(relay->bind),
                            static_cast<uint16_t>(port)};
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("no free relay port in ", relay_options_.min_port, "-",
                   relay_options_.max_port, " after ", kPortAttempts,
                   " tries; widen the range (min-port, max-port)"));
}

void Worker::Execute(const core::OpenRelay& open) {
  absl::StatusOr<TransportAddress> bound =
      open.claimed_token                        ? AdoptClaimedRelay(open)
      : open.transport == core::Transport::kUdp ? OpenRelaySockets(open)
                                                : OpenTcpRelay(open);
  if (bound.ok()) {
    server_->HandleRelayOpened(now_, open.id, *bound);
  } else {
    // The Allocate is answered 508 (RFC 8656 §7.2).
    LogWarning(absl::StrCat("relay socket: ", bound.status().message()));
    server_->HandleRelayFailed(now_, open.id, bound.status());
  }
}

void Worker::Execute(const core::CloseRelay& close) {
  // RFC 6062: the listener goes; its connections are the core's to close
  // (it does, with the allocation).
  if (auto tcp = tcp_relays_.find(close.id); tcp != tcp_relays_.end()) {
    tcp->second->Close();
    tcp_relays_.erase(tcp);
    return;
  }
  auto it = relays_.find(close.id);
  if (it == relays_.end()) return;
  it->second->Close();
  closed_relays_.push_back(std::move(it->second));
  relays_.erase(it);
}

void Worker::Execute(const core::CloseConnection& close) {
  if (auto dtls = associations_.find(close.id); dtls != associations_.end()) {
    dtls->second->CloseRequested();  // OnAssociationClosed forgets it
    return;
  }
  if (ClosePeerSide(close.id)) return;
  auto it = connections_.find(close.id);
  if (it == connections_.end()) return;  // already gone
  // Sends what is queued first (bounded in time); OnConnectionClosed
  // collects it then, without telling the core, which asked.
  it->second->CloseAfterFlush();
  if (it->second->closed()) {
    closed_connections_.push_back(std::move(it->second));
    connections_.erase(it);
  }
}

void Worker::Execute(const core::Event& event) {
  // A stream connection's idle timer runs only while it has no allocation.
  const core::EventSubject* subject = nullptr;
  bool has_allocation = false;
  if (const auto* created = std::get_if<core::AllocationCreated>(&event)) {
    subject = &created->subject;
    has_allocation = true;
  } else if (const auto* deleted =
                 std::get_if<core::AllocationDeleted>(&event)) {
    subject = &deleted->subject;
  }
  if (subject != nullptr && subject->five_tuple.connection.valid()) {
    auto it = connections_.find(subject->five_tuple.connection);
    if (it != connections_.end()) it->second->SetHasAllocation(has_allocation);
    auto dtls = associations_.find(subject->five_tuple.connection);
    if (dtls != associations_.end()) {
      dtls->second->SetHasAllocation(has_allocation);
    }
  }
  if (stats_publisher_ != nullptr) stats_publisher_->Count(event);
  if (events_ != nullptr) events_->OnEvent(now_.wall, event);
}

void Worker::ReleaseClosed() {
  closed_relays_.clear();
  closed_connections_.clear();
  for (DtlsListener* listener : dtls_listeners_) listener->ReleaseClosed();
  closed_splices_.clear();
}

void Worker::OnAccepted(TcpListener& listener, int fd,
                        const TransportAddress& local,
                        const TransportAddress& remote) {
  if (stopping_) {
    // Not ours to keep: give fd and slot back as a connection would.
    ::close(fd);
    limiter_.Release(remote.ip);
    return;
  }
  ReleaseClosed();
  StreamConnectionOptions options;
  options.id = NextConnectionId();
  options.listener = listener.listener_id();
  options.transport = listener.transport();
  options.local = local;
  options.remote = remote;
  // The same channel range as UDP clients (stun::IsValidChannelNumber).
  options.framer = stun::FramerLimits{max_channel_number_};
  options.write_queue_bytes = transport_settings_.write_queue_bytes;
  options.idle_timeout = transport_settings_.idle_timeout;
  options.handshake_timeout = transport_settings_.handshake_timeout;
  absl::StatusOr<std::unique_ptr<StreamConnection>> connection =
      StreamConnection::Create(
          &loop_, fd, options,
          options.transport == core::Transport::kTls ? &tls_sessions_ : nullptr,
          &slab_, this, this, &stats_.stream(options.transport), &stats_,
          &limiter_);
  if (!connection.ok()) {
    LogWarning(FromAbsl(connection.status().message()));
    return;
  }
  connections_.emplace(options.id, *std::move(connection));
}

void Worker::OnConnectionClosed(StreamConnection& connection) {
  auto it = connections_.find(std::get<core::ConnectionId>(connection.id()));
  if (it == connections_.end()) return;
  std::unique_ptr<StreamConnection> closed = std::move(it->second);
  connections_.erase(it);
  // The object may be on the stack (this is its callback): it waits.
  closed_connections_.push_back(std::move(closed));
  if (stopping_ || connection.close_requested()) return;
  now_ = StampNow();
  server_->HandleConnectionClosed(now_, connection.five_tuple());
  Pump();
}

}  // namespace turnpike::runtime

namespace turnpike::runtime {

core::ConnectionId Worker::NextConnectionId() {
  // Runtime ids count up from 1 and never reach the core's half.
  TURNPIKE_CHECK(next_connection_id_ < core::ConnectionId::kCoreAssigned,
                 "runtime connection ids exhausted");
  return core::ConnectionId{next_connection_id_++};
}

void Worker::OnAssociationOpened(DtlsAssociation& association) {
  associations_.emplace(std::get<core::ConnectionId>(association.id()),
                        &association);
}

void Worker::OnAssociationClosed(DtlsAssociation& association, bool requested) {
  associations_.erase(std::get<core::ConnectionId>(association.id()));
  if (stopping_ || requested) return;
  // RFC 8656 §3.2 as for TCP: the allocation goes with its association.
  now_ = StampNow();
  server_->HandleConnectionClosed(now_, association.five_tuple());
  Pump();
}

}  // namespace turnpike::runtime
