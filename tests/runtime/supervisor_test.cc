// The supervisor and its workers in one process (runtime/supervisor.h): two
// workers on the same loopback addresses through SO_REUSEPORT, driven by
// real clients. Which worker a client landed on is read from the workers'
// own counters, on each worker's loop (Worker::Post), so every case picks
// clients until it has them on both workers instead of hoping the kernel
// spread them. Built with the TSan preset in CI (label multiworker).
#include "runtime/supervisor.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cli/credential_snapshot.h"
#include "core/deps.h"
#include "core/policy/cidr.h"
#include "core/events.h"
#include "core/stats.h"
#include "core/stun/constants.h"
#include "runtime/event_sink.h"
#include "runtime/shared_quota_ledger.h"
#include "runtime/system_random.h"
#include "runtime/worker.h"
#include "runtime/worker_summary.h"
#include "tests/runtime/tcp_stream.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turn_test_support.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::testing {
namespace {

constexpr char kIp[] = "127.0.0.1";
constexpr int kWorkers = 2;
// Clients tried before a case gives up on finding one per worker: with
// two workers, 64 clients all on one has odds of 2^-63.
constexpr int kMaxClients = 64;
constexpr std::chrono::seconds kWait{10};

// Counts lifecycle events; every worker calls it from its own thread.
class CountingSink final : public runtime::EventSink {
 public:
  void OnEvent(absl::Time /*wall*/, const core::Event& event) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (std::holds_alternative<core::AllocationCreated>(event)) ++created_;
    if (std::holds_alternative<core::AllocationDeleted>(event)) ++deleted_;
  }
  int created() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return created_;
  }
  int deleted() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return deleted_;
  }

 private:
  mutable std::mutex mutex_;
  int created_ = 0;
  int deleted_ = 0;
};

// What a case reads of one worker while it runs.
struct WorkerCounts {
  uint64_t bindings = 0;
  uint64_t tcp_refused = 0;
  size_t relay_sockets = 0;
  uint64_t handed_off = 0;
  uint64_t adopted = 0;
};

struct Limits {
  runtime::SharedQuotaLedger::Limits quotas;
  uint32_t connections_per_ip = 0;
};

// A Supervisor of kWorkers workers listening on udp and tcp 127.0.0.1:0,
// run on a thread of its own; stopped and joined however the case ends.
class RunningSupervisor {
 public:
  explicit RunningSupervisor(Limits limits) : quotas_(limits.quotas) {
    absl::StatusOr<std::unique_ptr<core::CredentialStore>> store =
        cli::BuildCredentialSnapshot("turnpike", {{"alice", "secret"}}, {},
                                     std::chrono::hours(24));
    REQUIRE(store.ok());
    credentials_ = std::make_unique<cli::ReloadableCredentials>(
        std::shared_ptr<const core::CredentialStore>(*std::move(store)));
    runtime::SupervisorConfig config;
    config.workers = kWorkers;
    config.handle_signals = false;
    const IpAddress loopback = *IpAddress::Parse(kIp);
    config.worker.listeners = {
        {TransportAddress{loopback, 0}, false, core::Transport::kUdp},
        {TransportAddress{loopback, 0}, false, core::Transport::kTcp}};
    config.worker.relay.ipv4 = runtime::RelayAddress{loopback, std::nullopt};
    config.worker.relay.min_port = 1024;
    // Loopback peers, for the cases that relay.
    config.worker.server.peer_rules.allow.push_back(
        *core::Cidr::Parse("127.0.0.0/8"));
    config.worker.transport.max_connections_per_ip = limits.connections_per_ip;
    config.worker.events = &events_;
    absl::StatusOr<std::unique_ptr<runtime::Supervisor>> made =
        runtime::Supervisor::Create(std::move(config),
                                    core::Deps{&random_, credentials_.get(),
                                               &authenticator_, &quotas_});
    REQUIRE_MESSAGE(made.ok(), made.status().ToString());
    supervisor_ = *std::move(made);
    REQUIRE(supervisor_->worker_count() == kWorkers);
    thread_ = std::thread([this] { run_status_ = supervisor_->Run(); });
  }
  ~RunningSupervisor() { Stop(); }
  RunningSupervisor(const RunningSupervisor&) = delete;
  RunningSupervisor& operator=(const RunningSupervisor&) = delete;

