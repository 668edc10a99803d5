// RFC 6062 relay sockets and the splice (runtime/transport/tcp_relay.h,
// runtime/transport/splice.h) on a real libuv loop with loopback sockets,
// without the core: the test plays the worker (TcpRelaySink) and both
// remote ends (plain non-blocking sockets). Every wait is bounded and
// steps the loop until an observable condition holds.
#include "runtime/transport/tcp_relay.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/socket_address.h"
#include "runtime/transport/splice.h"

namespace turnpike::testing {
namespace {

using runtime::PeerConnection;
using runtime::Splice;
using runtime::SpliceOptions;
using runtime::TcpRelayListener;
using std::chrono::milliseconds;

const TransportAddress kLoopbackAnyPort{IpAddress::V4({127, 0, 0, 1}), 0};

// Plays the worker: keeps what the relay hands over.
struct Sink final : runtime::TcpRelaySink {
  virtual ~Sink() = default;
  std::vector<std::unique_ptr<PeerConnection>> accepted;
  std::vector<absl::Status> connect_results;
  void OnPeerAccepted(core::RelayId /*relay*/,
                      std::unique_ptr<PeerConnection> connection) override {
    accepted.push_back(std::move(connection));
  }
  void OnPeerConnected(PeerConnection& /*connection*/,
                       const absl::Status& status) override {
    connect_results.push_back(status);
  }
};

// A loop that is closed (every handle finished) when the test ends.
struct Loop {
  uv_loop_t loop;
  Loop() { REQUIRE(uv_loop_init(&loop) == 0); }
  ~Loop() {
    uv_run(&loop, UV_RUN_DEFAULT);  // only closing handles are left
    CHECK(uv_loop_close(&loop) == 0);
  }
  // Steps the loop until `done` holds, for at most `limit`.
  bool RunUntil(const std::function<bool()>& done,
                milliseconds limit = milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop, UV_RUN_NOWAIT);
      if (done()) return true;
      // Wakes on the loop's own events; the short cap re-checks sockets
      // the loop does not watch (the test's).
      pollfd fd{uv_backend_fd(&loop), POLLIN, 0};
      poll(&fd, 1, 5);
    }
    return done();
  }
};

// A test-side socket: non-blocking, closed at the end.
struct Socket {
  int fd = -1;
  explicit Socket(int f) : fd(f) {}
  Socket(Socket&& other) noexcept : fd(other.fd) { other.fd = -1; }
  Socket& operator=(Socket&& other) noexcept {
    std::swap(fd, other.fd);
    return *this;
  }
  ~Socket() {
    if (fd >= 0) close(fd);
  }
  TransportAddress local() const {
    sockaddr_storage storage;
    socklen_t length = sizeof(storage);
    getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
    return *runtime::FromSockaddr(reinterpret_cast<sockaddr*>(&storage));
  }
  // Sends all of `bytes` (loopback buffers take the small amounts used).
  void SendAll(const std::string& bytes) const {
    REQUIRE(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size()));
  }
  // Appends what is readable now; false once the stream has ended.
  bool ReadInto(std::string& into) const {
    char buffer[65536];
    while (true) {
      ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n > 0) {
        into.append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      return false;  // EOF or reset
    }
  }
};

