// The UDP sending seam (runtime/transport/send_batch.h) on a real loop with
// loopback sockets: datagrams queued in one loop iteration leave complete
// and in order per socket when the loop runs its hooks, runs of same-size
// datagrams go as UDP GSO sends where the kernel has it (and one per message
// when GSO is off), and a send the kernel refuses is counted, not fatal.
#include "runtime/transport/send_batch.h"

#include <doctest/doctest.h>
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "runtime/receive_slab.h"
#include "runtime/runtime_stats.h"
#include "runtime/transport/udp_socket.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::runtime {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kTimeout{2000};

class NoSink final : public MessageSink {
 public:
  void OnMessage(const core::Now&, Endpoint&, const TransportAddress&,
                 absl::Span<const uint8_t>) override {}
};

// A datagram that names its sender and its place: [sender, index, fill...].
std::vector<uint8_t> Numbered(uint8_t sender, uint8_t index, size_t size) {
  std::vector<uint8_t> bytes(size, static_cast<uint8_t>(index ^ 0x5A));
  bytes[0] = sender;
  bytes[1] = index;
  return bytes;
}

struct Loop {
  uv_loop_t loop;
  RuntimeStats stats;
  ReceiveSlab slab{1};
  NoSink sink;
  std::unique_ptr<SendBatch> batch;
  std::vector<std::unique_ptr<UdpSocket>> sockets;

  explicit Loop(bool gso) {
    REQUIRE(uv_loop_init(&loop) == 0);
    absl::StatusOr<std::unique_ptr<SendBatch>> made =
        SendBatch::Create(&loop, &stats, {.gso = gso});
    REQUIRE(made.ok());
    batch = *std::move(made);
  }
  ~Loop() {
    for (auto& socket : sockets) socket->Close();
    batch->Close();
    uv_run(&loop, UV_RUN_DEFAULT);  // only closing handles are left
    CHECK(uv_loop_close(&loop) == 0);
  }
  UdpSocket& Open() {
    UdpSocketOptions options;
    options.send_batch = batch.get();
    absl::StatusOr<std::unique_ptr<UdpSocket>> socket = UdpSocket::Bind(
        &loop, core::RelayId{static_cast<uint32_t>(sockets.size() + 1)},
        *TransportAddress::Parse("127.0.0.1:0"), options, &slab, &sink, &stats);
    REQUIRE(socket.ok());
    sockets.push_back(*std::move(socket));
    return *sockets.back();
  }
  // One iteration: the check and prepare hooks flush.
  void RunOnce() { uv_run(&loop, UV_RUN_NOWAIT); }
};

TransportAddress To(const testing::UdpSocket& socket) {
  return TransportAddress{*IpAddress::Parse("127.0.0.1"), socket.local_port()};
}

SendResult::Outcome Send(UdpSocket& from, const TransportAddress& to,
                         const std::vector<uint8_t>& bytes) {
  // A prefix and a payload, as relayed ChannelData is sent.
  const size_t split = bytes.size() / 3;
  OutboundMessage message{absl::MakeConstSpan(bytes).subspan(0, split),
                          absl::MakeConstSpan(bytes).subspan(split), 0};
  return from.Send(to, message).outcome;
}

// What `receiver` gets, `count` datagrams, each within the timeout.
std::vector<std::vector<uint8_t>> ReceiveAll(testing::UdpSocket& receiver,
                                             size_t count) {
  std::vector<std::vector<uint8_t>> got;
  for (size_t i = 0; i < count; ++i) {
    std::optional<std::vector<uint8_t>> datagram = receiver.Receive(kTimeout);
    if (!datagram) break;
    got.push_back(*std::move(datagram));
  }
  return got;
}

