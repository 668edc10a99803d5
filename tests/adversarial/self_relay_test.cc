// The real binary must not relay into itself (issue 13 item 4;
// docs/security.md "The relay never relays into itself"): two clients of
// one turnpike on loopback reach each other's relayed addresses, with
// loopback denied by the peer filter (the relay's own address is let
// through) and with it allowed, while a Send indication to the listening
// port or to a local port outside the relay range gets nothing back and
// reaches nobody.
#include <doctest/doctest.h>
#include <signal.h>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/stun/constants.h"
#include "core/stun/message_builder.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turnpike_process.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::testing {
namespace {

constexpr char kIp[] = "127.0.0.1";
// turnpike's default relay range, given explicitly: StartTurnpike widens it
// for the other loopback tests.
constexpr uint16_t kMinRelayPort = 49152;
// Loopback delivers in well under a millisecond: silence over this long
// means dropped.
constexpr std::chrono::milliseconds kSilence{300};
constexpr std::chrono::milliseconds kDatagramTimeout{3000};

const std::vector<std::string> kLoopbackDenied = {};
const std::vector<std::string> kLoopbackAllowed = {"--peer-allow",
                                                   "127.0.0.0/8"};

Payload Bytes(const std::string& text) {
  return Payload(text.begin(), text.end());
}

TransportAddress AddressOf(const UdpSocket& socket) {
  return TransportAddress{*IpAddress::Parse(socket.local_ip()),
                          socket.local_port()};
}

RunningTurnpike Start(const std::vector<std::string>& peer_rules) {
  std::vector<std::string> args = {"--relay-ip", kIp,
                                   "--min-port", std::to_string(kMinRelayPort),
                                   "--user",     "alice:secret",
                                   "--user",     "bob:secret"};
  args.insert(args.end(), peer_rules.begin(), peer_rules.end());
  std::optional<RunningTurnpike> server = StartTurnpike(kIp, args);
  REQUIRE(server.has_value());
  return std::move(*server);
}

void StopCleanly(RunningTurnpike& server) {
  std::optional<ExitInfo> exit = StopWith(*server.process, SIGTERM);
  REQUIRE_MESSAGE(exit.has_value(), "turnpike did not exit after SIGTERM");
  INFO("output:\n" << server.process->Output());
  CHECK(exit->exited);
  CHECK(exit->code == 0);
}

struct Client {
  TurnClient turn;
  TransportAddress relayed;
};

Client Allocate(const RunningTurnpike& server, const std::string& user) {
  std::optional<TurnClient> client = TurnClient::Create(kIp, server.address);
  REQUIRE(client.has_value());
  client->SetCredentials(user, "secret");
  std::optional<TurnReply> reply = client->Allocate();
  REQUIRE_MESSAGE(reply.has_value(), "no answer to Allocate");
  REQUIRE_MESSAGE(reply->ok(), "Allocate failed: " << reply->error_code);
  REQUIRE(reply->relayed.size() == 1);
  return Client{std::move(*client), reply->relayed.front()};
}

void Permit(Client& client, const TransportAddress& peer) {
  std::optional<TurnReply> reply = client.turn.CreatePermission({peer});
  REQUIRE(reply.has_value());
  REQUIRE_MESSAGE(reply->ok(), "CreatePermission failed: " << reply->error_code
                                                           << " for "
                                                           << peer.ToString());
}

// A socket on `ip` whose ephemeral port is below (or, `in_range`, inside)
// the relay range; the kernel's range (32768-60999 on Linux) straddles it.
UdpSocket BindPort(const std::string& ip, bool in_range) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::optional<UdpSocket> socket = UdpSocket::Bind(ip);
    REQUIRE(socket.has_value());
    if ((socket->local_port() >= kMinRelayPort) == in_range) {
      return std::move(*socket);
    }
  }
  FAIL("no ephemeral port " << (in_range ? "inside" : "below")
                            << " the relay range in 64 tries");
  return *UdpSocket::Bind(ip);  // not reached
}

// A STUN Binding request: relayed to a listener, the answer would come
// back as a Data indication.
Payload BindingRequest() {
  std::array<uint8_t, 64> buffer{};
  const stun::TransactionId transaction = {1, 2, 3, 4,  5,  6,
                                           7, 8, 9, 10, 11, 12};
  stun::MessageBuilder builder(absl::MakeSpan(buffer),
                               stun::MessageClass::kRequest,
                               stun::Method::kBinding, transaction);
  auto bytes = builder.Finish();
  REQUIRE(bytes.ok());
  return Payload(bytes->begin(), bytes->end());
}