  // Stops every worker and joins; afterwards the workers' stats may be
  // read directly.
  void Stop() {
    if (!thread_.joinable()) return;
    supervisor_->Stop();
    thread_.join();
    CHECK(run_status_.ok());
  }

  runtime::Supervisor& supervisor() { return *supervisor_; }
  const CountingSink& events() const { return events_; }
  const runtime::SharedQuotaLedger& quotas() const { return quotas_; }
  TransportAddress address(core::Transport transport) const {
    const runtime::Worker& first = supervisor_->worker(0);
    const auto transports = first.listening_transports();
    for (size_t i = 0; i < transports.size(); ++i) {
      if (transports[i] == transport) return first.listening_addresses()[i];
    }
    FAIL("no listener of that transport");
    return {};
  }

  // Each worker's counters, read on its own loop.
  std::vector<WorkerCounts> Counts() {
    struct Shared {
      std::mutex mutex;
      std::condition_variable done;
      std::vector<std::optional<WorkerCounts>> counts;
      size_t answered = 0;
    };
    auto shared = std::make_shared<Shared>();
    shared->counts.resize(supervisor_->worker_count());
    for (size_t i = 0; i < supervisor_->worker_count(); ++i) {
      supervisor_->worker(i).Post([shared, i](runtime::Worker& worker) {
        WorkerCounts counts;
        counts.bindings =
            worker.server_stats().requests[core::ServerStats::MethodSlot(
                static_cast<uint16_t>(stun::Method::kBinding))];
        counts.tcp_refused = worker.stats().tcp.refused_by_limit;
        counts.relay_sockets = worker.relay_socket_count();
        counts.handed_off = worker.stats().connections_handed_off;
        counts.adopted = worker.stats().connections_adopted;
        std::lock_guard<std::mutex> lock(shared->mutex);
        shared->counts[i] = counts;
        ++shared->answered;
        shared->done.notify_all();
      });
    }
    std::unique_lock<std::mutex> lock(shared->mutex);
    REQUIRE(shared->done.wait_for(lock, kWait, [&] {
      return shared->answered == shared->counts.size();
    }));
    std::vector<WorkerCounts> out;
    for (const auto& counts : shared->counts) out.push_back(*counts);
    return out;
  }

  // The worker that answered `client`'s Binding: the one whose count grew.
  std::optional<size_t> WorkerOf(TurnClient& client) {
    const std::vector<WorkerCounts> before = Counts();
    const std::optional<TurnReply> reply = client.Binding();
    if (!reply || !reply->ok()) return std::nullopt;
    const std::vector<WorkerCounts> after = Counts();
    std::optional<size_t> which;
    for (size_t i = 0; i < after.size(); ++i) {
      if (after[i].bindings == before[i].bindings) continue;
      REQUIRE_MESSAGE(!which.has_value(), "one Binding counted twice");
      which = i;
    }
    return which;
  }

  // `per_worker` UDP clients of alice on each worker, in worker order.
  std::vector<TurnClient> ClientsOnEveryWorker(size_t per_worker) {
    std::vector<std::vector<TurnClient>> by_worker(kWorkers);
    for (int tried = 0; tried < kMaxClients; ++tried) {
      std::optional<TurnClient> client =
          TurnClient::Create(kIp, address(core::Transport::kUdp));
      REQUIRE(client.has_value());
      client->SetCredentials("alice", "secret");
      const std::optional<size_t> worker = WorkerOf(*client);
      REQUIRE(worker.has_value());
      if (by_worker[*worker].size() < per_worker) {
        by_worker[*worker].push_back(std::move(*client));
      }
      bool full = true;
      for (const auto& clients : by_worker) {
        full = full && clients.size() == per_worker;
      }
      if (!full) continue;
      std::vector<TurnClient> out;
      for (auto& clients : by_worker) {
        for (auto& c : clients) out.push_back(std::move(c));
      }
      return out;
    }
    FAIL("the kernel put ", kMaxClients, " clients on too few workers");
    return {};
  }

 private:
  runtime::SystemRandom random_;
  core::HmacAuthenticator authenticator_;
  runtime::SharedQuotaLedger quotas_;
  std::unique_ptr<cli::ReloadableCredentials> credentials_;
  CountingSink events_;
  std::unique_ptr<runtime::Supervisor> supervisor_;
  absl::Status run_status_;
  std::thread thread_;
};

