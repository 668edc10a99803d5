// The stream endpoint's hooks for a SecureSession
// (runtime/transport/stream_connection.h), with a fake session over a
// socketpair on a real libuv loop: the handshake timeout, plaintext framed
// into whole messages, records sent through the write queue, and a message
// dropped (never sealed) when the queue lacks room for its sealed size.
// The fake "encrypts" by XOR with 0x5A and completes its handshake on the
// first bytes "HELLO", answering "WELCOME".
#include "runtime/transport/stream_connection.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace turnpike::testing {
namespace {

using runtime::CloseReason;
using runtime::OutboundMessage;
using runtime::SendResult;
using Outcome = SendResult::Outcome;

constexpr uint8_t kKey = 0x5A;
constexpr size_t kOverhead = 16;

struct FakeSession final : runtime::SecureSession {
  explicit FakeSession(runtime::RecordSink& records) : sink(records) {}
  absl::Status Receive(absl::Span<const uint8_t> network,
                       std::vector<uint8_t>& plaintext) override {
    if (!complete) {
      if (std::string(network.begin(), network.end()) != "HELLO") {
        return absl::DataLossError("bad handshake");
      }
      complete = true;
      const std::string welcome = "WELCOME";
      sink.OnRecords({reinterpret_cast<const uint8_t*>(welcome.data()),
                      welcome.size()});
      return absl::OkStatus();
    }
    for (uint8_t b : network) plaintext.push_back(b ^ kKey);
    return absl::OkStatus();
  }
  absl::Status Send(const OutboundMessage& message) override {
    ++sends;
    std::vector<uint8_t> record(kOverhead, 0xEE);  // a "header"
    for (auto part : {message.prefix, message.payload}) {
      for (uint8_t b : part) record.push_back(b ^ kKey);
    }
    for (int i = 0; i < message.padding; ++i) record.push_back(kKey);
    sink.OnRecords(record);
    return absl::OkStatus();
  }
  size_t SealedSize(size_t plaintext_bytes) const override {
    return plaintext_bytes + kOverhead;
  }
  bool handshake_complete() const override { return complete; }

  runtime::RecordSink& sink;
  bool complete = false;
  int sends = 0;
};

struct Harness final : runtime::MessageSink, runtime::ConnectionObserver {
  void OnMessage(const core::Now&, runtime::Endpoint&, const TransportAddress&,
                 absl::Span<const uint8_t> bytes) override {
    messages.emplace_back(bytes.begin(), bytes.end());
  }
  void OnConnectionClosed(runtime::StreamConnection& closed) override {
    closed_reason = closed.close_reason();
  }

  Harness() {
    REQUIRE(uv_loop_init(&loop) == 0);
    int fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
    server_fd = fds[0];
    client_fd = fds[1];
  }
  ~Harness() {
    connection.reset();
    uv_run(&loop, UV_RUN_DEFAULT);  // the close callbacks
    uv_loop_close(&loop);
    if (client_fd >= 0) close(client_fd);
  }

  void Open(std::chrono::milliseconds handshake_timeout,
            size_t write_queue_bytes = 4096, bool secure = true) {
    runtime::StreamConnectionOptions options;
    options.id = core::ConnectionId{7};
    options.transport = core::Transport::kTls;
    options.remote = *TransportAddress::Parse("192.0.2.1:5000");
    options.framer = stun::FramerLimits{0x4FFF};
    options.handshake_timeout = handshake_timeout;
    options.write_queue_bytes = write_queue_bytes;
    options.flush_timeout = std::chrono::milliseconds(300);
    REQUIRE(limiter.TryAcquire(options.remote.ip));
    factory = [this](runtime::RecordSink& sink) {
      auto made = std::make_unique<FakeSession>(sink);
      session = made.get();
      return made;
    };
    if (!secure) options.transport = core::Transport::kTcp;
    auto created = runtime::StreamConnection::Create(
        &loop, server_fd, options, secure ? &factory : nullptr, &slab, this, this, &stats,
        &runtime_stats, &limiter);
    REQUIRE(created.ok());
    connection = *std::move(created);
  }

