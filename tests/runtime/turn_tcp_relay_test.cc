// RFC 6062 TCP relays end to end against the real binary on loopback: a
// TCP allocation over a TCP control connection, Connect to a listening
// peer and ConnectionBind on a second connection (§5.2, §5.4), a peer
// connecting to the relayed address and announced by ConnectionAttempt
// (§5.3), bytes both ways through the runtime's splice and a close
// carried across, and the peer policy refusing a Connect. Every case
// starts its own server; every wait is bounded.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/stun/constants.h"
#include "tests/runtime/tcp_stream.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turn_test_support.h"
#include "tests/runtime/turnpike_process.h"

namespace turnpike::testing {
namespace {

using std::chrono::milliseconds;

const std::string kIp = "127.0.0.1";
// RFC 6062 §6.1: REQUESTED-TRANSPORT for TCP is protocol 6.
constexpr uint8_t kTcpProtocol = 6;
constexpr milliseconds kWait{10000};

// IPv4 only: every address here is on 127.0.0.1 (the integration tests do
// not link the runtime's own conversion, whose bugs they could mirror).
sockaddr_in ToSockaddrIn(const TransportAddress& address) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(address.port);
  std::memcpy(&sin.sin_addr, address.ip.bytes().data(), 4);
  return sin;
}
TransportAddress FromSockaddrIn(const sockaddr_in& sin) {
  std::array<uint8_t, 4> bytes;
  std::memcpy(bytes.data(), &sin.sin_addr, 4);
  return TransportAddress{IpAddress::V4(bytes), ntohs(sin.sin_port)};
}

struct TcpServer {
  RunningTurnpike server;
  TransportAddress tcp;
};

std::optional<TcpServer> StartTcp(std::vector<std::string> extra) {
  std::vector<std::string> args = {"--listen",   "tcp://127.0.0.1:0",
                                   "--relay-ip", kIp,
                                   "--user",     "alice:secret"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::optional<RunningTurnpike> server = StartTurnpike(kIp, args);
  if (!server) return std::nullopt;
  std::optional<TransportAddress> tcp =
      ListeningAddressOf(server->process->Output(), "tcp");
  if (!tcp) return std::nullopt;
  return TcpServer{std::move(*server), *tcp};
}

TurnClient TcpClient(const TcpServer& server) {
  std::optional<TurnClient> client = TurnClient::CreateTcp(kIp, server.tcp);
  REQUIRE_MESSAGE(client.has_value(), "cannot connect to " << server.tcp);
  client->SetCredentials("alice", "secret");
  return std::move(*client);
}

// A plain TCP socket of the test's (the peer), closed at the end.
struct PeerSocket {
  int fd = -1;
  explicit PeerSocket(int f) : fd(f) {}
  PeerSocket(PeerSocket&& other) noexcept : fd(other.fd) { other.fd = -1; }
  PeerSocket& operator=(PeerSocket&&) = delete;
  ~PeerSocket() {
    if (fd >= 0) close(fd);
  }
  TransportAddress Name(bool remote) const {
    sockaddr_in sin{};
    socklen_t length = sizeof(sin);
    if (remote) {
      getpeername(fd, reinterpret_cast<sockaddr*>(&sin), &length);
    } else {
      getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &length);
    }
    return FromSockaddrIn(sin);
  }
  bool Send(const std::string& text) const {
    return send(fd, text.data(), text.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(text.size());
  }
  // Exactly `size` bytes within kWait, or what came before a close.
  std::string Receive(size_t size) const {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (got.size() < size && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 50) != 1) continue;
      char buffer[4096];
      ssize_t n =
          recv(fd, buffer, std::min(sizeof(buffer), size - got.size()), 0);
      if (n <= 0) break;
      got.append(buffer, static_cast<size_t>(n));
    }
    return got;
  }
  // True when the other side closed within kWait.
  bool WaitClosed() const {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 50) != 1) continue;
      char buffer[256];
      if (recv(fd, buffer, sizeof(buffer), 0) <= 0) return true;
    }
    return false;
  }
};

PeerSocket Listener() {
  PeerSocket s(socket(AF_INET, SOCK_STREAM, 0));
  const sockaddr_in sin =
      ToSockaddrIn(TransportAddress{IpAddress::V4({127, 0, 0, 1}), 0});
  REQUIRE(bind(s.fd, reinterpret_cast<const sockaddr*>(&sin), sizeof(sin)) ==
          0);
  REQUIRE(listen(s.fd, 4) == 0);
  return s;
}

std::optional<PeerSocket> AcceptWithin(const PeerSocket& listener) {
  pollfd p{listener.fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(kWait.count())) != 1) return std::nullopt;
  return PeerSocket(accept(listener.fd, nullptr, nullptr));
}

std::string Text(const std::optional<std::vector<uint8_t>>& bytes) {
  return bytes ? std::string(bytes->begin(), bytes->end()) : "<nothing>";
}