TEST_CASE("max-allocations holds across workers exactly") {
  RunningSupervisor server({{/*total=*/3, 0, 0}, 0});
  std::vector<TurnClient> clients = server.ClientsOnEveryWorker(4);
  int granted = 0;
  int at_capacity = 0;
  for (TurnClient& client : clients) {
    const std::optional<TurnReply> reply = client.Allocate();
    REQUIRE(reply.has_value());
    if (reply->ok()) ++granted;
    if (reply->error_code == stun::error_code::kInsufficientCapacity) {
      ++at_capacity;
    }
  }
  // A ledger per worker would grant 3 on each: up to 6 of the 8.
  CHECK(granted == 3);
  CHECK(at_capacity == 5);
  CHECK(server.quotas().total() == 3);
}

TEST_CASE(
    "stopping deletes the allocations of every worker with their events") {
  RunningSupervisor server({});
  std::vector<TurnClient> clients = server.ClientsOnEveryWorker(2);
  for (TurnClient& client : clients) {
    const std::optional<TurnReply> reply = client.Allocate();
    REQUIRE(reply.has_value());
    REQUIRE(reply->ok());
  }
  for (const WorkerCounts& counts : server.Counts()) {
    CHECK(counts.relay_sockets == 2);  // every worker is busy
  }
  CHECK(server.events().created() == 4);

  server.Stop();
  CHECK(server.events().deleted() == 4);
  CHECK(server.quotas().total() == 0);
  std::vector<const runtime::Worker*> workers;
  for (size_t i = 0; i < kWorkers; ++i) {
    workers.push_back(&server.supervisor().worker(i));
    CHECK(server.supervisor().worker(i).relay_socket_count() == 0);
  }
  CHECK(runtime::AllocationsPerWorker(workers) == std::vector<uint64_t>{2, 2});
}

TEST_CASE("a nonce one worker issued is accepted by another") {
  RunningSupervisor server({});
  // The nonce is bound to the client's address and port (core/auth/
  // nonce.h), not to its transport: a UDP and a TCP socket on the same
  // local port are one client to it, and the kernel balances the two
  // listeners independently, so some port puts them on different workers.
  for (int tried = 0; tried < kMaxClients; ++tried) {
    std::optional<TurnClient> tcp =
        TurnClient::CreateTcp(kIp, server.address(core::Transport::kTcp));
    REQUIRE(tcp.has_value());
    std::optional<TurnClient> udp = TurnClient::Create(
        kIp, server.address(core::Transport::kUdp), tcp->local_address().port);
    if (!udp) continue;  // that UDP port is someone else's
    const std::optional<size_t> udp_worker = server.WorkerOf(*udp);
    const std::optional<size_t> tcp_worker = server.WorkerOf(*tcp);
    REQUIRE(udp_worker.has_value());
    REQUIRE(tcp_worker.has_value());
    if (*udp_worker == *tcp_worker) continue;

    // No credentials: the first 401 is returned, with the nonce.
    const std::optional<TurnReply> challenge = udp->Allocate();
    REQUIRE(challenge.has_value());
    REQUIRE(challenge->error_code == stun::error_code::kUnauthenticated);
    REQUIRE(!challenge->nonce.empty());
    tcp->SetCredentials("alice", "secret");
    tcp->AdoptNonce(challenge->realm, challenge->nonce);
    const std::optional<TurnReply> reply = tcp->Allocate();
    REQUIRE(reply.has_value());
    // A worker with a key of its own answers 401 with a nonce of its own.
    CHECK_MESSAGE(reply->ok(), "error " << reply->error_code);
    CHECK(tcp->stale_nonce_retries() == 0);
    return;
  }
  FAIL("no local port put UDP and TCP on different workers");
}

TEST_CASE("max-connections-per-ip holds across workers") {
  RunningSupervisor server({{}, /*connections_per_ip=*/1});
  std::optional<TurnClient> first =
      TurnClient::CreateTcp(kIp, server.address(core::Transport::kTcp));
  REQUIRE(first.has_value());
  const std::optional<size_t> first_worker = server.WorkerOf(*first);
  REQUIRE(first_worker.has_value());
  // Every further connection from this IP is refused, including those the
  // kernel hands to the other worker: a limiter per worker would let one
  // connection in there.
  for (int tried = 0; tried < kMaxClients; ++tried) {
    // A refused connection is reset at once; when the reset beats the
    // connect's own checks, the client never has a connection at all.
    std::optional<TurnClient> more =
        TurnClient::CreateTcp(kIp, server.address(core::Transport::kTcp));
    if (more) CHECK_FALSE(more->Binding().has_value());
    const std::vector<WorkerCounts> counts = server.Counts();
    if (counts[1 - *first_worker].tcp_refused > 0) return;
  }
  FAIL("no connection reached the other worker");
}

