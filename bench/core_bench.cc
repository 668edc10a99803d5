// The core alone, no I/O (issue: "a core benchmark"): nanoseconds per
// relayed packet in each direction, per Send indication, authenticated
// Allocates per second, and user-space memory per allocation with one
// permission and one channel. The relay paths must not allocate; the
// benchmarks fail if they do (in builds that count allocations).
#include <malloc.h>

#include <array>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "bench/alloc_counter.h"
#include "bench/bench_checks.h"
#include "benchmark/benchmark.h"
#include "core/policy/cidr.h"
#include "core/policy/local_quota_ledger.h"
#include "core/server.h"
#include "core/stun/integrity.h"
#include "core/stun/message_builder.h"

namespace turnpike::bench {
namespace {

using core::Command;
using core::FiveTuple;
using core::Forward;
using core::RelayId;
using core::Server;
using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::Method;
using stun::PasswordAlgorithmId;

const core::Now kNow{core::MonoTime(std::chrono::seconds(1000)),
                     absl::FromUnixSeconds(1'800'000'000)};

class CounterRandom final : public core::Random {
 public:
  void Fill(absl::Span<uint8_t> out) override {
    for (uint8_t& b : out) b = next_++;
  }

 private:
  uint8_t next_ = 0;
};

class OneUser final : public core::CredentialStore {
 public:
  core::CredentialCandidates Find(std::string_view username, std::string_view,
                                  absl::Time) const override {
    if (username != "alice") return {};
    return {{"alice", "secret"}};
  }
  core::CredentialCandidates FindByUserhash(absl::Span<const uint8_t>,
                                            std::string_view,
                                            absl::Time) const override {
    return {};
  }
};

TransportAddress Addr(std::string_view text) {
  return *TransportAddress::Parse(text);
}

FiveTuple Client(uint32_t n) {
  TransportAddress client = Addr("198.18.0.1:1");
  client.ip = IpAddress::V4(0xC6120000u + (n >> 16));  // 198.18.x.x
  client.port = static_cast<uint16_t>(1024 + (n & 0x7FFF));
  return FiveTuple{core::Transport::kUdp, client, Addr("203.0.113.1:3478"),
                   core::ListenerId{0}};
}

std::vector<uint8_t> Build(MessageClass c, Method m, uint32_t id,
                           const std::function<void(MessageBuilder&)>& add) {
  std::array<uint8_t, 2048> buffer;
  stun::TransactionId tid{};
  for (int i = 0; i < 4; ++i) tid[i] = static_cast<uint8_t>(id >> (8 * i));
  MessageBuilder b(absl::MakeSpan(buffer), c, m, tid);
  add(b);
  auto out = b.Finish();
  return {out->begin(), out->end()};
}

// A server with `clients` allocations, each with a permission for kPeer's
// IP and channel 0x4000 bound to kPeer.
class Relaying {
 public:
  static inline const TransportAddress kPeer = Addr("192.0.2.10:5000");
  static inline const TransportAddress kUnboundPeer = Addr("192.0.2.10:6000");

  explicit Relaying(PasswordAlgorithmId algorithm = PasswordAlgorithmId::kMd5)
      : algorithm_(algorithm) {
    core::ServerConfig config;
    config.listeners = {
        {core::ListenerId{0}, core::Transport::kUdp, Addr("203.0.113.1:3478")}};
    // The peer is in TEST-NET-1, which the filter denies by default; open
    // it as an operator would, so the measured path is the allowed one.
    config.peer_rules.allow = {*core::Cidr::Parse("192.0.2.0/24")};
    // Thousands of clients share a few addresses and one instant here: the
    // per-source limit on 401s would withhold their nonces.
    config.unauthenticated_rate = 0;
    server_ = *Server::Create(config,
                              core::Deps{&random_, &users_, &hmac_, &quotas_});
  }

  Server& server() { return *server_; }

  // The nonce the server hands `client` in its 401.
  std::string Nonce(const FiveTuple& client) {
    server_->HandleClientMessage(
        kNow, client,
        Build(MessageClass::kRequest, Method::kAllocate, 1,
              [](MessageBuilder& b) { b.AddRequestedTransport(17); }));
    std::string nonce;
    while (std::optional<Command> c = server_->PollCommand()) {
      if (auto* t = std::get_if<core::Transmit>(&*c)) {
        auto m = stun::MessageView::Parse(t->bytes);
        if (m.ok() && m->Nonce()) nonce = std::string(*m->Nonce());
      }
    }
    return nonce;
  }

  // An authenticated request from `client` with `nonce`.
  std::vector<uint8_t> Authenticated(
      Method method, uint32_t id, const std::string& nonce,
      const std::function<void(MessageBuilder&)>& add) {
    const stun::HmacKey key =
        stun::LongTermKey(algorithm_, "alice", "turnpike", "secret");
    return Build(MessageClass::kRequest, method, id, [&](MessageBuilder& b) {
      add(b);
      b.AddString(AttributeType::kUsername, "alice");
      b.AddString(AttributeType::kRealm, "turnpike");
      b.AddString(AttributeType::kNonce, nonce);
      if (algorithm_ == PasswordAlgorithmId::kSha256) {
        const std::array<stun::PasswordAlgorithmValue, 2> offered = {
            {{0x0002, {}}, {0x0001, {}}}};
        b.AddPasswordAlgorithms(offered);
        b.AddPasswordAlgorithm({0x0002, {}});
        b.AddMessageIntegritySha256(key);
      } else {
        b.AddMessageIntegrity(key);
      }
      b.AddFingerprint();
    });
  }

  // Runs `message` and answers any OpenRelay; returns whether a success
  // response came back.
  bool Call(const FiveTuple& client, const std::vector<uint8_t>& message) {
    server_->HandleClientMessage(kNow, client, message);
    bool success = false;
    while (std::optional<Command> c = server_->PollCommand()) {
      if (auto* open = std::get_if<core::OpenRelay>(&*c)) {
        last_relay_ = open->id;
        TransportAddress bound = Addr("203.0.113.1:1");
        bound.port = static_cast<uint16_t>(49152 + open->id.value % 16000);
        server_->HandleRelayOpened(kNow, open->id, bound);
      } else if (auto* t = std::get_if<core::Transmit>(&*c)) {
        auto m = stun::MessageView::Parse(t->bytes);
        success =
            m.ok() && m->message_class() == MessageClass::kSuccessResponse;
      }
    }
    return success;
  }

  // Allocate, CreatePermission for kPeer's IP, ChannelBind 0x4000 → kPeer.
  bool SetUp(const FiveTuple& client) {
    const std::string nonce = Nonce(client);
    return Call(client, Authenticated(Method::kAllocate, 2, nonce,
                                      [](MessageBuilder& b) {
                                        b.AddRequestedTransport(17);
                                      })) &&
           Call(client,
                Authenticated(
                    Method::kChannelBind, 3, nonce, [](MessageBuilder& b) {
                      b.AddChannelNumber(0x4000);
                      b.AddXorAddress(AttributeType::kXorPeerAddress, kPeer);
                    }));
  }

  RelayId last_relay() const { return last_relay_; }

 private:
  PasswordAlgorithmId algorithm_;
  CounterRandom random_;
  OneUser users_;
  core::HmacAuthenticator hmac_;
  core::LocalQuotaLedger quotas_;
  std::unique_ptr<Server> server_;
  RelayId last_relay_;
};

void RelayLoop(benchmark::State& state,
               const std::function<std::optional<Forward>()>& relay_one) {
  const uint64_t before = AllocationCount();
  for (auto _ : state) {
    std::optional<Forward> forward = relay_one();
    benchmark::DoNotOptimize(forward);
    if (!forward) {
      Fail(state, "a packet that should be relayed was dropped");
      return;
    }
  }
  ReportAllocations(state, AllocationCount() - before,
                    AllocationPolicy::kMustNotAllocate);
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// RFC 8656 §12.5: client → peer over a channel.
void BM_ChannelDataToPeer(benchmark::State& state) {
  Relaying r;
  const FiveTuple client = Client(1);
  if (!r.SetUp(client)) return Fail(state, "set-up failed");
  std::vector<uint8_t> frame = {0x40, 0x00,
                                static_cast<uint8_t>(state.range(0) >> 8),
                                static_cast<uint8_t>(state.range(0))};
  frame.resize(4 + state.range(0), 0xAB);
  RelayLoop(state, [&] {
    return r.server().HandleClientMessage(kNow, client, frame);
  });
}
BENCHMARK(BM_ChannelDataToPeer)->Arg(100)->Arg(1200);

// RFC 8656 §12.6: peer → client over a channel.
void BM_ChannelDataToClient(benchmark::State& state) {
  Relaying r;
  if (!r.SetUp(Client(1))) return Fail(state, "set-up failed");
  const std::vector<uint8_t> payload(state.range(0), 0xAB);
  const RelayId relay = r.last_relay();
  RelayLoop(state, [&] {
    return r.server().HandlePeerDatagram(kNow, relay, Relaying::kPeer, payload);
  });
}
BENCHMARK(BM_ChannelDataToClient)->Arg(100)->Arg(1200);

// RFC 8656 §11.4: peer → client as a Data indication (no channel for the
// peer's port, a permission for its IP).
void BM_DataIndicationToClient(benchmark::State& state) {
  Relaying r;
  if (!r.SetUp(Client(1))) return Fail(state, "set-up failed");
  const std::vector<uint8_t> payload(state.range(0), 0xAB);
  const RelayId relay = r.last_relay();
  RelayLoop(state, [&] {
    return r.server().HandlePeerDatagram(kNow, relay, Relaying::kUnboundPeer,
                                         payload);
  });
}
BENCHMARK(BM_DataIndicationToClient)->Arg(100)->Arg(1200);

// RFC 8656 §11.2: client → peer in a Send indication.
void BM_SendIndication(benchmark::State& state) {
  Relaying r;
  const FiveTuple client = Client(1);
  if (!r.SetUp(client)) return Fail(state, "set-up failed");
  const std::vector<uint8_t> payload(state.range(0), 0xAB);
  const std::vector<uint8_t> send = Build(
      MessageClass::kIndication, Method::kSend, 9, [&](MessageBuilder& b) {
        b.AddXorAddress(AttributeType::kXorPeerAddress, Relaying::kUnboundPeer);
        b.AddBytes(AttributeType::kData, payload);
      });
  RelayLoop(state,
            [&] { return r.server().HandleClientMessage(kNow, client, send); });
}
BENCHMARK(BM_SendIndication)->Arg(100)->Arg(1200);

// An authenticated Allocate answered after its relay opens, then deleted
// by Refresh LIFETIME 0: one full allocation life per iteration.
void BM_AuthenticatedAllocate(benchmark::State& state) {
  const auto algorithm = static_cast<PasswordAlgorithmId>(state.range(0));
  Relaying r(algorithm);
  const FiveTuple client = Client(1);
  const std::string nonce = r.Nonce(client);
  const auto allocate =
      r.Authenticated(Method::kAllocate, 2, nonce,
                      [](MessageBuilder& b) { b.AddRequestedTransport(17); });
  const auto remove = r.Authenticated(
      Method::kRefresh, 3, nonce, [](MessageBuilder& b) { b.AddLifetime(0); });
  for (auto _ : state) {
    if (!r.Call(client, allocate) || !r.Call(client, remove)) {
      return Fail(state, "Allocate or Refresh was refused");
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(algorithm == PasswordAlgorithmId::kMd5
                     ? "MD5 key, MESSAGE-INTEGRITY"
                     : "SHA-256 key, MESSAGE-INTEGRITY-SHA256");
}
BENCHMARK(BM_AuthenticatedAllocate)
    ->Arg(static_cast<int>(PasswordAlgorithmId::kMd5))
    ->Arg(static_cast<int>(PasswordAlgorithmId::kSha256));

// User-space bytes per allocation with one permission and one channel,
// from glibc's count of bytes in use; averaged over 1000 allocations.
void BM_MemoryPerAllocation(benchmark::State& state) {
  constexpr uint32_t kAllocations = 1000;
  for (auto _ : state) {
    Relaying r;
    const size_t before = mallinfo2().uordblks;
    for (uint32_t i = 0; i < kAllocations; ++i) {
      if (!r.SetUp(Client(i))) return Fail(state, "set-up failed");
    }
    const size_t after = mallinfo2().uordblks;
    if (r.server().allocation_count() != kAllocations) {
      return Fail(state, "not every allocation was made");
    }
    state.counters["bytes_per_allocation"] =
        static_cast<double>(after - before) / kAllocations;
  }
}
BENCHMARK(BM_MemoryPerAllocation)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace turnpike::bench

int main(int argc, char** argv) {
  return turnpike::bench::RunBenchmarks(argc, argv);
}
