// DESIGN.md: "No heap allocation per relayed packet" — for the whole path,
// sockets included, not only the core (tests/core/relay_path_allocation_test.cc
// covers the core alone). A real Worker runs on its own thread with real
// loopback sockets; this thread is the client and the peer. After warm-up,
// a burst of packets is relayed both ways, as ChannelData and as Send/Data
// indications, while operator new counts calls made on the worker's
// thread: the count must stay at zero. libuv itself allocates with malloc,
// which the sanitizers keep to themselves; its send and receive paths
// (uv_udp_try_send, recvmmsg into the worker's slab) do not allocate.
// Its own binary because the operator new replacement is process-wide.
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/auth/static_credential_store.h"
#include "core/policy/local_quota_ledger.h"
#include "core/stun/channel_data.h"
#include "core/stun/integrity.h"
#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"
#include "runtime/system_random.h"
#include "runtime/worker.h"
#include "tests/runtime/udp_socket.h"

namespace {

std::atomic<bool> g_counting{false};
// The worker threads whose allocations count (one or two per test).
std::atomic<std::thread::id> g_worker_thread{};
std::atomic<std::thread::id> g_second_worker_thread{};
std::atomic<uint64_t> g_worker_news{0};

bool OnWorkerThread() {
  const std::thread::id self = std::this_thread::get_id();
  return self == g_worker_thread.load(std::memory_order_relaxed) ||
         self == g_second_worker_thread.load(std::memory_order_relaxed);
}

}  // namespace

