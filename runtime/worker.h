// One worker: one libuv loop, one core::Server, the endpoints that feed it.
//
// The loop is the core's run-loop contract made concrete (core/server.h):
// every received message is pushed into the server and its Forward
// (relayed data) sent at once; then Pump() drains the server's commands,
// executes them, and arms one timer at NextDeadline(). The worker talks to
// every socket through the transport-neutral Endpoint
// (runtime/transport/endpoint.h), so client messages and sends take the
// same path whatever the transport. Relay sockets are opened and closed
// when the core says so, one uv_udp_t per relayed address, or for an
// RFC 6062 TCP allocation a listening TCP socket with its peer connections
// and splices (worker_tcp_relay.cc).
//
// A process runs N workers under a Supervisor (runtime/supervisor.h), each
// Run on its own thread: every worker binds its own listening sockets on
// the same addresses with SO_REUSEPORT (the kernel keeps a client's
// 5-tuple on one worker), and its relay sockets are its own, so a peer's
// datagram arrives on the worker that holds the allocation. A worker
// touches another thread's state only through what it is given to share:
// the Deps (credential snapshot, quota ledger, random), the nonce key in
// its ServerConfig, the connection limiter and the event sink. Other
// threads reach a worker only through Post().
#ifndef TURNPIKE_RUNTIME_WORKER_H_
#define TURNPIKE_RUNTIME_WORKER_H_

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/command.h"
#include "core/config.h"
#include "core/server.h"
#include "core/stats.h"
#include "runtime/event_sink.h"
#include "runtime/receive_slab.h"
#include "runtime/relay_address_picker.h"
#include "runtime/runtime_stats.h"
#include "runtime/shared_reservation_registry.h"
#include "runtime/stats_board.h"
#include "runtime/stats_publisher.h"
#include "runtime/transport/connection_limiter.h"
#include "runtime/transport/dtls_listener.h"
#include "runtime/transport/endpoint.h"
#include "runtime/transport/handshake_limiter.h"
#include "runtime/transport/send_batch.h"
#include "runtime/transport/splice.h"
#include "runtime/transport/stream_connection.h"
#include "runtime/transport/tcp_listener.h"
#include "runtime/transport/tcp_relay.h"
#include "runtime/transport/transport_settings.h"
#include "runtime/transport/udp_socket.h"