// A plain TCP peer socket of the test's on 127.0.0.1, closed at the end.
class PeerSocket {
 public:
  explicit PeerSocket(int fd) : fd_(fd) {}
  PeerSocket(PeerSocket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  PeerSocket& operator=(PeerSocket&&) = delete;
  ~PeerSocket() {
    if (fd_ >= 0) close(fd_);
  }
  static PeerSocket Listen() {
    PeerSocket s(socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(s.fd_, reinterpret_cast<const sockaddr*>(&sin),
                 sizeof(sin)) == 0);
    REQUIRE(listen(s.fd_, 4) == 0);
    return s;
  }
  TransportAddress Name() const {
    sockaddr_in sin{};
    socklen_t length = sizeof(sin);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&sin), &length);
    return TransportAddress{IpAddress::V4({127, 0, 0, 1}), ntohs(sin.sin_port)};
  }
  std::optional<PeerSocket> Accept() const {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(
                        std::chrono::milliseconds(kWait).count())) != 1) {
      return std::nullopt;
    }
    return PeerSocket(accept(fd_, nullptr, nullptr));
  }
  bool Send(const std::string& text) const {
    return send(fd_, text.data(), text.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(text.size());
  }
  // Exactly `size` bytes within kWait, or what came before a close.
  std::string Receive(size_t size) const {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (got.size() < size && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) != 1) continue;
      char buffer[256];
      const ssize_t n =
          recv(fd_, buffer, std::min(sizeof(buffer), size - got.size()), 0);
      if (n <= 0) break;
      got.append(buffer, static_cast<size_t>(n));
    }
    return got;
  }

 private:
  int fd_;
};

std::string Text(const std::optional<std::vector<uint8_t>>& bytes) {
  return bytes ? std::string(bytes->begin(), bytes->end()) : "<nothing>";
}

TEST_CASE(
    "a ConnectionBind that lands on another worker is handed to the "
    "allocation's worker and spliced") {
  RunningSupervisor server({});
  const TransportAddress tcp = server.address(core::Transport::kTcp);
  PeerSocket listener = PeerSocket::Listen();

  std::optional<TurnClient> control = TurnClient::CreateTcp(kIp, tcp);
  REQUIRE(control.has_value());
  control->SetCredentials("alice", "secret");
  const std::optional<size_t> control_worker = server.WorkerOf(*control);
  REQUIRE(control_worker.has_value());
  AllocateOptions tcp_allocation;
  tcp_allocation.requested_transport = 6;  // RFC 6062 §6.1: TCP
  const std::optional<TurnReply> allocated = control->Allocate(tcp_allocation);
  REQUIRE(allocated.has_value());
  REQUIRE_MESSAGE(allocated->ok(), "Allocate: " << allocated->error_code);
  const std::optional<TurnReply> connected = control->Connect(listener.Name());
  REQUIRE(connected.has_value());
  REQUIRE_MESSAGE(connected->ok(), "Connect: " << connected->error_code);
  REQUIRE(connected->connection_id.has_value());
  const uint32_t number = *connected->connection_id;
  // Two workers: the top bit names the one that issued it.
  CHECK((number >> 31) == *control_worker);
  std::optional<PeerSocket> peer = listener.Accept();
  REQUIRE(peer.has_value());
  // Held by TCP until the splice, then delivered first.
  REQUIRE(peer->Send("peer-early|"));

  // Data connections until one lands on the other worker; those that land
  // on the allocation's are closed unused.
  for (int tried = 0; tried < kMaxClients; ++tried) {
    std::optional<TurnClient> data = TurnClient::CreateTcp(kIp, tcp);
    REQUIRE(data.has_value());
    data->SetCredentials("alice", "secret");
    const std::optional<size_t> data_worker = server.WorkerOf(*data);
    REQUIRE(data_worker.has_value());
    if (*data_worker == *control_worker) continue;

    const std::optional<TurnReply> bound = data->ConnectionBind(number);
    REQUIRE(bound.has_value());
    REQUIRE_MESSAGE(bound->ok(), "ConnectionBind: " << bound->error_code);
    CHECK(Text(data->stream()->ReceiveRaw(11, kWait)) == "peer-early|");
    REQUIRE(data->stream()->Send(Bytes("to the peer, unframed")));
    CHECK(peer->Receive(21) == "to the peer, unframed");
    REQUIRE(peer->Send("and back"));
    CHECK(Text(data->stream()->ReceiveRaw(8, kWait)) == "and back");

    const std::vector<WorkerCounts> counts = server.Counts();
    CHECK(counts[*data_worker].handed_off == 1);
    CHECK(counts[*control_worker].adopted == 1);
    CHECK(counts[*control_worker].handed_off == 0);
    // The pair dies together (§5.4); the control connection lives on.
    peer.reset();
    CHECK(data->stream()->WaitClosed(kWait));
    const std::optional<TurnReply> refreshed = control->Refresh(std::nullopt);
    REQUIRE(refreshed.has_value());
    CHECK(refreshed->ok());
    return;
  }
  FAIL("no data connection reached the other worker");
}