  // Runs the loop until `done` or `limit` has passed.
  template <typename Done>
  bool RunUntil(Done done, std::chrono::milliseconds limit =
                               std::chrono::milliseconds(3000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop, UV_RUN_NOWAIT);
      poll(nullptr, 0, 1);
    }
    return done();
  }
  void ClientSend(const std::vector<uint8_t>& bytes) {
    REQUIRE(write(client_fd, bytes.data(), bytes.size()) ==
            static_cast<ssize_t>(bytes.size()));
  }
  std::vector<uint8_t> ClientRead() {
    std::vector<uint8_t> got(65536);
    const ssize_t n = read(client_fd, got.data(), got.size());
    got.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return got;
  }

  uv_loop_t loop;
  int server_fd = -1;
  int client_fd = -1;
  runtime::ReceiveSlab slab{1};
  runtime::StreamStats stats;
  runtime::RuntimeStats runtime_stats;
  runtime::ConnectionLimiter limiter{1};
  runtime::SecureSessionFactory factory;
  FakeSession* session = nullptr;
  std::unique_ptr<runtime::StreamConnection> connection;
  std::vector<std::vector<uint8_t>> messages;
  std::optional<CloseReason> closed_reason;
};

std::vector<uint8_t> Xor(std::vector<uint8_t> bytes) {
  for (uint8_t& b : bytes) b ^= kKey;
  return bytes;
}

// A Binding request header with no attributes (RFC 8489 §5).
std::vector<uint8_t> Binding() {
  std::vector<uint8_t> m = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42};
  m.resize(20, 0x07);
  return m;
}

TEST_CASE("stream connection closes a handshake that does not finish in time") {
  Harness h;
  h.Open(std::chrono::milliseconds(50));
  CHECK(h.limiter.count(*IpAddress::Parse("192.0.2.1")) == 1);
  REQUIRE(h.RunUntil([&] { return h.closed_reason.has_value(); }));
  CHECK(*h.closed_reason == CloseReason::kHandshakeTimeout);
  CHECK(h.stats.closed_handshake_timeout == 1);
  // The slot goes back with the connection.
  CHECK(h.limiter.count(*IpAddress::Parse("192.0.2.1")) == 0);
}

TEST_CASE("stream connection frames a session's plaintext and seals its sends") {
  Harness h;
  h.Open(std::chrono::milliseconds(200));
  h.ClientSend({'H', 'E', 'L', 'L', 'O'});
  REQUIRE(h.RunUntil([&] { return h.session->complete; }));
  CHECK(h.ClientRead() == std::vector<uint8_t>{'W', 'E', 'L', 'C', 'O', 'M',
                                               'E'});
  // Two messages in one encrypted chunk come up one at a time.
  std::vector<uint8_t> two = Binding();
  const std::vector<uint8_t> second = Binding();
  two.insert(two.end(), second.begin(), second.end());
  h.ClientSend(Xor(two));
  REQUIRE(h.RunUntil([&] { return h.messages.size() == 2; }));
  CHECK(h.messages[0] == Binding());
  // The handshake is done: its timer no longer runs.
  CHECK_FALSE(h.RunUntil([&] { return h.closed_reason.has_value(); },
                         std::chrono::milliseconds(400)));
  const std::vector<uint8_t> payload = {1, 2, 3};
  SendResult sent = h.connection->Send({}, OutboundMessage::Of(payload));
  CHECK(sent.outcome == Outcome::kSent);
  std::vector<uint8_t> expected(kOverhead, 0xEE);
  for (uint8_t b : payload) expected.push_back(b ^ kKey);
  CHECK(h.ClientRead() == expected);
}