TransportAddress AllocateTcp(TurnClient& control) {
  AllocateOptions options;
  options.requested_transport = kTcpProtocol;
  std::optional<TurnReply> reply = control.Allocate(options);
  REQUIRE(reply.has_value());
  REQUIRE_MESSAGE(reply->ok(), "Allocate: " << reply->error_code);
  REQUIRE(reply->relayed.size() == 1);
  return reply->relayed[0];
}

TEST_CASE("a TCP allocation connects to a peer and splices bytes both ways") {
  std::optional<TcpServer> server = StartTcp({"--peer-allow", "127.0.0.0/8"});
  REQUIRE(server.has_value());
  PeerSocket listener = Listener();
  const TransportAddress peer_address = listener.Name(false);

  TurnClient control = TcpClient(*server);
  const TransportAddress relayed = AllocateTcp(control);
  std::optional<TurnReply> permission =
      control.CreatePermission({peer_address});
  REQUIRE(permission.has_value());
  CHECK(permission->ok());
  std::optional<TurnReply> connected = control.Connect(peer_address);
  REQUIRE(connected.has_value());
  REQUIRE_MESSAGE(connected->ok(), "Connect: " << connected->error_code);
  REQUIRE(connected->connection_id.has_value());

  std::optional<PeerSocket> peer = AcceptWithin(listener);
  REQUIRE(peer.has_value());
  // RFC 6062 §5.2: the connection comes from the relayed address itself.
  CHECK(peer->Name(true) == relayed);
  // Sent before the bind: held by TCP, delivered once spliced.
  REQUIRE(peer->Send("peer-early|"));

  TurnClient data = TcpClient(*server);
  std::optional<TurnReply> bound =
      data.ConnectionBind(*connected->connection_id);
  REQUIRE(bound.has_value());
  REQUIRE_MESSAGE(bound->ok(), "ConnectionBind: " << bound->error_code);

  CHECK(Text(data.stream()->ReceiveRaw(11, kWait)) == "peer-early|");
  REQUIRE(data.stream()->Send(Bytes("to the peer, unframed")));
  CHECK(peer->Receive(21) == "to the peer, unframed");
  REQUIRE(peer->Send("and back"));
  CHECK(Text(data.stream()->ReceiveRaw(8, kWait)) == "and back");

  // The pair dies together (§5.4); the control connection lives on.
  peer.reset();
  CHECK(data.stream()->WaitClosed(kWait));
  std::optional<TurnReply> refreshed = control.Refresh(std::nullopt);
  REQUIRE(refreshed.has_value());
  CHECK(refreshed->ok());
  ExpectCleanExit(server->server);
}

TEST_CASE("a peer connecting to the relayed address is announced and spliced") {
  std::optional<TcpServer> server = StartTcp({"--peer-allow", "127.0.0.0/8"});
  REQUIRE(server.has_value());
  TurnClient control = TcpClient(*server);
  const TransportAddress relayed = AllocateTcp(control);
  // §5.3: a peer needs a permission for its IP address.
  std::optional<TurnReply> permission =
      control.CreatePermission({TransportAddress{relayed.ip, 9}});
  REQUIRE(permission.has_value());
  REQUIRE(permission->ok());

  PeerSocket peer(socket(AF_INET, SOCK_STREAM, 0));
  const sockaddr_in sin = ToSockaddrIn(relayed);
  REQUIRE(connect(peer.fd, reinterpret_cast<const sockaddr*>(&sin),
                  sizeof(sin)) == 0);
  REQUIRE(peer.Send("knock knock|"));

  std::optional<TurnClient::ConnectionAttempt> attempt =
      control.ReceiveConnectionAttempt(kWait);
  REQUIRE(attempt.has_value());
  CHECK(attempt->peer == peer.Name(false));

  std::optional<TurnClient> data(TcpClient(*server));
  std::optional<TurnReply> bound = data->ConnectionBind(attempt->connection_id);
  REQUIRE(bound.has_value());
  REQUIRE_MESSAGE(bound->ok(), "ConnectionBind: " << bound->error_code);
  CHECK(Text(data->stream()->ReceiveRaw(12, kWait)) == "knock knock|");
  REQUIRE(data->stream()->Send(Bytes("who is there")));
  CHECK(peer.Receive(12) == "who is there");

  // A client close reaches the peer.
  data.reset();
  CHECK(peer.WaitClosed());
  ExpectCleanExit(server->server);
}

TEST_CASE("the peer policy refuses a Connect to a denied address") {
  // Loopback is denied outright, relay range or not.
  std::optional<TcpServer> server = StartTcp({"--peer-deny", "127.0.0.0/8"});
  REQUIRE(server.has_value());
  PeerSocket listener = Listener();
  TurnClient control = TcpClient(*server);
  AllocateTcp(control);
  std::optional<TurnReply> refused = control.Connect(listener.Name(false));
  REQUIRE(refused.has_value());
  CHECK(refused->error_code == stun::error_code::kForbidden);
  // Nothing reached the peer.
  pollfd p{listener.fd, POLLIN, 0};
  CHECK(poll(&p, 1, static_cast<int>(kSilenceWindow.count())) == 0);
  ExpectCleanExit(server->server);
}

}  // namespace
}  // namespace turnpike::testing
