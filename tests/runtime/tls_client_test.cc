// TURN over TLS and DTLS against the real binary on loopback (RFC 8656
// §3.1, RFC 7350): a TLS client relays through a channel (through
// TlsBridge, so the test's TurnClient needs no TLS of its own), SIGHUP
// swaps the certificate while a TLS connection stays up, a stalled TLS
// handshake is dropped, and DTLS half-open associations are bounded by
// max-dtls-handshakes, max-connections-per-ip and the handshake timeout.
// Every case starts its own server; every wait is bounded.
#include <doctest/doctest.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "tests/runtime/tcp_stream.h"
#include "tests/runtime/temp_files.h"
#include "tests/runtime/tls_bridge.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turn_test_support.h"
#include "tests/runtime/turnpike_process.h"
#include "tests/runtime/udp_socket.h"
#include "tests/transport/dtls_client_hello_sample.h"
#include "tests/transport/test_certificate.h"

namespace turnpike::testing {
namespace {

using std::chrono::milliseconds;

const std::string kIp = "127.0.0.1";
constexpr uint16_t kChannel = 0x4001;

void WriteCertificate(const TempDir& dir, const std::string& common_name) {
  const TestCertificate cert = MakeSelfSigned(common_name);
  // Written whole then renamed, so a reload never reads half a file.
  for (const auto& [name, text] :
       {std::pair{"cert.pem", cert.certificate_pem},
        std::pair{"key.pem", cert.key_pem}}) {
    const auto temp = dir.path() / (std::string(name) + ".new");
    std::ofstream(temp, std::ios::binary) << text;
    std::filesystem::rename(temp, dir.path() / name);
  }
}

// A server with a `scheme`:// listener beside the UDP one, and its address.
struct SecureServer {
  RunningTurnpike server;
  TransportAddress secure;
};

std::optional<SecureServer> StartSecure(const TempDir& dir,
                                        const std::string& scheme,
                                        std::vector<std::string> extra) {
  std::vector<std::string> args = {
      "--listen",     scheme + "://127.0.0.1:0",
      "--tls-cert",   (dir.path() / "cert.pem").string(),
      "--tls-key",    (dir.path() / "key.pem").string(),
      "--relay-ip",   kIp,
      "--user",       "alice:secret",
      "--peer-allow", "127.0.0.0/8"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::optional<RunningTurnpike> server = StartTurnpike(kIp, args);
  if (!server) return std::nullopt;
  std::optional<TransportAddress> secure =
      ListeningAddressOf(server->process->Output(), scheme);
  if (!secure) {
    MESSAGE("no " << scheme << " listener in:\n" << server->process->Output());
    return std::nullopt;
  }
  return SecureServer{std::move(*server), *secure};
}

TurnClient ClientThrough(const TlsBridge& bridge) {
  std::optional<TurnClient> client =
      TurnClient::CreateTcp(kIp, bridge.address());
  REQUIRE_MESSAGE(client.has_value(), "cannot connect to the TLS bridge");
  client->SetCredentials("alice", "secret");
  return std::move(*client);
}

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

// One payload to the peer through the relay and back.
void RoundTrip(TurnClient& client, UdpSocket& peer,
               const TransportAddress& relayed, const Payload& out) {
  REQUIRE(client.SendChannelData(kChannel, out));
  std::optional<Datagram> at_peer = peer.ReceiveFrom(kDatagramTimeout);
  REQUIRE(at_peer.has_value());
  CHECK(at_peer->bytes == out);
  REQUIRE(peer.SendTo(relayed.ip.ToString(), relayed.port, out));
  std::optional<RelayedData> back = client.ReceiveRelayed();
  REQUIRE(back.has_value());
  CHECK(back->via_channel);
  CHECK(back->data == out);
}

TEST_CASE("a TLS client is answered and relays through a channel") {
  TempDir dir;
  WriteCertificate(dir, "first.test");
  std::optional<SecureServer> server = StartSecure(dir, "tls", {});
  REQUIRE(server.has_value());
  std::unique_ptr<TlsBridge> bridge = TlsBridge::Start(server->secure);
  REQUIRE(bridge != nullptr);
  TurnClient client = ClientThrough(*bridge);
  CHECK(bridge->WaitPeerCommonName() == "first.test");
  std::optional<TurnReply> binding = client.Binding();
  REQUIRE(binding.has_value());
  CHECK(binding->ok());
  CHECK(bridge->alpn() == "stun.turn");  // RFC 7443

  std::optional<UdpSocket> peer = UdpSocket::Bind(kIp);
  REQUIRE(peer.has_value());
  const TransportAddress relayed = AllocateWithChannel(client, *peer);
  for (size_t size : {1, 3, 1001, 5000}) {
    RoundTrip(client, *peer, relayed, Payload(size, static_cast<uint8_t>(size)));
  }
  ExpectCleanExit(server->server);
}

TEST_CASE("SIGHUP swaps the certificate while a TLS connection stays up") {
  TempDir dir;
  WriteCertificate(dir, "first.test");
  std::optional<SecureServer> server = StartSecure(dir, "tls", {});
  REQUIRE(server.has_value());
  std::unique_ptr<TlsBridge> old_bridge = TlsBridge::Start(server->secure);
  REQUIRE(old_bridge != nullptr);
  TurnClient old_client = ClientThrough(*old_bridge);
  std::optional<UdpSocket> peer = UdpSocket::Bind(kIp);
  REQUIRE(peer.has_value());
  const TransportAddress relayed = AllocateWithChannel(old_client, *peer);
  REQUIRE(old_bridge->WaitPeerCommonName() == "first.test");

  WriteCertificate(dir, "second.test");
  server->server.process->Signal(SIGHUP);
  REQUIRE(WaitForOutput(*server->server.process, "certificate reloaded"));

  std::unique_ptr<TlsBridge> new_bridge = TlsBridge::Start(server->secure);
  REQUIRE(new_bridge != nullptr);
  TurnClient new_client = ClientThrough(*new_bridge);
  std::optional<TurnReply> binding = new_client.Binding();
  REQUIRE(binding.has_value());
  CHECK(binding->ok());
  CHECK(new_bridge->WaitPeerCommonName() == "second.test");

  // The first connection kept its session and its allocation.
  CHECK_FALSE(old_bridge->server_closed());
  RoundTrip(old_client, *peer, relayed, Payload(100, 0x42));
  std::optional<TurnReply> refresh = old_client.Refresh(600);
  REQUIRE(refresh.has_value());
  CHECK(refresh->ok());
  ExpectCleanExit(server->server);
}

TEST_CASE("a TLS client that never finishes its handshake is dropped") {
  TempDir dir;
  WriteCertificate(dir, "first.test");
  std::optional<SecureServer> server =
      StartSecure(dir, "tls", {"--tls-handshake-timeout", "1"});
  REQUIRE(server.has_value());
  std::optional<TcpStream> stalled = TcpStream::Connect(kIp, server->secure);
  REQUIRE(stalled.has_value());
  const auto start = std::chrono::steady_clock::now();
  CHECK(stalled->WaitClosed(milliseconds(10000)));
  // Closed by the timer, not at once for some other reason.
  CHECK(std::chrono::steady_clock::now() - start >= milliseconds(900));
  ExpectCleanExit(server->server);
}

// Whether the server answers a ClientHello from `socket` (its flight).
bool AnswersHello(UdpSocket& socket, const TransportAddress& server,
                  milliseconds wait) {
  REQUIRE(socket.SendTo(server.ip.ToString(), server.port,
                        testing::DtlsClientHelloSample()));
  return socket.ReceiveFrom(wait).has_value();
}

TEST_CASE("DTLS half-open associations are capped and expire") {
  TempDir dir;
  WriteCertificate(dir, "first.test");
  std::optional<SecureServer> server =
      StartSecure(dir, "dtls", {"--max-dtls-handshakes", "2",
                                "--tls-handshake-timeout", "2"});
  REQUIRE(server.has_value());
  std::vector<UdpSocket> clients;
  for (int i = 0; i < 3; ++i) {
    std::optional<UdpSocket> socket = UdpSocket::Bind(kIp);
    REQUIRE(socket.has_value());
    clients.push_back(std::move(*socket));
  }
  // Not a ClientHello: no answer, and it takes no handshake slot.
  std::optional<UdpSocket> stranger = UdpSocket::Bind(kIp);
  REQUIRE(stranger.has_value());
  for (const std::vector<uint8_t>& junk :
       {std::vector<uint8_t>(60, 0x16), std::vector<uint8_t>{0x16, 0xfe}}) {
    REQUIRE(stranger->SendTo(kIp, server->secure.port, junk));
  }
  CHECK(AnswersHello(clients[0], server->secure, kDatagramTimeout));
  CHECK(AnswersHello(clients[1], server->secure, kDatagramTimeout));
  // Both slots are held by clients that stopped after their hello.
  CHECK_FALSE(AnswersHello(clients[2], server->secure, milliseconds(1000)));
  // The handshake timeout frees them (2 s), and the third is served.
  bool answered = false;
  for (int attempt = 0; attempt < 10 && !answered; ++attempt) {
    answered = AnswersHello(clients[2], server->secure, milliseconds(1000));
  }
  CHECK(answered);
  ExpectCleanExit(server->server);
}

TEST_CASE("DTLS associations count against max-connections-per-ip") {
  TempDir dir;
  WriteCertificate(dir, "first.test");
  std::optional<SecureServer> server =
      StartSecure(dir, "dtls", {"--max-connections-per-ip", "1"});
  REQUIRE(server.has_value());
  std::optional<UdpSocket> first = UdpSocket::Bind(kIp);
  std::optional<UdpSocket> second = UdpSocket::Bind(kIp);
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(AnswersHello(*first, server->secure, kDatagramTimeout));
  CHECK_FALSE(AnswersHello(*second, server->secure, milliseconds(1000)));
  ExpectCleanExit(server->server);
}

}  // namespace
}  // namespace turnpike::testing
