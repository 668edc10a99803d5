// The stream write queue (runtime/transport/write_queue.h): a stream never
// carries a partial frame, and a slow reader never grows memory past the
// bound. Every message here is a self-checking frame (magic, sequence
// number, length, payload of the sequence's low byte, zero padding), so
// parsing the bytes the "socket" took finds any cut, interleaved or
// reordered frame.
#include "runtime/transport/write_queue.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <vector>

namespace turnpike::testing {
namespace {

using runtime::OutboundMessage;
using runtime::SendResult;
using runtime::StreamWriter;
using runtime::WriteQueue;
using Outcome = SendResult::Outcome;

constexpr uint8_t kMagic = 0xF5;
constexpr size_t kHeaderBytes = 5;

// One frame: its header is the message's prefix and its payload borrowed,
// like a Forward's.
struct Frame {
  std::vector<uint8_t> header;
  std::vector<uint8_t> payload;
  uint8_t padding = 0;

  Frame(uint16_t seq, uint16_t length)
      : header{kMagic, static_cast<uint8_t>(seq >> 8),
               static_cast<uint8_t>(seq), static_cast<uint8_t>(length >> 8),
               static_cast<uint8_t>(length)},
        payload(length, static_cast<uint8_t>(seq)),
        padding(static_cast<uint8_t>((4 - length % 4) % 4)) {}

  OutboundMessage message() const {
    return {absl::MakeConstSpan(header), absl::MakeConstSpan(payload), padding};
  }
  size_t size() const { return header.size() + payload.size() + padding; }
};

// The sequence numbers of the whole frames in `stream`, or nullopt when any
// byte does not belong to a whole, well-formed frame.
std::optional<std::vector<uint16_t>> ParseFrames(
    const std::vector<uint8_t>& stream) {
  std::vector<uint16_t> seqs;
  size_t at = 0;
  while (at < stream.size()) {
    if (stream.size() - at < kHeaderBytes || stream[at] != kMagic) {
      return std::nullopt;
    }
    const uint16_t seq =
        static_cast<uint16_t>(stream[at + 1] << 8 | stream[at + 2]);
    const size_t length =
        static_cast<size_t>(stream[at + 3] << 8 | stream[at + 4]);
    const size_t padding = (4 - length % 4) % 4;
    at += kHeaderBytes;
    if (stream.size() - at < length + padding) return std::nullopt;
    for (size_t i = 0; i < length; ++i) {
      if (stream[at + i] != static_cast<uint8_t>(seq)) return std::nullopt;
    }
    for (size_t i = 0; i < padding; ++i) {
      if (stream[at + length + i] != 0) return std::nullopt;
    }
    at += length + padding;
    seqs.push_back(seq);
  }
  return seqs;
}

// A socket that takes at most `chunk` bytes per call and `budget` bytes in
// all before it says EAGAIN (its send buffer is full until the test frees
// some), or fails every call with `error`.
struct FakeWriter final : StreamWriter {
  std::vector<uint8_t> taken;
  size_t chunk = std::numeric_limits<size_t>::max();
  size_t budget = std::numeric_limits<size_t>::max();
  int error = 0;
  int calls = 0;