namespace turnpike::runtime {

struct ListenerSpec {
  TransportAddress address;
  // For addresses the operator did not ask for (the default [::]): when the
  // host cannot use the address at all (no IPv6), warn and go on without it
  // instead of failing start-up. Conflicts (port in use) still fail.
  bool skip_if_unavailable = false;
  // udp:// (the default), tcp://, tls:// or dtls:// (RFC 8656 §3.1,
  // RFC 7350).
  core::Transport transport = core::Transport::kUdp;
};

struct RelayOptions {
  // A family without an address cannot be allocated (the core answers 440).
  std::optional<RelayAddress> ipv4;
  std::optional<RelayAddress> ipv6;
  // Further relay addresses, of either family, beside ipv4 / ipv6 (which
  // must be set for that family): each has the whole port range, so a
  // family holds ports × addresses relays (issue 10). New UDP relays go
  // round-robin over a family's addresses and fall over to the next when
  // one has no free port (runtime/relay_address_picker.h); RFC 6062 TCP
  // relays use the first address.
  std::vector<RelayAddress> more;
  // Relay ports are drawn at random from [min_port, max_port] (RFC 8656
  // §7.2 recommends the dynamic range 49152-65535) and retried on
  // EADDRINUSE.
  uint16_t min_port = 49152;
  uint16_t max_port = 65535;
};

class Worker;

struct WorkerConfig {
  // relay_ipv4 / relay_ipv6 are set by Worker::Create from `relay`.
  core::ServerConfig server;
  // In order: the n-th socket that binds gets ListenerId n.
  std::vector<ListenerSpec> listeners;
  // Socket buffer sizes of listeners and relay sockets alike.
  UdpSocketOptions udp;
  // TLS files, connection limits and timers of connection-oriented clients.
  TransportSettings transport;
  // Makes the TLS session of each tls:// client; tls:// listeners are
  // refused while it is empty (the TLS engine plugs in here).
  SecureSessionFactory tls_sessions;
  // The same for each dtls:// client (a DTLS server session); dtls://
  // listeners are refused while it is empty.
  SecureSessionFactory dtls_sessions;
  RelayOptions relay;
  // Receives every lifecycle event; nullptr drops them. Borrowed.
  EventSink* events = nullptr;
  // SIGINT and SIGTERM stop the loop cleanly (allocations deleted, their
  // events emitted). Under a Supervisor its loop owns the signals instead
  // and every worker has this false.
  bool handle_signals = true;
  // SO_REUSEPORT on every listening socket, so the workers of a process
  // can bind the same addresses (runtime/supervisor.h).
  bool reuse_port = false;
  // The per-client-IP connection limit shared by every worker of the
  // process; nullptr gives the worker a limiter of its own. Borrowed.
  ConnectionLimiter* shared_limiter = nullptr;
  // The EVEN-PORT reservations shared by every worker of the process
  // (runtime/shared_reservation_registry.h); nullptr keeps them this
  // worker's own, as one worker does. Borrowed.
  SharedReservationRegistry* shared_reservations = nullptr;
  // max-dtls-handshakes for every worker of the process; nullptr gives
  // the worker a limiter of its own. Borrowed.
  HandshakeLimiter* shared_handshakes = nullptr;
  // Called on the loop for SIGHUP (with handle_signals): re-read what may
  // change while the relay runs and apply it (SetPeerRules, the credential
  // snapshot, quota limits). SIGHUP is ignored when empty.
  std::function<void(Worker&)> on_reload;
  // Where this worker publishes its stats snapshot for the admin endpoint
  // (runtime/stats_board.h); nullptr publishes nothing. Borrowed.
  StatsSlot* stats_slot = nullptr;
  StatsPublisherOptions stats_options;
  // SIGUSR1 (with handle_signals) or Drain(): the longest the worker waits
  // for its allocations to end before it deletes the rest and stops.
  std::chrono::milliseconds drain_timeout = std::chrono::hours(1);
  // Under a Supervisor: called (on this worker's thread, once) when a
  // drain has left this worker without allocations; the worker then keeps
  // running and the supervisor owns the drain's timeout and the stop.
  // Empty: the worker stops itself and keeps its own drain timeout.
  std::function<void()> on_drained;
  // RFC 6062 across workers (worker_connection_handoff.cc): runs `task` on
  // worker `index` of the process (its Worker::Post), to hand it a client
  // connection whose ConnectionBind names a CONNECTION-ID that worker
  // issued (core::HandOffConnection). Set by the Supervisor with
  // server.worker_index and server.worker_count; empty for a lone worker,
  // which then closes such a connection.
  std::function<void(uint32_t index, std::function<void(Worker&)> task)>
      post_connection_handoff;
};

class Worker final : private MessageSink,
                     private ConnectionAcceptor,
                     private ConnectionObserver,
                     private DtlsObserver,
                     private TcpRelaySink {
 public:
  // Creates the loop and the server, binds every listener and checks that
  // each relay address can be bound. Fails with InvalidArgument for a bad
  // config (the core's, or a relay port range), with the socket's error for
  // an address that cannot bind, and with FailedPrecondition when no
  // listener is left.
  // `deps` are borrowed and must outlive the Worker; so must config.events.
  static absl::StatusOr<std::unique_ptr<Worker>> Create(WorkerConfig config,
                                                        core::Deps deps);

  // Stops (see Stop) and runs the loop until libuv has finished closing.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Serves until Stop() or a SIGINT/SIGTERM; returns once every handle is
  // closed. Call once, on any one thread (the loop is then that thread's
  // until Run returns). Logs nothing: runtime/worker_summary.h says what
  // the workers did.
  absl::Status Run();

  // Deletes every allocation (AllocationDeleted events, relay sockets
  // closed), then closes every handle so that Run() returns. Safe from
  // inside a loop callback, and more than once.
  void Stop();

  // The addresses actually bound by the active listeners (not retired by
  // ReplaceListeners), in the order they were opened: ListenerId order
  // until a reload changes them.
  std::vector<TransportAddress> listening_addresses() const;
  // Their transports, in the same order.
  std::vector<core::Transport> listening_transports() const;
  // {receive, send} buffer bytes granted to each active listener, in the
  // same order.
  std::vector<std::pair<int, int>> listener_buffer_bytes() const;
  // A reload changed the listen addresses (worker_listeners.cc). On the
  // loop: opens each of `wanted` that is not open yet, then retires the
  // active listeners `wanted` no longer names. A retired TCP or TLS
  // listener closes at once (its connections stay); a UDP or DTLS one
  // keeps serving its clients until no allocation (and no DTLS
  // association) uses it, so no allocation is dropped. Returns `wanted`
  // with each port 0 replaced by the port bound, so other workers can bind
  // the same. On any error nothing changes (what this call opened is
  // closed again).
  absl::StatusOr<std::vector<ListenerSpec>> ReplaceListeners(
      const std::vector<ListenerSpec>& wanted);
  // Retired listeners still open, waiting for their last allocation.
  size_t retired_listener_count() const;
  // Peer policy for new permissions and every relayed packet (SIGHUP).
  void SetPeerRules(core::PeerFilterRules rules);
  // Concurrent TCP/TLS connections per client IP (SIGHUP); 0 = no limit.
  // Lowering it closes nothing: it only refuses new connections until an
  // IP's count falls below it.
  void SetConnectionsPerIp(uint32_t limit) { limiter_.SetLimit(limit); }
  size_t connection_count() const { return connections_.size(); }
  size_t relay_socket_count() const {
    return relays_.size() + tcp_relays_.size();
  }
  // Runs `task` on the loop, between inputs. Safe from any thread, while
  // the Worker exists; dropped once it is stopping. Lets a background
  // thread (the credential reloader) apply what must change on the loop.
  void Post(std::function<void(Worker&)> task);
  // Drain for a rolling upgrade (worker_drain.cc): new Allocates go to an
  // alternate server or get 508 (core::Server::StartDrain); Run() returns
  // once the last allocation has ended, or after drain_timeout, when the
  // rest are deleted as by Stop(). Safe from any thread; a second call
  // changes nothing. SIGUSR1 calls it.
  void Drain();
  bool draining() const { return draining_; }
  const RuntimeStats& stats() const { return stats_; }
  const core::ServerStats& server_stats() const { return server_->stats(); }
  // Copies this worker's counters and live state into `snapshot` (on the
  // loop; runtime/worker_snapshot.cc).
  void FillSnapshot(const StatsPublisherOptions& options,
                    WorkerSnapshot& snapshot) const;

 private:
  Worker(std::unique_ptr<core::Server> server, const WorkerConfig& config,
         core::Deps deps);

  absl::Status Listen(const std::vector<ListenerSpec>& specs);
  // Binds one listener as ListenerId `id` (worker_listeners.cc).
  absl::StatusOr<std::unique_ptr<Endpoint>> OpenListener(
      const ListenerSpec& spec, core::ListenerId id);
  // Tells the core the addresses of every open listener, retired ones
  // included (RFC 5780 partners; the relay never reaches into them).
  absl::Status TellCoreListeners();
  // Every listener still open (retired ones included), by ListenerId.
  std::vector<core::ListenerConfig> OpenListenerConfigs() const;
  absl::StatusOr<core::SelfAddressConfig> OwnAddressConfig() const;
  // Closes the retired listeners nothing uses any more; stops its timer
  // when none is left.
  void SweepRetiredListeners();
  void CloseListener(size_t index);
  bool IsActiveListener(size_t index) const {
    return listeners_[index] != nullptr && !retired_[index];
  }
  // Binds a port-0 socket on each relay address, so an address the host
  // does not have stops start-up instead of failing every Allocate.
  absl::Status CheckRelayAddresses();
  absl::Status StartTimer();
  absl::Status WatchSignals();

  // MessageSink: one input to the core, its Forward, then its commands.
  void OnMessage(const core::Now& now, Endpoint& endpoint,
                 const TransportAddress& from,
                 absl::Span<const uint8_t> bytes) override;
  // Every send, relayed data and the core's Transmits alike: the endpoint
  // the core named, checked against the transport the core believes it
  // has, then counted.
  void Send(core::SocketRef via, core::Transport transport,
            const TransportAddress& to, const OutboundMessage& message);
  Endpoint* EndpointFor(core::SocketRef ref);

  // ConnectionAcceptor: a TCP/TLS client the limiter let in.
  void OnAccepted(TcpListener& listener, int fd, const TransportAddress& local,
                  const TransportAddress& remote) override;
  // ConnectionObserver: the core hears of closes it did not ask for
  // (RFC 8656 §3.2: the allocation goes with its connection).
  void OnConnectionClosed(StreamConnection& connection) override;
  // Connections closed while one of their callbacks may be on the stack
  // are destroyed here, from the next input on.
  void ReleaseClosed();
  // DtlsObserver: DTLS associations are connections to the core.
  core::ConnectionId NextConnectionId() override;
  void OnAssociationOpened(DtlsAssociation& association) override;
  void OnAssociationClosed(DtlsAssociation& association,
                           bool requested) override;
  void CountSend(const SendResult& result);

  // Drains server_->PollCommand() and executes each command, then arms the
  // timer. Runs after every input, so the core's queue is empty whenever
  // the loop waits.
  void Pump();
  void ArmTimer();
  void Execute(const core::Transmit& transmit);
  void Execute(const core::OpenRelay& open);
  void Execute(const core::CloseRelay& close);
  void Execute(const core::ConnectPeer& connect);
  void Execute(const core::CloseConnection& close);
  void Execute(const core::SpliceConnections& splice);
  // RFC 6062 across workers (worker_connection_handoff.cc): the connection
  // leaves for the worker of its CONNECTION-ID, which adopts it.
  void Execute(const core::HandOffConnection& hand_off);
  struct MovingConnection;
  void AdoptConnection(MovingConnection& moving);
  void Execute(const core::Event& event);
  // Several workers, RFC 8656 §7.2 (worker_reservations.cc): port+1 goes
  // to the registry, and a claimed one is adopted as a relay socket.
  void Execute(const core::ShareReservation& share);
  absl::StatusOr<TransportAddress> AdoptClaimedRelay(
      const core::OpenRelay& open);
  // Binds the relay socket(s) of `open` at a random port of the range and
  // returns the address to advertise (the external one behind 1:1 NAT).
  absl::StatusOr<TransportAddress> OpenRelaySockets(
      const core::OpenRelay& open);
  // The same on one relay address; ResourceExhausted when no port of the
  // range was free there.
  absl::StatusOr<TransportAddress> OpenRelaySocketsOn(
      const core::OpenRelay& open, const RelayAddress& relay);

  // RFC 6062 TCP relays (runtime/transport/tcp_relay.h, splice.h).
  absl::StatusOr<TransportAddress> OpenTcpRelay(const core::OpenRelay& open);
  // A random port of the relay range, even when asked (RFC 8656 §7.2).
  uint32_t DrawRelayPort(bool even);
  // Closes peer connection or splice `id` without a report; false when
  // `id` is neither (a client connection's).
  bool ClosePeerSide(core::ConnectionId id);
  // The client side of a splice, taken from its connection: the socket,
  // the bytes read past ConnectionBind, and its 5-tuple; nullopt when the
  // connection is gone.
  struct SpliceClient {
    uv_tcp_t* socket = nullptr;
    std::vector<uint8_t> unread;
    core::FiveTuple tuple;
  };
  std::optional<SpliceClient> TakeClientForSplice(core::ConnectionId id);
  // TcpRelaySink.
  void OnPeerAccepted(core::RelayId relay,
                      std::unique_ptr<PeerConnection> connection) override;
  void OnPeerConnected(PeerConnection& connection,
                       const absl::Status& status) override;
  // A splice ended on its own: the core hears of both sides.
  void OnSpliceClosed(core::ConnectionId peer, const core::FiveTuple& client);

  static void OnSignal(uv_signal_t* handle, int signum);
  static void OnPosted(uv_async_t* handle);
  absl::Status StartPosting();
  static void OnTimer(uv_timer_t* handle);
  // Drain on the loop (worker_drain.cc).
  void StartDrain();
  // After every Pump: stops once draining and no allocation is left.
  void FinishDrainWhenEmpty();
  void CloseDrainTimer();
  static void OnDrainTimeout(uv_timer_t* handle);

  uv_loop_t loop_;
  bool loop_open_ = false;
  std::unique_ptr<core::Server> server_;
  core::Deps deps_;
  UdpSocketOptions udp_options_;
  RelayOptions relay_options_;
  RelayAddressPicker relay_picker_;
  EventSink* events_ = nullptr;
  std::function<void(Worker&)> on_reload_;
  std::chrono::milliseconds drain_timeout_;
  std::function<void()> on_drained_;
  // The stamp of the input being handled; events carry its wall time.
  core::Now now_{};
  ReceiveSlab slab_;
  RuntimeStats stats_;
  // Declared before the sockets, so it outlives them (they flush into it
  // when they close).
  std::unique_ptr<SendBatch> send_batch_;
  // The client-side endpoints, indexed by ListenerId::value (today one UDP
  // socket per listening address).
  std::vector<std::unique_ptr<Endpoint>> listeners_;
  // Parallel to listeners_: retired by a reload, open until unused. A
  // closed listener's slot is nullptr (ListenerIds are never reused) and
  // its object waits in closed_listeners_ until the worker goes.
  std::vector<bool> retired_;
  std::vector<std::unique_ptr<Endpoint>> closed_listeners_;
  // Runs SweepRetiredListeners every second while a listener is retired.
  uv_timer_t* retire_timer_ = nullptr;
  absl::flat_hash_map<core::RelayId, std::unique_ptr<UdpSocket>> relays_;
  // Closed relay sockets wait here until the next input: a CloseRelay can
  // come from inside that very socket's receive callback (a peer datagram
  // that expired its allocation), which touches the object after the sink
  // returns.
  std::vector<std::unique_ptr<UdpSocket>> closed_relays_;
  // TCP/TLS clients by their runtime-assigned id (never kCoreAssigned).
  TransportSettings transport_settings_;
  SecureSessionFactory tls_sessions_;
  SecureSessionFactory dtls_sessions_;
  uint16_t max_channel_number_ = 0;
  bool reuse_port_ = false;
  ConnectionLimiter own_limiter_;
  // own_limiter_, or the one the workers of the process share.
  ConnectionLimiter& limiter_;
  SharedReservationRegistry* reservations_ = nullptr;
  HandshakeLimiter own_handshakes_;
  // own_handshakes_, or the one the workers of the process share.
  HandshakeLimiter& handshakes_;
  uint64_t next_connection_id_ = 1;
  absl::flat_hash_map<core::ConnectionId, std::unique_ptr<StreamConnection>>
      connections_;
  std::vector<std::unique_ptr<StreamConnection>> closed_connections_;
  // Owned by their listeners (in listeners_).
  std::vector<DtlsListener*> dtls_listeners_;
  absl::flat_hash_map<core::ConnectionId, DtlsAssociation*> associations_;
  // RFC 6062: relay listeners, peer connections not spliced yet (being
  // connected, or idle until ConnectionBind), and splices by peer id with
  // their client ids. Ended splices wait in closed_splices_ until the next
  // input, like closed_relays_ (a splice reports from its own callback).
  absl::flat_hash_map<core::RelayId, std::unique_ptr<TcpRelayListener>>
      tcp_relays_;
  absl::flat_hash_map<core::ConnectionId, std::unique_ptr<PeerConnection>>
      peer_connections_;
  struct SplicedPair {
    std::unique_ptr<Splice> splice;
    core::ConnectionId client;
    // The client's limiter slot, held until the pair ends.
    IpAddress client_ip;
  };
  absl::flat_hash_map<core::ConnectionId, SplicedPair> splices_;
  absl::flat_hash_map<core::ConnectionId, core::ConnectionId> splice_by_client_;
  std::vector<std::unique_ptr<Splice>> closed_splices_;
  // Heap-allocated and freed by their close callbacks (libuv touches a
  // handle after uv_close() returns); timer_ is nullptr once closed.
  std::vector<uv_signal_t*> signals_;
  // Post(): tasks from other threads, and the wake-up that runs them;
  // posted_async_ is nullptr once closed (both under posted_mutex_).
  std::mutex posted_mutex_;
  std::vector<std::function<void(Worker&)>> posted_;
  uv_async_t* posted_async_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  std::optional<core::MonoTime> armed_for_;
  bool stopping_ = false;
  std::unique_ptr<StatsPublisher> stats_publisher_;
  // Drain: started, its deadline (nullptr once closed), and whether the
  // worker is already on its way out because of it.
  bool draining_ = false;
  bool drain_finished_ = false;
  uv_timer_t* drain_timer_ = nullptr;
  std::function<void(uint32_t, std::function<void(Worker&)>)>
      post_connection_handoff_;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_WORKER_H_
