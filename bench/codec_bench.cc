// Microbenchmarks of the STUN/TURN codec (core/stun): parsing, integrity
// checks, encoding, ChannelData and stream framing. docs/benchmarks.md has
// the commands and the results.
//
// Every benchmark first checks, once, that the code under test produces the
// right answer on its input (the method parsed, the integrity verdict, the
// frames cut), and fails instead of timing a wrong path. The parse, encode
// and ChannelData benchmarks also count heap allocations in the timed loop
// and fail if there is any: that is the codec's no-allocation promise
// (DESIGN.md), checked by the codec_bench_smoke CTest test. A failure makes
// the process exit non-zero. Speed itself is reported, never asserted.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "bench/alloc_counter.h"
#include "bench/bench_checks.h"
#include "bench/stun_fixtures.h"
#include "benchmark/benchmark.h"
#include "core/stun/channel_data.h"
#include "core/stun/integrity.h"
#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"
#include "core/stun/stream_framer.h"

namespace turnpike::bench {
namespace {

using stun::AttributeType;
using stun::IntegrityResult;
using stun::MessageClass;
using stun::MessageView;
using stun::Method;
using stun::PasswordAlgorithmId;

absl::Span<const uint8_t> Span(const std::vector<uint8_t>& bytes) {
  return absl::MakeConstSpan(bytes);
}

// --- The allocation counter itself. ---

// Proves the counter sees both routes to the heap (operator new, malloc) and
// that the benchmark loop adds nothing of its own: exactly two per iteration.
// Without this, a counter that never counts would make every "0" above
// meaningless.
void BM_AllocationCounterSelfTest(benchmark::State& state) {
  const uint64_t before = AllocationCount();
  for (auto _ : state) {
    auto* object = new std::array<uint8_t, 64>;
    benchmark::DoNotOptimize(object);
    delete object;
    void* block = std::malloc(64);
    benchmark::DoNotOptimize(block);
    std::free(block);
  }
  const uint64_t allocations = AllocationCount() - before;
  ReportAllocations(state, allocations, AllocationPolicy::kReportOnly);
  if (AllocationCountingEnabled() &&
      allocations != 2 * static_cast<uint64_t>(state.iterations())) {
    Fail(state, "allocation counter saw " + std::to_string(allocations) +
                    " allocations, expected 2 per iteration");
  }
}
BENCHMARK(BM_AllocationCounterSelfTest);

// --- Binding requests. ---

enum class BindingKind { kIceCheck, kWithFingerprint, kBare };

std::vector<uint8_t> BindingFixture(BindingKind kind) {
  switch (kind) {
    case BindingKind::kIceCheck:
      return IceCheckBindingRequest();
    case BindingKind::kWithFingerprint:
      return PlainBindingRequest(true);
    case BindingKind::kBare:
      return PlainBindingRequest(false);
  }
  return {};
}

// Checks that `bytes` parse as the Binding request BindingFixture(kind)
// built; returns "" or what is wrong.
std::string CheckBinding(BindingKind kind, absl::Span<const uint8_t> bytes) {
  auto parsed = MessageView::Parse(bytes);
  if (!parsed.ok()) {
    return "parse failed: " +
           std::string(stun::ParseErrorName(parsed.error().error));
  }
  const MessageView& view = *parsed;
  if (view.method() != static_cast<uint16_t>(Method::kBinding) ||
      view.message_class() != MessageClass::kRequest) {
    return "not a Binding request";
  }
  switch (kind) {
    case BindingKind::kIceCheck: {
      const stun::HmacKey key = stun::ShortTermKey(kIcePassword);
      if (view.Username() != kIceUsername || !view.Priority() ||
          !view.IceControlling() || !view.UseCandidate() ||
          !view.Fingerprint()) {
        return "ICE attributes missing";
      }
      if (stun::CheckMessageIntegrity(view, key) != IntegrityResult::kOk) {
        return "short-term MESSAGE-INTEGRITY does not verify";
      }
      return "";
    }
    case BindingKind::kWithFingerprint:
      return view.Fingerprint() && bytes.size() == 28 ? ""
                                                      : "FINGERPRINT missing";
    case BindingKind::kBare:
      return bytes.size() == stun::kHeaderSize && !view.Fingerprint()
                 ? ""
                 : "not a bare header";
  }
  return "unknown kind";
}

// MessageView::Parse alone: header checks, the attribute walk, every known
// attribute's format and, when present, the FINGERPRINT CRC-32.
void BM_ParseBindingRequest(benchmark::State& state, BindingKind kind) {
  const std::vector<uint8_t> message = BindingFixture(kind);
  if (const std::string error = CheckBinding(kind, Span(message));
      !error.empty()) {
    return Fail(state, error);
  }
  const absl::Span<const uint8_t> bytes = Span(message);
  const uint64_t before = AllocationCount();
  for (auto _ : state) {
    auto parsed = MessageView::Parse(bytes);
    benchmark::DoNotOptimize(parsed);
  }
  ReportAllocations(state, AllocationCount() - before,
                    AllocationPolicy::kMustNotAllocate);
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(message.size()));
}
BENCHMARK_CAPTURE(BM_ParseBindingRequest, ice_check, BindingKind::kIceCheck);
BENCHMARK_CAPTURE(BM_ParseBindingRequest, with_fingerprint,
                  BindingKind::kWithFingerprint);
BENCHMARK_CAPTURE(BM_ParseBindingRequest, bare, BindingKind::kBare);

// --- Authenticated Allocate requests. ---

IntegrityResult CheckIntegrity(PasswordAlgorithmId algorithm,
                               const MessageView& view,
                               absl::Span<const uint8_t> key) {
  return algorithm == PasswordAlgorithmId::kSha256
             ? stun::CheckMessageIntegritySha256(view, key)
             : stun::CheckMessageIntegrity(view, key);
}

std::string CheckAllocateRequest(PasswordAlgorithmId algorithm,
                                 absl::Span<const uint8_t> bytes,
                                 const stun::HmacKey& key) {
  auto parsed = MessageView::Parse(bytes);
  if (!parsed.ok()) {
    return "parse failed: " +
           std::string(stun::ParseErrorName(parsed.error().error));
  }
  const MessageView& view = *parsed;
  if (view.method() != static_cast<uint16_t>(Method::kAllocate) ||
      view.message_class() != MessageClass::kRequest) {
    return "not an Allocate request";
  }
  if (view.Username() != kUsername || view.Realm() != kRealm ||
      view.RequestedTransport() != 17 || view.Lifetime() != kLifetimeSeconds ||
      !view.Nonce() || !view.Fingerprint()) {
    return "Allocate attributes wrong";
  }
  const bool sha256 = algorithm == PasswordAlgorithmId::kSha256;
  if (sha256 != view.MessageIntegritySha256().has_value() ||
      sha256 == view.MessageIntegrity().has_value()) {
    return "wrong integrity attribute";
  }
  if (sha256 && (!view.PasswordAlgorithm() ||
                 view.PasswordAlgorithm()->algorithm !=
                     static_cast<uint16_t>(PasswordAlgorithmId::kSha256))) {
    return "PASSWORD-ALGORITHM is not SHA-256";
  }
  if (CheckIntegrity(algorithm, view, key) != IntegrityResult::kOk) {
    return "integrity does not verify with the right key";
  }
  // The check must be able to say no, or timing it proves nothing.
  stun::HmacKey wrong_key = key;
  wrong_key[0] ^= 1;
  if (CheckIntegrity(algorithm, view, wrong_key) != IntegrityResult::kBad) {
    return "integrity verifies with a wrong key";
  }
  return "";
}

enum class KeySource {
  kCached,   // the server keeps the 16/32-byte key per user
  kDerived,  // the server stores passwords and hashes one per request
};

// What a server does with an authenticated request before acting on it:
// parse, (derive the long-term key,) verify MESSAGE-INTEGRITY(-SHA256).
void BM_ParseAndVerifyAllocate(benchmark::State& state,
                               PasswordAlgorithmId algorithm,
                               KeySource key_source) {
  const std::vector<uint8_t> message = AllocateRequest(algorithm);
  const stun::HmacKey cached_key = CredentialsKey(algorithm);
  if (const std::string error =
          CheckAllocateRequest(algorithm, Span(message), cached_key);
      !error.empty()) {
    return Fail(state, error);
  }
  const absl::Span<const uint8_t> bytes = Span(message);
  const uint64_t before = AllocationCount();
  if (key_source == KeySource::kCached) {
    for (auto _ : state) {
      auto parsed = MessageView::Parse(bytes);
      IntegrityResult result = CheckIntegrity(algorithm, *parsed, cached_key);
      benchmark::DoNotOptimize(result);
    }
  } else {
    for (auto _ : state) {
      auto parsed = MessageView::Parse(bytes);
      // USERNAME and REALM come from the request; the password from the
      // server's store, already in OpaqueString form.
      const stun::HmacKey key = stun::LongTermKey(
          algorithm, *parsed->Username(), *parsed->Realm(), kPassword);
      IntegrityResult result = CheckIntegrity(algorithm, *parsed, key);
      benchmark::DoNotOptimize(result);
    }
  }
  ReportAllocations(state, AllocationCount() - before,
                    AllocationPolicy::kMustNotAllocate);
}
BENCHMARK_CAPTURE(BM_ParseAndVerifyAllocate, md5_key_cached,
                  PasswordAlgorithmId::kMd5, KeySource::kCached);
BENCHMARK_CAPTURE(BM_ParseAndVerifyAllocate, md5_key_derived,
                  PasswordAlgorithmId::kMd5, KeySource::kDerived);
BENCHMARK_CAPTURE(BM_ParseAndVerifyAllocate, sha256_key_cached,
                  PasswordAlgorithmId::kSha256, KeySource::kCached);
BENCHMARK_CAPTURE(BM_ParseAndVerifyAllocate, sha256_key_derived,
                  PasswordAlgorithmId::kSha256, KeySource::kDerived);

// The key derivation alone (RFC 8489 §9.2.2), to separate its cost from the
// HMAC's in the results.
void BM_LongTermKey(benchmark::State& state, PasswordAlgorithmId algorithm) {
  const stun::HmacKey expected = CredentialsKey(algorithm);
  if (expected.size() !=
      (algorithm == PasswordAlgorithmId::kSha256 ? 32u : 16u)) {
    return Fail(state, "long-term key has the wrong size");
  }
  const uint64_t before = AllocationCount();
  for (auto _ : state) {
    stun::HmacKey key =
        stun::LongTermKey(algorithm, kUsername, kRealm, kPassword);
    benchmark::DoNotOptimize(key);
  }
  ReportAllocations(state, AllocationCount() - before,
                    AllocationPolicy::kMustNotAllocate);
}
BENCHMARK_CAPTURE(BM_LongTermKey, md5, PasswordAlgorithmId::kMd5);
BENCHMARK_CAPTURE(BM_LongTermKey, sha256, PasswordAlgorithmId::kSha256);

// --- Allocate success response. ---

// The response a server sends once the relay port is bound (RFC 8656 §7.3),
// protected the way the request was.
stun::MessageBuilder EncodeAllocateSuccess(absl::Span<uint8_t> buffer,
                                           const stun::TransactionId& id,
                                           PasswordAlgorithmId algorithm,
                                           absl::Span<const uint8_t> key) {
  stun::MessageBuilder builder(buffer, MessageClass::kSuccessResponse,
                               Method::kAllocate, id);
  builder.AddXorAddress(AttributeType::kXorRelayedAddress, kRelayedAddress)
      .AddXorAddress(AttributeType::kXorMappedAddress, kMappedAddress)
      .AddLifetime(kLifetimeSeconds)
      .AddString(AttributeType::kSoftware, kSoftware);
  if (algorithm == PasswordAlgorithmId::kSha256) {
    builder.AddMessageIntegritySha256(key);
  } else {
    builder.AddMessageIntegrity(key);
  }
  builder.AddFingerprint();
  return builder;
}

std::string CheckAllocateSuccess(PasswordAlgorithmId algorithm,
                                 absl::Span<const uint8_t> bytes,
                                 const stun::TransactionId& id,
                                 absl::Span<const uint8_t> key) {
  auto parsed = MessageView::Parse(bytes);
  if (!parsed.ok()) {
    return "our own response does not parse: " +
           std::string(stun::ParseErrorName(parsed.error().error));
  }
  const MessageView& view = *parsed;
  if (view.method() != static_cast<uint16_t>(Method::kAllocate) ||
      view.message_class() != MessageClass::kSuccessResponse ||
      view.transaction_id() != id) {
    return "not the Allocate success response";
  }
  const auto relayed = view.XorRelayedAddresses();
  if (relayed.size() != 1 || relayed[0] != kRelayedAddress ||
      view.XorMappedAddress() != kMappedAddress ||
      view.Lifetime() != kLifetimeSeconds || view.Software() != kSoftware ||
      !view.Fingerprint()) {
    return "response attributes do not round-trip";
  }
  if (CheckIntegrity(algorithm, view, key) != IntegrityResult::kOk) {
    return "response integrity does not verify";
  }
  return "";
}

void BM_EncodeAllocateSuccess(benchmark::State& state,
                              PasswordAlgorithmId algorithm) {
  const stun::HmacKey key = CredentialsKey(algorithm);
  const stun::TransactionId id = MakeTransactionId(3);
  std::array<uint8_t, 256> buffer;  // on the stack, as a server would
  {
    auto encoded =
        EncodeAllocateSuccess(absl::MakeSpan(buffer), id, algorithm, key)
            .Finish();
    if (!encoded.ok()) return Fail(state, "encoding failed");
    if (const std::string error =
            CheckAllocateSuccess(algorithm, *encoded, id, key);
        !error.empty()) {
      return Fail(state, error);
    }
  }
  int64_t encoded_size = 0;
  const uint64_t before = AllocationCount();
  for (auto _ : state) {
    auto encoded =
        EncodeAllocateSuccess(absl::MakeSpan(buffer), id, algorithm, key)
            .Finish();
    benchmark::DoNotOptimize(encoded);
    benchmark::ClobberMemory();
    encoded_size = static_cast<int64_t>(encoded->size());
  }
  ReportAllocations(state, AllocationCount() - before,
                    AllocationPolicy::kMustNotAllocate);
  state.SetBytesProcessed(state.iterations() * encoded_size);
}
BENCHMARK_CAPTURE(BM_EncodeAllocateSuccess, message_integrity,
                  PasswordAlgorithmId::kMd5);
BENCHMARK_CAPTURE(BM_EncodeAllocateSuccess, message_integrity_sha256,
                  PasswordAlgorithmId::kSha256);

// --- ChannelData. ---

constexpr uint16_t kChannel = 0x4001;

// One relayed UDP datagram: the per-packet parse of the data path.
void BM_ParseChannelData(benchmark::State& state) {
  const size_t payload_size = static_cast<size_t>(state.range(0));
  const std::vector<uint8_t> message =
      ChannelDataMessage(kChannel, payload_size, /*stream_padding=*/false);
  const absl::Span<const uint8_t> bytes = Span(message);
  {
    auto parsed = stun::ParseChannelData(bytes);
    if (!parsed.ok() || parsed->channel != kChannel ||
        parsed->payload.size() != payload_size ||
        parsed->payload.data() != bytes.data() + stun::kChannelDataHeaderSize) {
      return Fail(state, "ChannelData does not parse to its own payload");
    }
  }
  const uint64_t before = AllocationCount();
  for (auto _ : state) {
    auto parsed = stun::ParseChannelData(bytes);
    benchmark::DoNotOptimize(parsed);
  }
  // No bytes/s: the parse reads the 4-byte header and never the payload.
  ReportAllocations(state, AllocationCount() - before,
                    AllocationPolicy::kMustNotAllocate);
}
BENCHMARK(BM_ParseChannelData)->Arg(100)->Arg(1200);

// --- Stream framing. ---

struct FramedStream {
  std::vector<uint8_t> bytes;
  // Each frame as StreamFramer must return it (ChannelData without padding).
  std::vector<std::pair<stun::FrameKind, std::vector<uint8_t>>> frames;
};

// A TURN-over-TCP conversation: Binding, Allocate, then relayed data of
// mixed sizes (odd sizes carry stream padding), repeated.
FramedStream MakeFramedStream() {
  FramedStream stream;
  auto add = [&](stun::FrameKind kind, const std::vector<uint8_t>& unpadded,
                 const std::vector<uint8_t>& on_wire) {
    stream.frames.emplace_back(kind, unpadded);
    stream.bytes.insert(stream.bytes.end(), on_wire.begin(), on_wire.end());
  };
  const std::vector<uint8_t> binding = PlainBindingRequest(true);
  const std::vector<uint8_t> allocate =
      AllocateRequest(PasswordAlgorithmId::kMd5);
  for (int round = 0; round < 16; ++round) {
    add(stun::FrameKind::kStun, binding, binding);
    add(stun::FrameKind::kStun, allocate, allocate);
    for (size_t payload : {100u, 1200u, 37u, 560u, 1200u, 2u}) {
      add(stun::FrameKind::kChannelData,
          ChannelDataMessage(kChannel, payload, false),
          ChannelDataMessage(kChannel, payload, true));
    }
  }
  return stream;
}

constexpr size_t kReadSize = 1500;  // one Ethernet-MTU-sized read

// Feeds the whole stream in kReadSize reads and calls `on_frame` per frame.
// Returns false on a framing error.
template <typename OnFrame>
bool FeedStream(stun::StreamFramer& framer, absl::Span<const uint8_t> stream,
                OnFrame&& on_frame) {
  for (size_t offset = 0; offset < stream.size(); offset += kReadSize) {
    absl::Span<const uint8_t> read = stream.subspan(offset, kReadSize);
    while (true) {
      auto next = framer.Next(&read);
      if (!next.ok()) return false;
      if (!next->has_value()) break;
      on_frame(**next);
    }
  }
  return true;
}

void BM_StreamFramer(benchmark::State& state) {
  const FramedStream stream = MakeFramedStream();
  // The server's default range (ServerConfig::max_channel_number).
  stun::StreamFramer framer({.max_channel = stun::kMaxRfc5766ChannelNumber});
  {
    // One checked pass; it also grows the framer's reassembly buffer to its
    // steady-state size, which the timed loop then reuses.
    size_t index = 0;
    bool matches = true;
    const bool ok = FeedStream(framer, stream.bytes, [&](const stun::Frame& f) {
      matches = matches && index < stream.frames.size() &&
                f.kind == stream.frames[index].first &&
                std::equal(f.bytes.begin(), f.bytes.end(),
                           stream.frames[index].second.begin(),
                           stream.frames[index].second.end());
      ++index;
    });
    if (!ok || !matches || index != stream.frames.size() ||
        framer.buffered() != 0) {
      return Fail(state, "framer does not return the frames that were sent");
    }
  }
  const absl::Span<const uint8_t> bytes = Span(stream.bytes);
  uint64_t frames = 0;
  bool ok = true;
  const uint64_t before = AllocationCount();
  for (auto _ : state) {
    if (!FeedStream(framer, bytes, [&](const stun::Frame& frame) {
          benchmark::DoNotOptimize(frame.bytes.data());
          ++frames;
        })) {
      ok = false;
    }
  }
  ReportAllocations(state, AllocationCount() - before,
                    AllocationPolicy::kMustNotAllocate);
  if (!ok || frames != stream.frames.size() *
                           static_cast<uint64_t>(state.iterations())) {
    return Fail(state, "framer lost frames in the timed loop");
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(stream.bytes.size()));
  state.counters["frames_per_iter"] = static_cast<double>(stream.frames.size());
}
BENCHMARK(BM_StreamFramer);

}  // namespace
}  // namespace turnpike::bench

int main(int argc, char** argv) {
  return turnpike::bench::RunBenchmarks(argc, argv);
}