void* operator new(size_t size) {
  if (g_counting.load(std::memory_order_relaxed) && OnWorkerThread()) {
    g_worker_news.fetch_add(1, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace turnpike::testing {
namespace {

using std::chrono::milliseconds;
using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::MessageView;
using stun::Method;

constexpr milliseconds kTimeout{3000};
constexpr int kWarmup = 20;
constexpr int kBurst = 500;

struct Client {
  UdpSocket socket;
  uint16_t server_port;
  std::string realm;
  std::string nonce;
  stun::HmacKey key;
  uint32_t next = 1;

  stun::TransactionId NextId() {
    stun::TransactionId id{};
    id[0] = 0x5A;
    id[8] = static_cast<uint8_t>(next >> 8);
    id[9] = static_cast<uint8_t>(next++);
    return id;
  }
  void SendRaw(const std::vector<uint8_t>& bytes) {
    REQUIRE(socket.SendTo("127.0.0.1", server_port, bytes));
  }
  // A request signed with the long-term key once one is known; the
  // response's class and the parsed message's bytes.
  std::vector<uint8_t> Transact(
      Method method, const std::function<void(MessageBuilder&)>& add) {
    std::array<uint8_t, 1024> buffer;
    MessageBuilder b(absl::MakeSpan(buffer), MessageClass::kRequest, method,
                     NextId());
    add(b);
    if (!nonce.empty()) {
      b.AddString(AttributeType::kUsername, "alice");
      b.AddString(AttributeType::kRealm, realm);
      b.AddString(AttributeType::kNonce, nonce);
      b.AddMessageIntegrity(key);
    }
    auto bytes = b.Finish();
    REQUIRE(bytes.ok());
    SendRaw({bytes->begin(), bytes->end()});
    std::optional<std::vector<uint8_t>> reply = socket.Receive(kTimeout);
    REQUIRE(reply.has_value());
    return *reply;
  }
};

MessageView Parse(const std::vector<uint8_t>& bytes) {
  auto parsed = MessageView::Parse(bytes);
  REQUIRE(parsed.ok());
  return *parsed;
}

TEST_CASE("the worker relays packets without a heap allocation") {
  absl::StatusOr<core::auth::StaticCredentialStore> users =
      core::auth::StaticCredentialStore::Create("turnpike",
                                                {{"alice", "secret"}});
  REQUIRE(users.ok());
  runtime::SystemRandom random;
  core::HmacAuthenticator authenticator;
  core::LocalQuotaLedger quotas;

  runtime::WorkerConfig config;
  config.listeners = {{*TransportAddress::Parse("127.0.0.1:0"), false}};
  config.relay.ipv4 =
      runtime::RelayAddress{*IpAddress::Parse("127.0.0.1"), std::nullopt};
  config.server.peer_rules.allow = {*core::Cidr::Parse("127.0.0.0/8")};
  // The peer below binds an ephemeral port on the server's own (loopback)
  // address: only relay-range ports of its own addresses are reachable.
  config.relay.min_port = 1024;
  auto worker = runtime::Worker::Create(
      config, core::Deps{&random, &*users, &authenticator, &quotas});
  REQUIRE_MESSAGE(worker.ok(), worker.status().ToString());
  const uint16_t port = (*worker)->listening_addresses().front().port;

  std::thread loop([&] {
    g_worker_thread.store(std::this_thread::get_id());
    CHECK((*worker)->Run().ok());
  });
  // However the test ends, the worker thread is stopped and joined.
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      kill(getpid(), SIGTERM);  // the worker's uv_signal handler stops it
      t.join();
    }
  } joiner{loop};

  std::optional<UdpSocket> client_socket = UdpSocket::Bind("127.0.0.1");
  std::optional<UdpSocket> peer = UdpSocket::Bind("127.0.0.1");
  REQUIRE(client_socket.has_value());
  REQUIRE(peer.has_value());
  Client client{std::move(*client_socket), port, "", "", {}};

  // RFC 8656 §7.2 with the §9.2 long-term credential dance.
  auto udp = [](MessageBuilder& b) { b.AddRequestedTransport(17); };
  const std::vector<uint8_t> challenge_bytes =
      client.Transact(Method::kAllocate, udp);
  MessageView challenge = Parse(challenge_bytes);
  REQUIRE(challenge.ErrorCode().has_value());
  REQUIRE(challenge.ErrorCode()->code == 401);
  client.realm = std::string(*challenge.Realm());
  client.nonce = std::string(*challenge.Nonce());
  client.key = stun::LongTermKey(stun::PasswordAlgorithmId::kMd5, "alice",
                                 client.realm, "secret");
  const std::vector<uint8_t> allocate_bytes =
      client.Transact(Method::kAllocate, udp);
  MessageView allocate = Parse(allocate_bytes);
  REQUIRE(allocate.header().message_class == MessageClass::kSuccessResponse);
  const TransportAddress relayed = allocate.XorRelayedAddresses().front();
  const TransportAddress peer_address{*IpAddress::Parse("127.0.0.1"),
                                      peer->local_port()};
  auto bind = [&](MessageBuilder& b) {
    b.AddChannelNumber(0x4000);
    b.AddXorAddress(AttributeType::kXorPeerAddress, peer_address);
  };
  const std::vector<uint8_t> bound_bytes =
      client.Transact(Method::kChannelBind, bind);
  MessageView bound = Parse(bound_bytes);
  REQUIRE(bound.header().message_class == MessageClass::kSuccessResponse);

  const std::vector<uint8_t> payload(160, 0x5C);
  std::vector<uint8_t> channel_data(4);
  const auto header = stun::EncodeChannelDataHeader(0x4000, 160);
  std::copy(header.begin(), header.end(), channel_data.begin());
  channel_data.insert(channel_data.end(), payload.begin(), payload.end());
  std::array<uint8_t, 512> indication_buffer;
  MessageBuilder send(absl::MakeSpan(indication_buffer),
                      MessageClass::kIndication, Method::kSend,
                      client.NextId());
  send.AddXorAddress(AttributeType::kXorPeerAddress, peer_address);
  send.AddBytes(AttributeType::kData, payload);
  auto send_bytes = send.Finish();
  REQUIRE(send_bytes.ok());
  const std::vector<uint8_t> send_indication(send_bytes->begin(),
                                             send_bytes->end());

  // One round trip each way: client → relay → peer, peer → relay → client.
  auto round_trip = [&](const std::vector<uint8_t>& message) {
    client.SendRaw(message);
    std::optional<std::vector<uint8_t>> at_peer = peer->Receive(kTimeout);
    REQUIRE(at_peer.has_value());
    REQUIRE(*at_peer == payload);
    REQUIRE(peer->SendTo("127.0.0.1", relayed.port, payload));
    std::optional<std::vector<uint8_t>> back = client.socket.Receive(kTimeout);
    REQUIRE(back.has_value());
    // The peer is bound to a channel, so it comes back as ChannelData.
    REQUIRE(back->size() == 4 + payload.size());
    REQUIRE((*back)[0] == 0x40);
  };
  for (int i = 0; i < kWarmup; ++i) {
    round_trip(i % 2 == 0 ? channel_data : send_indication);
  }
  g_counting.store(true);
  for (int i = 0; i < kBurst; ++i) {
    round_trip(i % 2 == 0 ? channel_data : send_indication);
  }
  g_counting.store(false);
  CHECK(g_worker_news.load() == 0);
  // The counter counts: the same thread allocates when a second client
  // allocates (the allocation's state, its relay socket).
  std::optional<UdpSocket> second_socket = UdpSocket::Bind("127.0.0.1");
  REQUIRE(second_socket.has_value());
  Client second{std::move(*second_socket), port, "", "", {}};
  const std::vector<uint8_t> second_challenge_bytes =
      second.Transact(Method::kAllocate, udp);
  MessageView second_challenge = Parse(second_challenge_bytes);
  REQUIRE(second_challenge.Nonce().has_value());
  second.realm = client.realm;
  second.nonce = std::string(*second_challenge.Nonce());
  second.key = client.key;
  g_counting.store(true);
  const std::vector<uint8_t> second_allocate_bytes =
      second.Transact(Method::kAllocate, udp);
  MessageView second_allocate = Parse(second_allocate_bytes);
  g_counting.store(false);
  CHECK(second_allocate.header().message_class ==
        MessageClass::kSuccessResponse);
  CHECK(g_worker_news.load() > 0);
}

// One worker on its own thread with its own credentials, quota ledger and
// randomness (each is single-threaded); stopped through Post and joined
// when it goes.
class ThreadedWorker {
 public:
  explicit ThreadedWorker(std::atomic<std::thread::id>* thread_slot) {
    absl::StatusOr<core::auth::StaticCredentialStore> made =
        core::auth::StaticCredentialStore::Create("turnpike",
                                                  {{"alice", "secret"}});
    REQUIRE(made.ok());
    users_.emplace(*std::move(made));
    runtime::WorkerConfig config;
    config.handle_signals = false;
    config.listeners = {{*TransportAddress::Parse("127.0.0.1:0"), false}};
    config.relay.ipv4 =
        runtime::RelayAddress{*IpAddress::Parse("127.0.0.1"), std::nullopt};
    config.server.peer_rules.allow = {*core::Cidr::Parse("127.0.0.0/8")};
    config.relay.min_port = 1024;
    auto worker = runtime::Worker::Create(
        config, core::Deps{&random_, &*users_, &authenticator_, &quotas_});
    REQUIRE_MESSAGE(worker.ok(), worker.status().ToString());
    worker_ = *std::move(worker);
    port_ = worker_->listening_addresses().front().port;
    thread_ = std::thread([this, thread_slot] {
      thread_slot->store(std::this_thread::get_id());
      CHECK(worker_->Run().ok());
    });
  }
  ~ThreadedWorker() {
    worker_->Post([](runtime::Worker& w) { w.Stop(); });
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  runtime::SystemRandom random_;
  std::optional<core::auth::StaticCredentialStore> users_;
  core::HmacAuthenticator authenticator_;
  core::LocalQuotaLedger quotas_;
  std::unique_ptr<runtime::Worker> worker_;
  uint16_t port_ = 0;
  std::thread thread_;
};

// A client with an allocation on one worker and a channel to its own peer.
struct ChannelPath {
  Client client;
  UdpSocket peer;
  TransportAddress relayed;

  static ChannelPath Open(uint16_t server_port) {
    std::optional<UdpSocket> client_socket = UdpSocket::Bind("127.0.0.1");
    std::optional<UdpSocket> peer = UdpSocket::Bind("127.0.0.1");
    REQUIRE(client_socket.has_value());
    REQUIRE(peer.has_value());
    Client client{std::move(*client_socket), server_port, "", "", {}};
    auto udp = [](MessageBuilder& b) { b.AddRequestedTransport(17); };
    const std::vector<uint8_t> challenge_bytes =
        client.Transact(Method::kAllocate, udp);
    MessageView challenge = Parse(challenge_bytes);
    REQUIRE(challenge.Nonce().has_value());
    client.realm = std::string(*challenge.Realm());
    client.nonce = std::string(*challenge.Nonce());
    client.key = stun::LongTermKey(stun::PasswordAlgorithmId::kMd5, "alice",
                                   client.realm, "secret");
    const std::vector<uint8_t> allocate_bytes =
        client.Transact(Method::kAllocate, udp);
    MessageView allocate = Parse(allocate_bytes);
    REQUIRE(allocate.header().message_class == MessageClass::kSuccessResponse);
    const TransportAddress relayed = allocate.XorRelayedAddresses().front();
    const TransportAddress peer_address{*IpAddress::Parse("127.0.0.1"),
                                        peer->local_port()};
    const std::vector<uint8_t> bound_bytes =
        client.Transact(Method::kChannelBind, [&](MessageBuilder& b) {
          b.AddChannelNumber(0x4000);
          b.AddXorAddress(AttributeType::kXorPeerAddress, peer_address);
        });
    REQUIRE(Parse(bound_bytes).header().message_class ==
            MessageClass::kSuccessResponse);
    return ChannelPath{std::move(client), std::move(*peer), relayed};
  }
};

// DESIGN.md "No heap allocation per relayed packet", with several workers
// running at once: each relays bursts both ways on its own thread, so the
// batched sends (runtime/transport/send_batch.h) and the verdict cache run
// as they do in production. The count must not grow with the packets: it
// is zero after warm-up.
TEST_CASE(
    "two workers relay ten thousand packets each way without a heap "
    "allocation") {
  g_worker_news.store(0);
  ThreadedWorker first(&g_worker_thread);
  ThreadedWorker second(&g_second_worker_thread);
  std::vector<ChannelPath> paths;
  paths.push_back(ChannelPath::Open(first.port()));
  paths.push_back(ChannelPath::Open(second.port()));

  constexpr size_t kPayload = 100;
  const std::vector<uint8_t> payload(kPayload, 0x5C);
  std::vector<uint8_t> channel_data(4);
  const auto header =
      stun::EncodeChannelDataHeader(0x4000, static_cast<uint16_t>(kPayload));
  std::copy(header.begin(), header.end(), channel_data.begin());
  channel_data.insert(channel_data.end(), payload.begin(), payload.end());

  // Bursts small enough for the default socket buffers, both workers busy
  // at once: every path sends its burst before any is read.
  constexpr int kBurstSize = 20;
  auto relay_bursts = [&](int bursts) {
    for (int b = 0; b < bursts; ++b) {
      for (ChannelPath& path : paths) {
        for (int i = 0; i < kBurstSize; ++i) path.client.SendRaw(channel_data);
      }
      for (ChannelPath& path : paths) {
        for (int i = 0; i < kBurstSize; ++i) {
          std::optional<std::vector<uint8_t>> at_peer =
              path.peer.Receive(kTimeout);
          REQUIRE(at_peer.has_value());
          REQUIRE(*at_peer == payload);
        }
        for (int i = 0; i < kBurstSize; ++i) {
          REQUIRE(path.peer.SendTo("127.0.0.1", path.relayed.port, payload));
        }
      }
      for (ChannelPath& path : paths) {
        for (int i = 0; i < kBurstSize; ++i) {
          std::optional<std::vector<uint8_t>> back =
              path.client.socket.Receive(kTimeout);
          REQUIRE(back.has_value());
          REQUIRE(*back == channel_data);
        }
      }
    }
  };
  relay_bursts(5);  // warm-up: first packets may size tables and buffers
  g_counting.store(true);
  relay_bursts(10'000 / kBurstSize);  // 10,000 packets each way per worker
  g_counting.store(false);
  CHECK(g_worker_news.load() == 0);
}

}  // namespace
}  // namespace turnpike::testing