TEST_CASE("a reservation token is claimed from a socket on the other worker") {
  RunningSupervisor server({});
  // RTP on one worker, RTCP on the other (as coturn's uclient does it: a
  // second client socket carries the token).
  std::vector<TurnClient> clients = server.ClientsOnEveryWorker(1);
  TurnClient& rtp = clients[0];
  TurnClient& rtcp = clients[1];
  AllocateOptions reserve;
  reserve.even_port_reserve_next = true;
  const std::optional<TurnReply> even = rtp.Allocate(reserve);
  REQUIRE(even.has_value());
  REQUIRE_MESSAGE(even->ok(), "error " << even->error_code);
  REQUIRE(even->reservation_token.has_value());
  const uint16_t port = even->relayed.at(0).port;
  CHECK(port % 2 == 0);

  AllocateOptions claim;
  claim.reservation_token = even->reservation_token;
  const std::optional<TurnReply> next = rtcp.Allocate(claim);
  REQUIRE(next.has_value());
  // A worker that knew only its own tokens answered 508 here.
  REQUIRE_MESSAGE(next->ok(), "error " << next->error_code);
  const TransportAddress relayed = next->relayed.at(0);
  CHECK(relayed.port == port + 1);
  // Each worker reads its own relay socket: the reserving one gave port+1
  // away, the claiming one took it.
  for (const WorkerCounts& counts : server.Counts()) {
    CHECK(counts.relay_sockets == 1);
  }
  // Used once, from either worker.
  for (TurnClient& client : clients) {
    const std::optional<TurnReply> again = client.Allocate(claim);
    REQUIRE(again.has_value());
    CHECK(again->error_code == stun::error_code::kAllocationMismatch);
  }
  std::optional<TurnClient> third =
      TurnClient::Create(kIp, server.address(core::Transport::kUdp));
  REQUIRE(third.has_value());
  third->SetCredentials("alice", "secret");
  const std::optional<TurnReply> spent = third->Allocate(claim);
  REQUIRE(spent.has_value());
  CHECK(spent->error_code == stun::error_code::kInsufficientCapacity);

  // The adopted socket relays both ways on the claiming worker.
  std::optional<UdpSocket> peer = UdpSocket::Bind(kIp);
  REQUIRE(peer.has_value());
  const std::optional<TurnReply> permitted =
      rtcp.CreatePermission({AddressOf(*peer)});
  REQUIRE(permitted.has_value());
  REQUIRE(permitted->ok());
  const Payload out(100, 0x5a);
  REQUIRE(rtcp.SendIndication(AddressOf(*peer), out));
  const std::optional<Datagram> at_peer = peer->ReceiveFrom(kDatagramTimeout);
  REQUIRE(at_peer.has_value());
  CHECK(at_peer->bytes == out);
  CHECK(at_peer->source_port == relayed.port);
  const Payload back(60, 0xa5);
  REQUIRE(peer->SendTo(kIp, relayed.port, back));
  const std::optional<RelayedData> at_client = rtcp.ReceiveRelayed();
  REQUIRE(at_client.has_value());
  CHECK(at_client->data == back);

  server.Stop();
  CHECK(server.events().deleted() == 2);
  CHECK(server.quotas().total() == 0);
}

}  // namespace
}  // namespace turnpike::testing