void MakeNonBlocking(int fd) {
  REQUIRE(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
}

// Connects (the kernel completes a loopback handshake without an accept).
Socket ConnectTo(const TransportAddress& to) {
  Socket s(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_storage storage;
  socklen_t length = runtime::ToSockaddr(to, &storage);
  REQUIRE(connect(s.fd, reinterpret_cast<sockaddr*>(&storage), length) == 0);
  MakeNonBlocking(s.fd);
  return s;
}

// A plain listening socket on a free loopback port.
Socket ListenOn(int backlog) {
  Socket s(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_storage storage;
  socklen_t length = runtime::ToSockaddr(kLoopbackAnyPort, &storage);
  REQUIRE(bind(s.fd, reinterpret_cast<sockaddr*>(&storage), length) == 0);
  REQUIRE(listen(s.fd, backlog) == 0);
  MakeNonBlocking(s.fd);
  return s;
}

std::optional<Socket> TryAccept(const Socket& listener) {
  int fd = accept(listener.fd, nullptr, nullptr);
  if (fd < 0) return std::nullopt;
  MakeNonBlocking(fd);
  return Socket(fd);
}

std::unique_ptr<TcpRelayListener> Relay(Loop& loop, Sink& sink,
                                        core::RelayId id = core::RelayId{1}) {
  auto relay =
      TcpRelayListener::Listen(&loop.loop, id, kLoopbackAnyPort, &sink);
  REQUIRE(relay.ok());
  return *std::move(relay);
}

// Both remote ends of a splice and the splice itself: the "client" connects
// to one relay listener (standing in for the client listener), the "peer"
// to another, and the two accepted sockets are spliced.
struct SplicedPair {
  Sink sink;
  std::unique_ptr<TcpRelayListener> client_side;
  std::unique_ptr<TcpRelayListener> peer_side;
  std::optional<Socket> client;
  std::optional<Socket> peer;
  runtime::RuntimeStats counters;
  int closed_reports = 0;
  std::unique_ptr<Splice> splice;

  SplicedPair(Loop& loop, const std::string& client_unread,
              const std::string& peer_early, SpliceOptions options = {}) {
    client_side = Relay(loop, sink, core::RelayId{1});
    peer_side = Relay(loop, sink, core::RelayId{2});
    client.emplace(ConnectTo(client_side->local_address()));
    REQUIRE(loop.RunUntil([&] { return sink.accepted.size() == 1; }));
    peer.emplace(ConnectTo(peer_side->local_address()));
    REQUIRE(loop.RunUntil([&] { return sink.accepted.size() == 2; }));
    // Sent before the splice: TCP holds it, since nobody reads the peer.
    if (!peer_early.empty()) peer->SendAll(peer_early);
    splice = std::make_unique<Splice>(
        &loop.loop, sink.accepted[0]->Release(),
        absl::MakeConstSpan(
            reinterpret_cast<const uint8_t*>(client_unread.data()),
            client_unread.size()),
        sink.accepted[1]->Release(), options, &counters,
        [this] { ++closed_reports; });
  }
};

TEST_CASE(
    "a peer connecting to a relay listener is reported with its address") {
  Loop loop;
  Sink sink;
  std::unique_ptr<TcpRelayListener> relay = Relay(loop, sink);
  CHECK(relay->local_address().port != 0);
  Socket peer = ConnectTo(relay->local_address());
  REQUIRE(loop.RunUntil([&] { return sink.accepted.size() == 1; }));
  CHECK(sink.accepted[0]->peer() == peer.local());
  CHECK(sink.accepted[0]->relay() == core::RelayId{1});
  CHECK(sink.accepted[0]->connected());
  relay->Close();
  sink.accepted.clear();
}

TEST_CASE("a relay port held by another relay listener is refused") {
  // The listener binds without SO_REUSEPORT, so the port draw in the worker
  // sees EADDRINUSE and retries instead of sharing a relayed address.
  Loop loop;
  Sink sink;
  std::unique_ptr<TcpRelayListener> first = Relay(loop, sink);
  auto second = TcpRelayListener::Listen(&loop.loop, core::RelayId{2},
                                         first->local_address(), &sink);
  CHECK(absl::IsAlreadyExists(second.status()));
}

TEST_CASE("a connect leaves from the relayed address and port") {
  Loop loop;
  Sink sink;
  std::unique_ptr<TcpRelayListener> relay = Relay(loop, sink);
  Socket peer_listener = ListenOn(4);
  absl::Status error;
  std::unique_ptr<PeerConnection> connection =
      relay->Connect(core::ConnectionId{core::ConnectionId::kCoreAssigned | 1},
                     peer_listener.local(), milliseconds(5000), &error);
  REQUIRE(error.ok());
  REQUIRE(connection != nullptr);
  std::optional<Socket> accepted;
  REQUIRE(loop.RunUntil([&] {
    if (!accepted) accepted = TryAccept(peer_listener);
    return accepted && sink.connect_results.size() == 1;
  }));
  CHECK(sink.connect_results[0].ok());
  CHECK(connection->connected());
  sockaddr_storage storage;
  socklen_t length = sizeof(storage);
  REQUIRE(getpeername(accepted->fd, reinterpret_cast<sockaddr*>(&storage),
                      &length) == 0);
  // RFC 6062 §5.2: the peer sees the relayed transport address.
  CHECK(*runtime::FromSockaddr(reinterpret_cast<sockaddr*>(&storage)) ==
        relay->local_address());
  // And the listener still accepts peers on that port.
  Socket other = ConnectTo(relay->local_address());
  REQUIRE(loop.RunUntil([&] { return sink.accepted.size() == 1; }));
  sink.accepted.clear();
}

TEST_CASE("a connect to a closed port fails") {
  Loop loop;
  Sink sink;
  std::unique_ptr<TcpRelayListener> relay = Relay(loop, sink);
  TransportAddress closed_port;
  {
    Socket bound = ListenOn(1);
    closed_port = bound.local();
  }  // closed: nothing listens there now
  absl::Status error;
  std::unique_ptr<PeerConnection> connection =
      relay->Connect(core::ConnectionId{core::ConnectionId::kCoreAssigned | 2},
                     closed_port, milliseconds(5000), &error);
  REQUIRE(connection != nullptr);
  REQUIRE(loop.RunUntil([&] { return sink.connect_results.size() == 1; }));
  CHECK(absl::IsUnavailable(sink.connect_results[0]));
  CHECK_FALSE(connection->connected());
}

TEST_CASE("a connect that gets no answer times out") {
  Loop loop;
  Sink sink;
  std::unique_ptr<TcpRelayListener> relay = Relay(loop, sink);
  // A listener whose accept queue is full drops further SYNs: fill a
  // backlog of 0 (Linux then queues one) and never accept.
  Socket silent = ListenOn(0);
  std::vector<Socket> fillers;
  for (int i = 0; i < 2; ++i) {
    Socket s(socket(AF_INET, SOCK_STREAM, 0));
    MakeNonBlocking(s.fd);
    sockaddr_storage storage;
    socklen_t length = runtime::ToSockaddr(silent.local(), &storage);
    connect(s.fd, reinterpret_cast<sockaddr*>(&storage), length);
    fillers.push_back(std::move(s));
  }
  absl::Status error;
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<PeerConnection> connection =
      relay->Connect(core::ConnectionId{core::ConnectionId::kCoreAssigned | 3},
                     silent.local(), milliseconds(300), &error);
  REQUIRE(connection != nullptr);
  REQUIRE(loop.RunUntil([&] { return sink.connect_results.size() == 1; }));
  CHECK(absl::IsDeadlineExceeded(sink.connect_results[0]));
  // libuv's timers count from the loop's cached time, which may lag a few
  // ms behind the clock read above.
  CHECK(std::chrono::steady_clock::now() - start >= milliseconds(250));
}

TEST_CASE("a splice carries bytes both ways with the held bytes first") {
  Loop loop;
  SplicedPair pair(loop, "bind-tail|", "early|");
  pair.client->SendAll("from-client");
  pair.peer->SendAll("from-peer");
  std::string at_peer;
  std::string at_client;
  const bool arrived = loop.RunUntil([&] {
    pair.peer->ReadInto(at_peer);
    pair.client->ReadInto(at_client);
    return at_peer.size() == 21 && at_client.size() == 15;
  });
  INFO(at_peer, " / ", at_client);
  REQUIRE(arrived);
  // The bytes read past ConnectionBind lead; the peer's early bytes, held
  // by TCP while unread, come before its later ones.
  CHECK(at_peer == "bind-tail|from-client");
  CHECK(at_client == "early|from-peer");
  CHECK(pair.counters.spliced_bytes_client_to_peer == 21);
  CHECK(pair.counters.spliced_bytes_peer_to_client == 15);
  CHECK(pair.closed_reports == 0);
  pair.splice->Close();
  CHECK(pair.closed_reports == 0);  // the owner's close is not reported
}

// Writes a numbered pattern until the kernel pushes back, for at most
// `limit` bytes: returns how much was written.
size_t FillUntilBlocked(const Socket& s, size_t limit, size_t offset) {
  std::vector<char> chunk(16384);
  size_t written = 0;
  while (written < limit) {
    for (size_t i = 0; i < chunk.size(); ++i) {
      chunk[i] = static_cast<char>((offset + written + i) % 251);
    }
    ssize_t n = send(s.fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  return written;
}

TEST_CASE("a stalled reader stops the splice from reading and stays bounded") {
  Loop loop;
  SpliceOptions options;
  options.buffer_bytes = 8192;
  SplicedPair pair(loop, "", "", options);
  // The peer never reads: the client writes until TCP pushes back. Without
  // backpressure the splice would keep reading into its memory and the
  // client would never block within the limit.
  constexpr size_t kLimit = size_t{256} << 20;
  size_t sent = 0;
  bool blocked = false;
  loop.RunUntil(
      [&] {
        size_t n = FillUntilBlocked(*pair.client, kLimit - sent, sent);
        sent += n;
        // Blocked and stays blocked after the loop had a turn.
        blocked = n == 0 && sent > 0;
        return blocked || sent >= kLimit;
      },
      milliseconds(10000));
  REQUIRE(blocked);
  CHECK(sent < kLimit);
  CHECK(pair.splice->buffered_bytes() <= options.buffer_bytes);
  // Whatever was accepted arrives, in order, once the peer reads.
  std::string at_peer;
  REQUIRE(loop.RunUntil(
      [&] {
        pair.peer->ReadInto(at_peer);
        return at_peer.size() == sent;
      },
      milliseconds(10000)));
  bool in_order = true;
  for (size_t i = 0; i < at_peer.size(); ++i) {
    if (at_peer[i] != static_cast<char>(i % 251)) in_order = false;
  }
  CHECK(in_order);
  CHECK(pair.counters.spliced_bytes_client_to_peer == sent);
}

TEST_CASE(
    "a peer close flushes to the client then closes it and reports once") {
  Loop loop;
  SplicedPair pair(loop, "", "");
  pair.peer->SendAll("last words");
  shutdown(pair.peer->fd, SHUT_WR);
  std::string at_client;
  bool open = true;
  REQUIRE(loop.RunUntil([&] {
    open = pair.client->ReadInto(at_client);
    return !open;
  }));
  CHECK(at_client == "last words");
  CHECK(pair.closed_reports == 1);
  CHECK(pair.splice->closed());
}

TEST_CASE("a client close closes the peer and reports once") {
  Loop loop;
  SplicedPair pair(loop, "", "");
  pair.client->SendAll("bye");
  pair.client.reset();  // closed
  std::string at_peer;
  REQUIRE(loop.RunUntil([&] { return !pair.peer->ReadInto(at_peer); }));
  CHECK(at_peer == "bye");
  CHECK(pair.closed_reports == 1);
}

}  // namespace
}  // namespace turnpike::testing