void SendsOneIterationInOrder(bool gso) {
  Loop loop(gso);
  UdpSocket& first = loop.Open();
  UdpSocket& second = loop.Open();
  std::optional<testing::UdpSocket> a = testing::UdpSocket::Bind("127.0.0.1");
  std::optional<testing::UdpSocket> b = testing::UdpSocket::Bind("127.0.0.1");
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());

  // Per socket and destination, in queue order: a run of ten 100-byte
  // datagrams to A, a larger one, three 40-byte ones to B and one to A,
  // five more 100-byte ones to A; the second socket's interleaved with the
  // first's.
  std::vector<std::vector<uint8_t>> to_a;
  std::vector<std::vector<uint8_t>> to_b;
  std::vector<std::vector<uint8_t>> second_to_a;
  uint8_t index = 0;
  auto queue = [&](UdpSocket& from, uint8_t sender, testing::UdpSocket& to,
                   std::vector<std::vector<uint8_t>>& expect, size_t size) {
    expect.push_back(Numbered(sender, index++, size));
    CHECK(Send(from, To(to), expect.back()) == SendResult::Outcome::kBatched);
  };
  for (int i = 0; i < 10; ++i) {
    queue(first, 1, *a, to_a, 100);
    if (i % 3 == 0) queue(second, 2, *a, second_to_a, 64);
  }
  queue(first, 1, *a, to_a, 300);
  for (int i = 0; i < 3; ++i) queue(first, 1, *b, to_b, 40);
  queue(first, 1, *a, to_a, 40);  // same size, another destination
  for (int i = 0; i < 5; ++i) queue(first, 1, *a, to_a, 100);
  const size_t total = to_a.size() + to_b.size() + second_to_a.size();
  CHECK(loop.batch->queued() == total);
  CHECK(loop.stats.datagrams_sent == 0);  // nothing left before the hook

  loop.RunOnce();
  CHECK(loop.batch->queued() == 0);
  CHECK(loop.stats.datagrams_sent == total);
  CHECK(loop.stats.send_errors + loop.stats.send_would_block == 0);
  // One sendmmsg per socket.
  CHECK(loop.stats.sendmmsg_calls == 2);
  if (gso) {
    // The 100-byte runs (10 and 5) to A, the 40-byte run to B, and the
    // second socket's four 64-byte ones.
    CHECK(loop.stats.gso_sends == 4);
    CHECK(loop.stats.gso_datagrams == 10 + 5 + 3 + 4);
  } else {
    CHECK(loop.stats.gso_sends == 0);
  }

  // A hears both sockets: split by sender, each in its own order.
  std::vector<std::vector<uint8_t>> at_a =
      ReceiveAll(*a, to_a.size() + second_to_a.size());
  std::vector<std::vector<uint8_t>> from_first;
  std::vector<std::vector<uint8_t>> from_second;
  for (std::vector<uint8_t>& d : at_a) {
    REQUIRE(!d.empty());
    (d[0] == 1 ? from_first : from_second).push_back(d);
  }
  CHECK(from_first == to_a);
  CHECK(from_second == second_to_a);
  CHECK(ReceiveAll(*b, to_b.size()) == to_b);
}

TEST_CASE(
    "the send batch delivers one iteration complete and in order with UDP "
    "GSO") {
  REQUIRE_MESSAGE(SendBatch::KernelSupportsGso(),
                  "this kernel refuses UDP_SEGMENT (Linux >= 4.18 has it)");
  SendsOneIterationInOrder(/*gso=*/true);
}

TEST_CASE(
    "the send batch delivers one iteration complete and in order without GSO") {
  SendsOneIterationInOrder(/*gso=*/false);
}

TEST_CASE("the send batch counts a refused datagram and sends the rest") {
  for (const bool gso : {true, false}) {
    CAPTURE(gso);
    Loop loop(gso);
    UdpSocket& sender = loop.Open();
    std::optional<testing::UdpSocket> a = testing::UdpSocket::Bind("127.0.0.1");
    REQUIRE(a.has_value());
    const std::vector<uint8_t> one = Numbered(1, 0, 100);
    const std::vector<uint8_t> two = Numbered(1, 1, 100);
    // Port 0 is no destination: the kernel refuses that message (EINVAL).
    const TransportAddress nowhere = *TransportAddress::Parse("127.0.0.1:0");
    Send(sender, To(*a), one);
    Send(sender, nowhere, Numbered(1, 9, 100));
    Send(sender, To(*a), two);
    loop.RunOnce();
    CHECK(loop.stats.send_errors == 1);
    CHECK(loop.stats.datagrams_sent == 2);
    CHECK(ReceiveAll(*a, 2) == std::vector<std::vector<uint8_t>>{one, two});
  }
}

TEST_CASE("a full send batch flushes before it takes more") {
  Loop loop(/*gso=*/false);
  UdpSocket& sender = loop.Open();
  std::optional<testing::UdpSocket> a = testing::UdpSocket::Bind("127.0.0.1");
  REQUIRE(a.has_value());
  std::vector<std::vector<uint8_t>> sent;
  for (size_t i = 0; i <= SendBatch::kMaxDatagrams; ++i) {
    sent.push_back(Numbered(1, static_cast<uint8_t>(i), 32));
    Send(sender, To(*a), sent.back());
  }
  // The last one found the batch full: the first kMaxDatagrams left.
  CHECK(loop.stats.datagrams_sent == SendBatch::kMaxDatagrams);
  CHECK(loop.batch->queued() == 1);
  loop.RunOnce();
  CHECK(loop.stats.datagrams_sent == sent.size());
  CHECK(ReceiveAll(*a, sent.size()) == sent);
}

}  // namespace
}  // namespace turnpike::runtime