  int64_t TryWrite(absl::Span<const uv_buf_t> parts) override {
    ++calls;
    if (error != 0) return error;
    size_t room = std::min(chunk, budget);
    if (room == 0) return UV_EAGAIN;
    size_t wrote = 0;
    for (const uv_buf_t& part : parts) {
      const size_t n = std::min(room, part.len);
      const auto* base = reinterpret_cast<const uint8_t*>(part.base);
      taken.insert(taken.end(), base, base + n);
      room -= n;
      wrote += n;
      if (n < part.len) break;
    }
    budget -= wrote;
    return static_cast<int64_t>(wrote);
  }
};

std::vector<uint16_t> Seqs(std::initializer_list<uint16_t> seqs) {
  return std::vector<uint16_t>(seqs);
}

TEST_CASE("write queue: a message the socket takes is sent at once") {
  WriteQueue queue(1024);
  FakeWriter writer;
  const Frame frame(1, 21);
  const SendResult result = queue.Write(writer, frame.message());
  CHECK(result.outcome == Outcome::kSent);
  CHECK(result.bytes == frame.size());
  CHECK(writer.calls == 1);
  CHECK(queue.empty());
  // Nothing waited, so nothing was allocated.
  CHECK(queue.capacity_bytes() == 0);
  CHECK(ParseFrames(writer.taken) == Seqs({1}));
}

TEST_CASE(
    "write queue: a partial write keeps only the tail and ends it first") {
  WriteQueue queue(1024);
  FakeWriter writer;
  writer.budget = 7;  // the header and two payload bytes of the first frame
  const Frame first(1, 30);  // 5 + 30 + 2 padding = 37 bytes
  const Frame second(2, 8);
  CHECK(queue.Write(writer, first.message()).outcome == Outcome::kQueued);
  CHECK(queue.queued_bytes() == first.size() - 7);
  // The second waits behind the first's tail without touching the socket.
  const int calls = writer.calls;
  CHECK(queue.Write(writer, second.message()).outcome == Outcome::kQueued);
  CHECK(writer.calls == calls);
  CHECK(queue.queued_bytes() == first.size() - 7 + second.size());

  writer.budget = std::numeric_limits<size_t>::max();
  writer.chunk = 3;  // drain in small steps, across the ring's parts
  CHECK(queue.Drain(writer) == 0);
  CHECK(queue.empty());
  CHECK(queue.capacity_bytes() == 0);  // an idle connection keeps no buffer
  CHECK(ParseFrames(writer.taken) == Seqs({1, 2}));
}

TEST_CASE("write queue: EAGAIN keeps the whole message and Drain waits") {
  WriteQueue queue(1024);
  FakeWriter writer;
  writer.budget = 0;
  const Frame frame(7, 10);
  CHECK(queue.Write(writer, frame.message()).outcome == Outcome::kQueued);
  CHECK(queue.queued_bytes() == frame.size());
  // Still full: Drain takes nothing and reports no error.
  CHECK(queue.Drain(writer) == 0);
  CHECK(queue.queued_bytes() == frame.size());
  CHECK(writer.taken.empty());
  writer.budget = std::numeric_limits<size_t>::max();
  CHECK(queue.Drain(writer) == 0);
  CHECK(ParseFrames(writer.taken) == Seqs({7}));
}

TEST_CASE(
    "write queue: when full, later messages are dropped whole and counted") {
  WriteQueue queue(100);
  FakeWriter writer;
  writer.budget = 0;  // the reader has stalled
  // 5 + 15 + 1 padding = 21 bytes each: four wait, 84 bytes.
  const Frame a(1, 15), b(2, 15), c(3, 15), d(4, 15);
  for (const Frame* f : {&a, &b, &c, &d}) {
    CHECK(queue.Write(writer, f->message()).outcome == Outcome::kQueued);
  }
  CHECK(queue.queued_bytes() == 84);
  const Frame too_many(5, 15);  // 105 > 100
  const SendResult dropped = queue.Write(writer, too_many.message());
  CHECK(dropped.outcome == Outcome::kQueueFull);
  CHECK(queue.dropped_messages() == 1);
  CHECK(queue.dropped_bytes() == too_many.size());
  CHECK(queue.queued_bytes() == 84);
  // A smaller one still fits under the bound: dropping is per message.
  const Frame small(6, 7);  // 13 bytes: 97
  CHECK(queue.Write(writer, small.message()).outcome == Outcome::kQueued);
  CHECK(queue.queued_bytes() == 97);
  const Frame header_only(7, 0);  // 5 bytes: 102 > 100
  CHECK(queue.Write(writer, header_only.message()).outcome ==
        Outcome::kQueueFull);
  CHECK(queue.dropped_messages() == 2);
  CHECK(queue.queued_bytes() == 97);

  writer.budget = std::numeric_limits<size_t>::max();
  CHECK(queue.Drain(writer) == 0);
  CHECK(ParseFrames(writer.taken) == Seqs({1, 2, 3, 4, 6}));
}

TEST_CASE("write queue: a message larger than the bound is never started") {
  WriteQueue queue(64);
  FakeWriter writer;
  const Frame big(1, 100);
  CHECK(queue.Write(writer, big.message()).outcome == Outcome::kQueueFull);
  CHECK(writer.calls == 0);
  CHECK(queue.dropped_messages() == 1);
  CHECK(queue.Write(writer, Frame(2, 40).message()).outcome == Outcome::kSent);
  CHECK(ParseFrames(writer.taken) == Seqs({2}));
}

TEST_CASE("write queue: a broken stream is reported and nothing is kept") {
  WriteQueue queue(1024);
  FakeWriter writer;
  writer.error = UV_EPIPE;
  const SendResult result = queue.Write(writer, Frame(1, 10).message());
  CHECK(result.outcome == Outcome::kFailed);
  CHECK(result.error == UV_EPIPE);
  CHECK(queue.empty());

  // And a drain that meets the error says so.
  writer.error = 0;
  writer.budget = 2;
  CHECK(queue.Write(writer, Frame(2, 10).message()).outcome ==
        Outcome::kQueued);
  writer.error = UV_ECONNRESET;
  CHECK(queue.Drain(writer) == UV_ECONNRESET);
}

TEST_CASE("write queue: random stalls and partial writes never cut a frame") {
  std::mt19937 random(20261203);  // seeded: the same run every time
  constexpr size_t kBound = 2000;
  WriteQueue queue(kBound);
  FakeWriter writer;
  std::vector<uint16_t> accepted;
  uint64_t dropped = 0;
  size_t peak = 0;
  for (uint16_t seq = 0; seq < 3000; ++seq) {
    // The socket frees a random amount now and then, and takes random-sized
    // pieces; sometimes the loop reports it writable.
    if (random() % 4 == 0) writer.budget = random() % 300;
    writer.chunk = 1 + random() % 64;
    if (random() % 3 == 0) REQUIRE(queue.Drain(writer) == 0);
    const Frame frame(seq, static_cast<uint16_t>(random() % 200));
    const SendResult result = queue.Write(writer, frame.message());
    REQUIRE(result.outcome != Outcome::kFailed);
    if (result.outcome == Outcome::kQueueFull) {
      ++dropped;
    } else {
      accepted.push_back(seq);
    }
    peak = std::max(peak, queue.queued_bytes());
    REQUIRE(queue.queued_bytes() <= kBound);
  }
  writer.budget = std::numeric_limits<size_t>::max();
  writer.chunk = 1 + random() % 64;
  REQUIRE(queue.Drain(writer) == 0);
  CHECK(queue.empty());
  // The run must have exercised both a full queue and a backlog.
  CHECK(dropped > 0);
  CHECK(peak > kBound / 2);
  CHECK(queue.dropped_messages() == dropped);
  CHECK(ParseFrames(writer.taken) == accepted);
}

// The real thing: a socketpair with a small send buffer and a reader that
// does not read. The queue stays within its bound while the writer keeps
// sending, then the reader reads everything and finds only whole frames.
struct FdWriter final : StreamWriter {
  int fd;
  explicit FdWriter(int f) : fd(f) {}
  int64_t TryWrite(absl::Span<const uv_buf_t> parts) override {
    // uv_buf_t has struct iovec's layout on Unix.
    const ssize_t n = writev(fd, reinterpret_cast<const iovec*>(parts.data()),
                             static_cast<int>(parts.size()));
    if (n >= 0) return n;
    return errno == EAGAIN ? UV_EAGAIN : -errno;
  }
};

void ReadAvailable(int fd, std::vector<uint8_t>* into) {
  uint8_t buffer[4096];
  for (int i = 0; i < 10000; ++i) {  // bounded: the socket holds < 40 MB
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) return;  // EAGAIN: nothing more for now
    into->insert(into->end(), buffer, buffer + n);
  }
}

TEST_CASE("write queue: a socketpair with a stalled reader stays bounded") {
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  const int sndbuf = 4096;
  REQUIRE(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) ==
          0);
  for (int fd : fds) {
    REQUIRE(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
  }
  constexpr size_t kBound = 64 * 1024;
  WriteQueue queue(kBound);
  FdWriter writer(fds[0]);
  std::vector<uint16_t> accepted;
  bool partial_seen = false;
  for (uint16_t seq = 0; seq < 100; ++seq) {
    // Larger than the send buffer, so the kernel takes part of the first
    // frame (a unix(7) stream takes a message it has room to start whole,
    // however big, so smaller frames would never be cut).
    const Frame frame(seq, 20000);
    const size_t before = queue.queued_bytes();
    const SendResult result = queue.Write(writer, frame.message());
    REQUIRE(result.outcome != Outcome::kFailed);
    if (result.outcome != Outcome::kQueueFull) accepted.push_back(seq);
    // The kernel took part of a frame and its tail waits: the case a
    // stream must get right.
    if (before == 0 && result.outcome == Outcome::kQueued &&
        queue.queued_bytes() < frame.size()) {
      partial_seen = true;
    }
    REQUIRE(queue.queued_bytes() <= kBound);
    REQUIRE(queue.capacity_bytes() <= kBound);
  }
  CHECK(queue.dropped_messages() > 0);
  CHECK(partial_seen);

  // The reader wakes up: read, drain, until all is through (bounded).
  std::vector<uint8_t> received;
  for (int round = 0; round < 10000 && !queue.empty(); ++round) {
    ReadAvailable(fds[1], &received);
    REQUIRE(queue.Drain(writer) == 0);
  }
  CHECK(queue.empty());
  ReadAvailable(fds[1], &received);
  close(fds[0]);
  close(fds[1]);
  CHECK(ParseFrames(received) == accepted);
}

}  // namespace
}  // namespace turnpike::testing