void ClientsReachEachOther(const std::vector<std::string>& peer_rules) {
  RunningTurnpike server = Start(peer_rules);
  Client alice = Allocate(server, "alice");
  Client bob = Allocate(server, "bob");
  // Both relayed addresses are on 127.0.0.1, the relay's own address.
  Permit(alice, bob.relayed);
  Permit(bob, alice.relayed);

  // Send indication, alice to bob.
  REQUIRE(alice.turn.SendIndication(bob.relayed, Bytes("hello bob")));
  std::optional<RelayedData> at_bob = bob.turn.ReceiveRelayed(kDatagramTimeout);
  REQUIRE_MESSAGE(at_bob.has_value(), "bob heard nothing from alice");
  CHECK(at_bob->data == Bytes("hello bob"));
  CHECK(at_bob->peer == alice.relayed);

  // A channel, bob to alice.
  constexpr uint16_t kChannel = 0x4001;
  std::optional<TurnReply> bound =
      bob.turn.ChannelBind(kChannel, alice.relayed);
  REQUIRE(bound.has_value());
  REQUIRE(bound->ok());
  REQUIRE(bob.turn.SendChannelData(kChannel, Bytes("hello alice")));
  std::optional<RelayedData> at_alice =
      alice.turn.ReceiveRelayed(kDatagramTimeout);
  REQUIRE_MESSAGE(at_alice.has_value(), "alice heard nothing from bob");
  CHECK(at_alice->data == Bytes("hello alice"));
  CHECK(at_alice->peer == bob.relayed);
  StopCleanly(server);
}

TEST_CASE(
    "two clients of one server reach each other's relayed addresses with "
    "loopback denied by the peer filter") {
  ClientsReachEachOther(kLoopbackDenied);
}

TEST_CASE(
    "two clients of one server reach each other's relayed addresses with "
    "loopback allowed") {
  ClientsReachEachOther(kLoopbackAllowed);
}

void ListenerIsUnreachable(const std::vector<std::string>& peer_rules) {
  RunningTurnpike server = Start(peer_rules);
  Client alice = Allocate(server, "alice");
  // The permission is per IP and the listener shares the relay's IP, so it
  // is granted; the port is what the relay refuses.
  Permit(alice, server.address);
  REQUIRE(alice.turn.SendIndication(server.address, BindingRequest()));
  CHECK_FALSE(alice.turn.ReceiveRelayed(kSilence).has_value());
  // ChannelBind names the port: refused outright.
  std::optional<TurnReply> bound =
      alice.turn.ChannelBind(0x4002, server.address);
  REQUIRE(bound.has_value());
  CHECK(bound->error_code == stun::error_code::kForbidden);
  // The listener itself still answers its client, so the silence above is
  // the relay's refusal, not a dead server.
  std::optional<TurnReply> binding = alice.turn.Binding();
  REQUIRE(binding.has_value());
  CHECK(binding->ok());
  StopCleanly(server);
}

TEST_CASE("a Send indication to the listening port gets nothing back") {
  SUBCASE("loopback denied") { ListenerIsUnreachable(kLoopbackDenied); }
  SUBCASE("loopback allowed") { ListenerIsUnreachable(kLoopbackAllowed); }
}

void LocalPortIsUnreachable(const std::vector<std::string>& peer_rules) {
  RunningTurnpike server = Start(peer_rules);
  Client alice = Allocate(server, "alice");
  UdpSocket service = BindPort(kIp, /*in_range=*/false);
  UdpSocket relay_range = BindPort(kIp, /*in_range=*/true);
  Permit(alice, AddressOf(service));  // the same IP as relay_range's
  REQUIRE(alice.turn.SendIndication(AddressOf(service), Bytes("to service")));
  CHECK_FALSE(service.ReceiveFrom(kSilence).has_value());
  // Its answer would not be let in either.
  REQUIRE(service.SendTo(alice.relayed.ip.ToString(), alice.relayed.port,
                         Bytes("from service")));
  CHECK_FALSE(alice.turn.ReceiveRelayed(kSilence).has_value());
  // Control: a port inside the relay range on the same IP is reached, so
  // the silence above was a refusal.
  REQUIRE(alice.turn.SendIndication(AddressOf(relay_range), Bytes("in range")));
  std::optional<Datagram> got = relay_range.ReceiveFrom(kDatagramTimeout);
  REQUIRE(got.has_value());
  CHECK(got->bytes == Bytes("in range"));
  StopCleanly(server);
}

TEST_CASE(
    "a Send indication to a local port outside the relay range is refused") {
  SUBCASE("loopback denied") { LocalPortIsUnreachable(kLoopbackDenied); }
  SUBCASE("loopback allowed") { LocalPortIsUnreachable(kLoopbackAllowed); }
}

TEST_CASE(
    "with loopback allowed, other loopback addresses' low ports stay closed") {
  RunningTurnpike server = Start(kLoopbackAllowed);
  Client alice = Allocate(server, "alice");
  UdpSocket service = BindPort("127.0.0.2", /*in_range=*/false);
  Permit(alice, AddressOf(service));
  REQUIRE(alice.turn.SendIndication(AddressOf(service), Bytes("to service")));
  CHECK_FALSE(service.ReceiveFrom(kSilence).has_value());
  StopCleanly(server);
}

}  // namespace
}  // namespace turnpike::testing