TEST_CASE("stream connection drops a message before sealing when the queue lacks room") {
  Harness h;
  h.Open(std::chrono::milliseconds(2000), /*write_queue_bytes=*/2048);
  int small = 1024;
  setsockopt(h.server_fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
  h.ClientSend({'H', 'E', 'L', 'L', 'O'});
  REQUIRE(h.RunUntil([&] { return h.session->complete; }));
  // The client reads nothing: the socket fills, then the queue.
  const std::vector<uint8_t> payload(500, 0x33);
  int dropped = 0;
  for (int i = 0; i < 2000 && dropped == 0; ++i) {
    const int sends_before = h.session->sends;
    SendResult result = h.connection->Send({}, OutboundMessage::Of(payload));
    if (result.outcome == Outcome::kQueueFull) {
      ++dropped;
      // Never sealed: a record made and then dropped would break the
      // stream's sequence numbers.
      CHECK(h.session->sends == sends_before);
    } else {
      REQUIRE(result.outcome != Outcome::kFailed);
    }
  }
  CHECK(dropped == 1);
  CHECK(h.stats.queue_drops == 1);
  CHECK(h.connection->queued_bytes() <= 2048);
  CHECK_FALSE(h.connection->closed());
}

TEST_CASE("stream connection stops reading a client that leaves half its queue unread") {
  Harness h;
  h.Open(std::chrono::milliseconds(2000), /*write_queue_bytes=*/8192,
         /*secure=*/false);
  int small = 1024;
  setsockopt(h.server_fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
  // Plain TCP is read at once.
  h.ClientSend(Binding());
  REQUIRE(h.RunUntil([&] { return h.messages.size() == 1; }));
  // Answers pile up unread until more than half the queue waits.
  const std::vector<uint8_t> answer(400, 0x44);
  for (int i = 0; i < 1000 && h.connection->queued_bytes() <= 4096; ++i) {
    REQUIRE(h.connection->Send({}, OutboundMessage::Of(answer)).outcome !=
            Outcome::kFailed);
  }
  REQUIRE(h.connection->queued_bytes() > 4096);
  h.ClientSend(Binding());
  CHECK_FALSE(h.RunUntil([&] { return h.messages.size() == 2; },
                         std::chrono::milliseconds(300)));
  // The client reads its answers: the queue drains and reading resumes.
  REQUIRE(h.RunUntil([&] {
    h.ClientRead();
    return h.messages.size() == 2;
  }));
  CHECK(h.messages[1] == Binding());
}

TEST_CASE("stream connection flushes its queue before a requested close") {
  for (const bool reads : {true, false}) {
    CAPTURE(reads);
    Harness h;
    h.Open(std::chrono::milliseconds(2000), /*write_queue_bytes=*/65536,
           /*secure=*/false);
    int small = 1024;
    setsockopt(h.server_fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    const std::vector<uint8_t> answer(1000, 0x55);
    for (int i = 0; i < 20; ++i) {
      REQUIRE(h.connection->Send({}, OutboundMessage::Of(answer)).outcome !=
              Outcome::kFailed);
    }
    REQUIRE(h.connection->queued_bytes() > 0);
    h.connection->CloseAfterFlush();
    CHECK_FALSE(h.connection->closed());  // bytes still wait
    // Nothing more is taken from the client.
    h.ClientSend(Binding());
    size_t received = 0;
    REQUIRE(h.RunUntil([&] {
      if (reads) received += h.ClientRead().size();
      return h.closed_reason.has_value();
    }));
    CHECK(*h.closed_reason == CloseReason::kRequested);
    CHECK(h.messages.empty());
    if (reads) {
      // Every queued byte went out before the close.
      for (std::vector<uint8_t> rest = h.ClientRead(); !rest.empty();
           rest = h.ClientRead()) {
        received += rest.size();
      }
      CHECK(received == 20 * answer.size());
    }
    // A reader that takes nothing is closed after the flush bound anyway.
    CHECK(h.limiter.count(*IpAddress::Parse("192.0.2.1")) == 0);
  }
}

}  // namespace
}  // namespace turnpike::testing
