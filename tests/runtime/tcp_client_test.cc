// TURN clients over TCP (RFC 8656 §3.1, §12.5) against the real binary on
// loopback: answers and relayed data framed on the stream, the allocation
// tied to its connection (§3.2), the per-IP connection limit at accept
// (and lowering it by SIGHUP), the idle timeout, a slow and a stalled
// reader, and malformed bytes. Every case starts its own server; every
// wait is bounded.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "core/stun/constants.h"
#include "tests/runtime/tcp_stream.h"
#include "tests/runtime/temp_files.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turn_test_support.h"
#include "tests/runtime/turnpike_process.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::testing {
namespace {

using std::chrono::milliseconds;

const std::string kIp = "127.0.0.1";
constexpr uint16_t kChannel = 0x4001;

// A server with a TCP listener beside the UDP one, and its TCP address.
struct TcpServer {
  RunningTurnpike server;
  TransportAddress tcp;
};

std::optional<TcpServer> StartTcp(std::vector<std::string> extra) {
  std::vector<std::string> args = {"--listen", "tcp://127.0.0.1:0",
                                   "--relay-ip", kIp,        "--user",
                                   "alice:secret", "--peer-allow",
                                   "127.0.0.0/8"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::optional<RunningTurnpike> server = StartTurnpike(kIp, args);
  if (!server) return std::nullopt;
  std::optional<TransportAddress> tcp =
      ListeningAddressOf(server->process->Output(), "tcp");
  if (!tcp) {
    MESSAGE("no tcp listener in:\n" << server->process->Output());
    return std::nullopt;
  }
  return TcpServer{std::move(*server), *tcp};
}

TurnClient TcpClient(const std::string& ip, const TcpServer& server,
                     std::optional<int> receive_buffer = std::nullopt) {
  std::optional<TurnClient> client =
      TurnClient::CreateTcp(ip, server.tcp, receive_buffer);
  REQUIRE_MESSAGE(client.has_value(), "cannot connect to " << server.tcp);
  client->SetCredentials("alice", "secret");
  return std::move(*client);
}

bool Answers(TurnClient& client) {
  std::optional<TurnReply> reply = client.Binding();
  return reply.has_value() && reply->ok();
}

// Allocates, permits `peer` and binds kChannel to it; the relayed address.
TransportAddress AllocateWithChannel(TurnClient& client, UdpSocket& peer) {
  std::optional<TurnReply> reply = client.Allocate();
  REQUIRE(reply.has_value());
  REQUIRE_MESSAGE(reply->ok(), "Allocate: " << reply->error_code);
  const TransportAddress relayed = reply->relayed.at(0);
  reply = client.ChannelBind(kChannel, AddressOf(peer));
  REQUIRE(reply.has_value());
  REQUIRE_MESSAGE(reply->ok(), "ChannelBind: " << reply->error_code);
  return relayed;
}

// A payload whose bytes say which message it is (its sequence number,
// repeated) and whose odd length needs stream padding.
Payload Numbered(uint32_t sequence, size_t size) {
  Payload bytes(size);
  for (size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<uint8_t>(sequence >> (8 * (i % 4)));
  }
  return bytes;
}

TEST_CASE("a TCP client is answered and relays through a channel") {
  std::optional<TcpServer> server = StartTcp({});
  REQUIRE(server.has_value());
  TurnClient client = TcpClient(kIp, *server);
  std::optional<TurnReply> binding = client.Binding();
  REQUIRE(binding.has_value());
  REQUIRE(binding->ok());
  // XOR-MAPPED-ADDRESS is the TCP connection's source.
  CHECK(binding->mapped == client.local_address());

  std::optional<UdpSocket> peer = UdpSocket::Bind(kIp);
  REQUIRE(peer.has_value());
  const TransportAddress relayed = AllocateWithChannel(client, *peer);
  // Odd sizes: the client pads its ChannelData, and the server must pad
  // what it sends or the stream's framing breaks (RFC 8656 §12.5).
  for (size_t size : {1, 3, 5, 1001}) {
    const Payload out = Numbered(static_cast<uint32_t>(size), size);
    REQUIRE(client.SendChannelData(kChannel, out));
    std::optional<Datagram> at_peer = peer->ReceiveFrom(kDatagramTimeout);
    REQUIRE(at_peer.has_value());
    CHECK(at_peer->bytes == out);
    CHECK(at_peer->source_port == relayed.port);
    REQUIRE(peer->SendTo(relayed.ip.ToString(), relayed.port, out));
    std::optional<RelayedData> back = client.ReceiveRelayed();
    REQUIRE_MESSAGE(back.has_value(),
                    "no ChannelData of " << size << " bytes back; framing "
                                         << client.stream()->framing_error());
    CHECK(back->via_channel);
    CHECK(back->channel == kChannel);
    CHECK(back->data == out);
  }
  ExpectCleanExit(server->server);
}

TEST_CASE("closing the TCP connection deletes its allocation") {
  TempDir dir;
  const auto events = dir.path() / "events.jsonl";
  std::optional<TcpServer> server =
      StartTcp({"--event-output", events.string()});
  REQUIRE(server.has_value());
  std::optional<UdpSocket> peer = UdpSocket::Bind(kIp);
  REQUIRE(peer.has_value());
  std::string relayed_text;
  {
    TurnClient client = TcpClient(kIp, *server);
    relayed_text = AllocateWithChannel(client, *peer).ToString();
  }  // the connection closes here
  CHECK_MESSAGE(WaitForFileText(events, "\"reason\":\"connection_closed\""),
                "no allocation_deleted/connection_closed event");
  CHECK(EventFileHasLine(events, {"\"event\":\"allocation_deleted\"",
                                  "\"reason\":\"connection_closed\"",
                                  relayed_text}));
  ExpectCleanExit(server->server);
}

TEST_CASE("a slow TCP reader gets every message whole and in order") {
  std::optional<TcpServer> server = StartTcp({});
  REQUIRE(server.has_value());
  std::optional<UdpSocket> peer = UdpSocket::Bind(kIp);
  REQUIRE(peer.has_value());
  // A 4 KiB receive window: the server's sends stop fitting at once, so
  // most of what follows waits in its write queue (and the kernel's).
  TurnClient client = TcpClient(kIp, *server, 4096);
  const TransportAddress relayed = AllocateWithChannel(client, *peer);
  // A round trip of another client every 50 datagrams keeps the peer from
  // outrunning the relay socket's receive buffer (about 90 datagrams of
  // this size), which would lose datagrams on the UDP leg.
  TurnClient pacer = TcpClient(kIp, *server);
  // 150 KB: inside the 256 KiB write queue, so nothing may be dropped.
  constexpr uint32_t kCount = 150;
  for (uint32_t i = 0; i < kCount; ++i) {
    REQUIRE(peer->SendTo(relayed.ip.ToString(), relayed.port,
                         Numbered(i, 999)));
    if (i % 50 == 49) REQUIRE(Answers(pacer));
  }
  for (uint32_t i = 0; i < kCount; ++i) {
    std::optional<RelayedData> data = client.ReceiveRelayed();
    REQUIRE_MESSAGE(data.has_value(), "message " << i << " missing; framing "
                                                 << client.stream()
                                                        ->framing_error());
    REQUIRE(data->data == Numbered(i, 999));
  }
  ExpectCleanExit(server->server);
}

TEST_CASE("a stalled TCP reader drops whole messages and others are served") {
  std::optional<TcpServer> server = StartTcp({});
  REQUIRE(server.has_value());
  std::optional<UdpSocket> peer = UdpSocket::Bind(kIp);
  REQUIRE(peer.has_value());
  TurnClient stalled = TcpClient(kIp, *server, 4096);
  const TransportAddress relayed = AllocateWithChannel(stalled, *peer);
  TurnClient other = TcpClient(kIp, *server);
  // 4 MB towards a client that reads nothing: far past the 256 KiB queue
  // and the kernel's buffers. Meanwhile the other TCP client is answered;
  // its round trip every 50 datagrams also keeps the peer from
  // outrunning the relay socket's receive buffer, so the datagrams reach
  // the write queue rather than die in the kernel.
  constexpr uint32_t kCount = 4000;
  for (uint32_t i = 0; i < kCount; ++i) {
    REQUIRE(peer->SendTo(relayed.ip.ToString(), relayed.port,
                         Numbered(i, 999)));
    if (i % 50 == 49) REQUIRE_MESSAGE(Answers(other), "after " << i);
  }
  std::optional<UdpSocket> other_peer = UdpSocket::Bind(kIp);
  REQUIRE(other_peer.has_value());
  const TransportAddress other_relayed =
      AllocateWithChannel(other, *other_peer);
  REQUIRE(other_peer->SendTo(other_relayed.ip.ToString(), other_relayed.port,
                             Bytes("still served")));
  std::optional<RelayedData> back = other.ReceiveRelayed();
  REQUIRE(back.has_value());
  CHECK(back->data == Bytes("still served"));
  // The stalled reader now reads: what it gets is whole and in order, with
  // whole messages missing where the queue was full.
  uint32_t received = 0;
  int64_t last = -1;
  while (std::optional<RelayedData> data =
             stalled.ReceiveRelayed(milliseconds(2000))) {
    REQUIRE(data->data.size() == 999);
    const uint32_t sequence = data->data[0] | uint32_t{data->data[1]} << 8 |
                              uint32_t{data->data[2]} << 16 |
                              uint32_t{data->data[3]} << 24;
    REQUIRE(data->data == Numbered(sequence, 999));
    REQUIRE(static_cast<int64_t>(sequence) > last);
    last = sequence;
    ++received;
  }
  CHECK_FALSE(stalled.stream()->framing_error());
  CHECK(received > 0);
  CHECK(received < kCount);  // the queue's bound held: some were dropped
  ExpectCleanExit(server->server);
  // ...and turnpike counted them.
  const std::string output = server->server.process->Output();
  const size_t at = output.find("tcp clients: ");
  REQUIRE_MESSAGE(at != std::string::npos, "no tcp summary:\n" << output);
  const size_t drops_end =
      output.find(" messages dropped on a full write queue", at);
  REQUIRE(drops_end != std::string::npos);
  const size_t drops_start = output.rfind(' ', drops_end - 1) + 1;
  CHECK_MESSAGE(std::stoul(output.substr(drops_start, drops_end - drops_start)) > 0, "received " << received << ", output " << output);
}

TEST_CASE("a connection flood from one IP hits the limit and another IP is served") {
  std::optional<TcpServer> server =
      StartTcp({"--max-connections-per-ip", "4"});
  REQUIRE(server.has_value());
  std::vector<TurnClient> flood;
  for (int i = 0; i < 4; ++i) {
    flood.push_back(TcpClient("127.0.0.2", *server));
    REQUIRE_MESSAGE(Answers(flood.back()), "connection " << i);
  }
  // The kernel completes the handshake before turnpike accepts, so the
  // fifth connects and is then reset, unanswered.
  for (int i = 0; i < 3; ++i) {
    std::optional<TcpStream> refused =
        TcpStream::Connect("127.0.0.2", server->tcp);
    if (!refused) continue;  // reset before connect() returned: also fine
    CHECK(refused->WaitClosed(kLogTimeout));
  }
  // 127.0.0.3 has its own count.
  TurnClient other = TcpClient("127.0.0.3", *server);
  CHECK(Answers(other));
  // The four of 127.0.0.2 are still served; one closing frees a slot.
  for (TurnClient& client : flood) CHECK(Answers(client));
  flood.pop_back();
  bool admitted = false;
  for (int attempt = 0; attempt < 50 && !admitted; ++attempt) {
    std::optional<TurnClient> again =
        TurnClient::CreateTcp("127.0.0.2", server->tcp);
    admitted = again.has_value() && Answers(*again);
  }
  CHECK(admitted);
  ExpectCleanExit(server->server);
}

TEST_CASE("lowering max-connections-per-ip by SIGHUP keeps existing connections") {
  TempDir dir;
  const auto config = dir.path() / "turnpike.conf";
  {
    std::ofstream out(config);
    out << "max-connections-per-ip = 3\n";
  }
  std::optional<TcpServer> server = StartTcp({"--config", config.string()});
  REQUIRE(server.has_value());
  // Two of three: under the old limit a third would be let in.
  std::vector<TurnClient> clients;
  for (int i = 0; i < 2; ++i) {
    clients.push_back(TcpClient("127.0.0.4", *server));
    REQUIRE(Answers(clients.back()));
  }
  {
    std::ofstream out(config, std::ios::trunc);
    out << "max-connections-per-ip = 1\n";
  }
  server->server.process->Signal(SIGHUP);
  REQUIRE_MESSAGE(
      WaitForOutput(*server->server.process, "max-connections-per-ip 1 "),
      "no reload line; output:\n" << server->server.process->Output());
  for (TurnClient& client : clients) CHECK(Answers(client));
  std::optional<TcpStream> refused =
      TcpStream::Connect("127.0.0.4", server->tcp);
  if (refused) CHECK(refused->WaitClosed(kLogTimeout));
  // Nobody was evicted: both still answer after the refusal.
  for (TurnClient& client : clients) CHECK(Answers(client));
  ExpectCleanExit(server->server);
}

TEST_CASE("a TCP connection without an allocation is closed when idle") {
  std::optional<TcpServer> server = StartTcp({"--idle-timeout", "1"});
  REQUIRE(server.has_value());
  std::optional<UdpSocket> peer = UdpSocket::Bind(kIp);
  REQUIRE(peer.has_value());
  TurnClient allocated = TcpClient(kIp, *server);
  AllocateWithChannel(allocated, *peer);
  TurnClient idle = TcpClient(kIp, *server);
  REQUIRE(Answers(idle));  // a Binding is no allocation
  CHECK(idle.stream()->WaitClosed(kLogTimeout));
  // The one with an allocation outlived the timeout and is still served.
  CHECK(Answers(allocated));
  ExpectCleanExit(server->server);
}

TEST_CASE("malformed bytes on a TCP connection close only that connection") {
  std::optional<TcpServer> server = StartTcp({});
  REQUIRE(server.has_value());
  TurnClient good = TcpClient(kIp, *server);
  REQUIRE(Answers(good));
  std::optional<TcpStream> bad = TcpStream::Connect(kIp, server->tcp);
  REQUIRE(bad.has_value());
  // First two bits 0b11: neither STUN nor ChannelData (RFC 8656 §12).
  REQUIRE(bad->Send({0xFF, 0xFF, 0x00, 0x04, 1, 2, 3, 4}));
  CHECK(bad->WaitClosed(kLogTimeout));
  CHECK(Answers(good));
  ExpectCleanExit(server->server);
}

}  // namespace
}  // namespace turnpike::testing
