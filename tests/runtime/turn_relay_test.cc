// The real turnpike binary relaying between a TURN client and a UDP peer on
// loopback (DESIGN.md testing pyramid, layer 4): Allocate with the long-term
// credential dance, permissions, Send/Data indications, channels, Refresh
// and deletion, the peer policy, IPv6 and dual allocations. Every case
// starts its own server and stops it with SIGTERM, expecting exit 0.
#include <doctest/doctest.h>
#include <signal.h>

#include <optional>
#include <string>
#include <vector>

#include "core/stun/constants.h"
#include "tests/runtime/skip.h"
#include "tests/runtime/temp_files.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turn_test_support.h"
#include "tests/runtime/turnpike_process.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::testing {
namespace {

constexpr uint8_t kFamilyIpv4 = 0x01;  // RFC 8656 §18.8
constexpr uint8_t kFamilyIpv6 = 0x02;
constexpr uint16_t kChannel = 0x4001;
constexpr uint32_t kDefaultLifetimeSeconds = 600;  // turnpike's default

// What lets a loopback peer through the default peer policy.
const std::vector<std::string> kAllowIpv4Loopback = {"--peer-allow",
                                                     "127.0.0.0/8"};
// ::1 is IPv6's own loopback: an allow rule for it is all it takes.
const std::vector<std::string> kAllowIpv6Loopback = {"--peer-allow", "::1/128"};

std::vector<std::string> Concat(std::vector<std::string> a,
                                const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A client that has completed Allocate as alice:secret, and its relayed
// address.
struct Allocated {
  TurnClient client;
  TransportAddress relayed;
};

Allocated AllocateAsAlice(const std::string& ip,
                          const RunningTurnpike& server) {
  std::optional<TurnClient> client = TurnClient::Create(ip, server.address);
  REQUIRE(client.has_value());
  client->SetCredentials("alice", "secret");
  std::optional<TurnReply> reply = client->Allocate();
  REQUIRE_MESSAGE(reply.has_value(), "no answer to Allocate");
  REQUIRE_MESSAGE(reply->ok(), "Allocate failed: " << reply->error_code);
  REQUIRE(reply->relayed.size() == 1);
  return Allocated{std::move(*client), reply->relayed.front()};
}

// Everything one family must pass, start to finish (RFC 8656 §7-§12).
void RunRelayConversation(const std::string& ip, uint8_t family,
                          const std::vector<std::string>& peer_allow) {
  TempDir dir;
  const auto events = dir.path() / "events.jsonl";
  std::optional<RunningTurnpike> server =
      StartTurnpike(ip, Concat({"--relay-ip", ip, "--user", "alice:secret",
                                "--event-output", events.string()},
                               peer_allow));
  REQUIRE(server.has_value());
  std::optional<TurnClient> client = TurnClient::Create(ip, server->address);
  REQUIRE(client.has_value());
  std::optional<UdpSocket> peer = UdpSocket::Bind(ip);
  REQUIRE(peer.has_value());
  const TransportAddress peer_address = AddressOf(*peer);

  // RFC 8489 §7.3.1: Binding needs no credentials.
  std::optional<TurnReply> binding = client->Binding();
  REQUIRE(binding.has_value());
  CHECK(binding->ok());
  CHECK(binding->mapped == client->local_address());

  // RFC 8656 §7.2 / RFC 8489 §9.2.4: no credentials → 401 with REALM and
  // NONCE.
  std::optional<TurnReply> challenge = client->Allocate();
  REQUIRE(challenge.has_value());
  CHECK(challenge->error_code == stun::error_code::kUnauthenticated);
  CHECK(challenge->realm == "turnpike");
  CHECK_FALSE(challenge->nonce.empty());

  // With credentials: the relayed address is on the relay IP, the lifetime
  // the default, and the response carries valid MESSAGE-INTEGRITY.
  // RFC 8656 §7.2: without REQUESTED-ADDRESS-FAMILY the relayed address
  // is IPv4, whatever the client's own family; ask for the family under
  // test.
  client->SetCredentials("alice", "secret");
  AllocateOptions options;
  options.requested_family = family;
  std::optional<TurnReply> allocated = client->Allocate(options);
  REQUIRE(allocated.has_value());
  REQUIRE_MESSAGE(allocated->ok(), "Allocate: " << allocated->error_code);
  CHECK(allocated->integrity_valid);
  REQUIRE(allocated->relayed.size() == 1);
  const TransportAddress relayed = allocated->relayed.front();
  CHECK(relayed.ip == *IpAddress::Parse(ip));
  CHECK(relayed.port != 0);
  CHECK(allocated->lifetime == kDefaultLifetimeSeconds);
  CHECK(allocated->mapped == client->local_address());

  // No permission yet: the relay passes nothing either way (§9).
  REQUIRE(client->SendIndication(peer_address, Bytes("too early")));
  CHECK_FALSE(peer->ReceiveFrom(kSilenceWindow).has_value());
  REQUIRE(peer->SendTo(relayed.ip.ToString(), relayed.port, Bytes("early")));
  CHECK_FALSE(client->ReceiveRelayed(kSilenceWindow).has_value());

  std::optional<TurnReply> permission =
      client->CreatePermission({peer_address});
  REQUIRE(permission.has_value());
  CHECK(permission->ok());
  CHECK(permission->integrity_valid);

  // Send indication out, Data indication back (§11).
  REQUIRE(client->SendIndication(peer_address, Bytes("ping over Send")));
  PeerExpectsAndAnswers(*peer, relayed, Bytes("ping over Send"),
                        Bytes("pong as Data"));
  std::optional<RelayedData> data = client->ReceiveRelayed();
  REQUIRE_MESSAGE(data.has_value(), "no Data indication came back");
  CHECK_FALSE(data->via_channel);
  CHECK(data->peer == peer_address);
  CHECK(data->data == Bytes("pong as Data"));

  // ChannelBind, then ChannelData both ways (§12).
  std::optional<TurnReply> bound = client->ChannelBind(kChannel, peer_address);
  REQUIRE(bound.has_value());
  CHECK(bound->ok());
  REQUIRE(client->SendChannelData(kChannel, Bytes("ping over channel")));
  PeerExpectsAndAnswers(*peer, relayed, Bytes("ping over channel"),
                        Bytes("pong over channel"));
  data = client->ReceiveRelayed();
  REQUIRE_MESSAGE(data.has_value(), "no ChannelData came back");
  CHECK(data->via_channel);
  CHECK(data->channel == kChannel);
  CHECK(data->data == Bytes("pong over channel"));

  // Refresh keeps it (§7.3); LIFETIME 0 deletes it (§7.4).
  std::optional<TurnReply> refreshed = client->Refresh(std::nullopt);
  REQUIRE(refreshed.has_value());
  CHECK(refreshed->ok());
  CHECK(refreshed->lifetime == kDefaultLifetimeSeconds);
  std::optional<TurnReply> deleted = client->Refresh(0);
  REQUIRE(deleted.has_value());
  CHECK(deleted->ok());
  CHECK(deleted->lifetime == 0u);

  // Deleted: nothing is relayed any more, either way.
  REQUIRE(client->SendChannelData(kChannel, Bytes("after delete")));
  REQUIRE(client->SendIndication(peer_address, Bytes("after delete")));
  CHECK_FALSE(peer->ReceiveFrom(kSilenceWindow).has_value());
  REQUIRE(peer->SendTo(relayed.ip.ToString(), relayed.port, Bytes("late")));
  CHECK_FALSE(client->ReceiveRelayed(kSilenceWindow).has_value());
  CHECK(client->stray_responses() == 0);

  ExpectCleanExit(*server);
  CHECK(EventFileHasLine(
      events, {"\"event\":\"allocation_created\"", "\"username\":\"alice\""}));
  CHECK(EventFileHasLine(events, {"\"event\":\"allocation_deleted\"",
                                  "\"reason\":\"client_deleted\""}));
}

TEST_CASE("IPv4: Allocate, permission, Send/Data, channels, Refresh, delete") {
  RunRelayConversation("127.0.0.1", kFamilyIpv4, kAllowIpv4Loopback);
}

TEST_CASE("IPv6: Allocate, permission, Send/Data, channels, Refresh, delete") {
  if (!HostHasIpv6Loopback()) {
    MESSAGE("SKIPPED: this host has no IPv6 loopback (::1)");
    MarkSkipped();
    return;
  }
  RunRelayConversation("::1", kFamilyIpv6, kAllowIpv6Loopback);
}

TEST_CASE("only permitted peers are relayed to and from") {
  const std::string ip = "127.0.0.1";
  std::optional<RunningTurnpike> server =
      StartTurnpike(ip, {"--relay-ip", ip, "--user", "alice:secret",
                         "--peer-allow", "127.0.0.0/8"});
  REQUIRE(server.has_value());
  Allocated allocated = AllocateAsAlice(ip, *server);
  std::optional<UdpSocket> permitted = UdpSocket::Bind(ip);
  std::optional<UdpSocket> second_port = UdpSocket::Bind(ip);
  REQUIRE(permitted.has_value());
  REQUIRE(second_port.has_value());
  // Permissions are per IP address (RFC 8656 §9), so the stranger needs an
  // address of its own: all of 127.0.0.0/8 is loopback on Linux, and
  // --peer-allow covers it, so only the missing permission stops it.
  std::optional<UdpSocket> stranger = UdpSocket::Bind("127.0.0.2");
  REQUIRE(stranger.has_value());
  std::optional<TurnReply> permission =
      allocated.client.CreatePermission({AddressOf(*permitted)});
  REQUIRE(permission.has_value());
  REQUIRE(permission->ok());

  // To the stranger: nothing arrives.
  REQUIRE(allocated.client.SendIndication(AddressOf(*stranger),
                                          Bytes("not for you")));
  CHECK_FALSE(stranger->ReceiveFrom(kSilenceWindow).has_value());
  // From the stranger: the relay drops it.
  REQUIRE(stranger->SendTo(allocated.relayed.ip.ToString(),
                           allocated.relayed.port, Bytes("let me in")));
  CHECK_FALSE(allocated.client.ReceiveRelayed(kSilenceWindow).has_value());
  // Another port on the permitted IP is let through (§9: a permission
  // ignores the port).
  REQUIRE(second_port->SendTo(allocated.relayed.ip.ToString(),
                              allocated.relayed.port, Bytes("same ip")));
  std::optional<RelayedData> same_ip = allocated.client.ReceiveRelayed();
  REQUIRE(same_ip.has_value());
  CHECK(same_ip->peer == AddressOf(*second_port));

  // Control: the permitted peer does get through, so silence above meant
  // "dropped", not "broken".
  REQUIRE(
      allocated.client.SendIndication(AddressOf(*permitted), Bytes("for you")));
  PeerExpectsAndAnswers(*permitted, allocated.relayed, Bytes("for you"),
                        Bytes("thanks"));
  std::optional<RelayedData> back = allocated.client.ReceiveRelayed();
  REQUIRE(back.has_value());
  CHECK(back->data == Bytes("thanks"));
  ExpectCleanExit(*server);
}

TEST_CASE("by default loopback peers are refused with 403") {
  const std::string ip = "127.0.0.1";
  std::optional<RunningTurnpike> server =
      StartTurnpike(ip, {"--relay-ip", ip, "--user", "alice:secret"});
  REQUIRE(server.has_value());
  Allocated allocated = AllocateAsAlice(ip, *server);
  // Not on the relay's own address, which is open to other allocations
  // (docs/security.md; tests/adversarial/self_relay_test.cc).
  std::optional<UdpSocket> peer = UdpSocket::Bind("127.0.0.2");
  REQUIRE(peer.has_value());
  // RFC 8656 §9.1 / §21: a server may refuse peers by policy with 403;
  // turnpike refuses special-purpose ranges unless --peer-allow says so.
  std::optional<TurnReply> permission =
      allocated.client.CreatePermission({AddressOf(*peer)});
  REQUIRE(permission.has_value());
  CHECK(permission->error_code == stun::error_code::kForbidden);
  std::optional<TurnReply> bound =
      allocated.client.ChannelBind(kChannel, AddressOf(*peer));
  REQUIRE(bound.has_value());
  CHECK(bound->error_code == stun::error_code::kForbidden);
  REQUIRE(allocated.client.SendIndication(AddressOf(*peer), Bytes("no")));
  CHECK_FALSE(peer->ReceiveFrom(kSilenceWindow).has_value());
  ExpectCleanExit(*server);
}

TEST_CASE("dual allocation: ADDITIONAL-ADDRESS-FAMILY gives IPv4 and IPv6") {
  if (!HostHasIpv6Loopback()) {
    MESSAGE("SKIPPED: this host has no IPv6 loopback (::1)");
    MarkSkipped();
    return;
  }
  const std::string ip = "127.0.0.1";
  std::optional<RunningTurnpike> server =
      StartTurnpike(ip, Concat(Concat({"--relay-ip", "127.0.0.1", "--relay-ip",
                                       "::1", "--user", "alice:secret"},
                                      kAllowIpv4Loopback),
                               kAllowIpv6Loopback));
  REQUIRE(server.has_value());
  std::optional<TurnClient> client = TurnClient::Create(ip, server->address);
  REQUIRE(client.has_value());
  client->SetCredentials("alice", "secret");
  // RFC 8656 §7.2: ADDITIONAL-ADDRESS-FAMILY IPv6 asks for an IPv4 and an
  // IPv6 relayed address at once.
  AllocateOptions dual;
  dual.additional_family = kFamilyIpv6;
  std::optional<TurnReply> allocated = client->Allocate(dual);
  REQUIRE(allocated.has_value());
  REQUIRE_MESSAGE(allocated->ok(), "Allocate: " << allocated->error_code);
  CHECK_FALSE(allocated->address_error_code.has_value());
  REQUIRE(allocated->relayed.size() == 2);
  std::optional<TransportAddress> relayed_v4;
  std::optional<TransportAddress> relayed_v6;
  for (const TransportAddress& relayed : allocated->relayed) {
    (relayed.ip.is_v4() ? relayed_v4 : relayed_v6) = relayed;
  }
  REQUIRE(relayed_v4.has_value());
  REQUIRE(relayed_v6.has_value());
  CHECK(relayed_v4->ip == *IpAddress::Parse("127.0.0.1"));
  CHECK(relayed_v6->ip == *IpAddress::Parse("::1"));

  // Each family relays to a peer of its own family.
  std::optional<UdpSocket> peer_v4 = UdpSocket::Bind("127.0.0.1");
  std::optional<UdpSocket> peer_v6 = UdpSocket::Bind("::1");
  REQUIRE(peer_v4.has_value());
  REQUIRE(peer_v6.has_value());
  for (const UdpSocket* peer : {&*peer_v4, &*peer_v6}) {
    std::optional<TurnReply> permission =
        client->CreatePermission({AddressOf(*peer)});
    REQUIRE(permission.has_value());
    REQUIRE_MESSAGE(permission->ok(), "CreatePermission "
                                          << peer->local_ip() << ": "
                                          << permission->error_code);
  }
  REQUIRE(client->SendIndication(AddressOf(*peer_v4), Bytes("to v4")));
  PeerExpectsAndAnswers(*peer_v4, *relayed_v4, Bytes("to v4"),
                        Bytes("from v4"));
  std::optional<RelayedData> back = client->ReceiveRelayed();
  REQUIRE(back.has_value());
  CHECK(back->peer == AddressOf(*peer_v4));
  CHECK(back->data == Bytes("from v4"));
  REQUIRE(client->SendIndication(AddressOf(*peer_v6), Bytes("to v6")));
  PeerExpectsAndAnswers(*peer_v6, *relayed_v6, Bytes("to v6"),
                        Bytes("from v6"));
  back = client->ReceiveRelayed();
  REQUIRE(back.has_value());
  CHECK(back->peer == AddressOf(*peer_v6));
  CHECK(back->data == Bytes("from v6"));

  // REQUESTED-ADDRESS-FAMILY IPv6 alone: one IPv6 relayed address.
  std::optional<TurnClient> v6_only = TurnClient::Create(ip, server->address);
  REQUIRE(v6_only.has_value());
  v6_only->SetCredentials("alice", "secret");
  AllocateOptions ipv6;
  ipv6.requested_family = kFamilyIpv6;
  std::optional<TurnReply> v6_reply = v6_only->Allocate(ipv6);
  REQUIRE(v6_reply.has_value());
  REQUIRE(v6_reply->ok());
  REQUIRE(v6_reply->relayed.size() == 1);
  CHECK(v6_reply->relayed.front().ip == *IpAddress::Parse("::1"));
  ExpectCleanExit(*server);
}

TEST_CASE("REQUESTED-ADDRESS-FAMILY IPv6 without an IPv6 relay gets 440") {
  const std::string ip = "127.0.0.1";
  std::optional<RunningTurnpike> server =
      StartTurnpike(ip, {"--relay-ip", ip, "--user", "alice:secret"});
  REQUIRE(server.has_value());
  std::optional<TurnClient> client = TurnClient::Create(ip, server->address);
  REQUIRE(client.has_value());
  client->SetCredentials("alice", "secret");
  AllocateOptions ipv6;
  ipv6.requested_family = kFamilyIpv6;
  std::optional<TurnReply> reply = client->Allocate(ipv6);
  REQUIRE(reply.has_value());
  CHECK(reply->error_code == stun::error_code::kAddressFamilyNotSupported);
  // The same client can still get an IPv4 allocation.
  AllocateOptions ipv4;
  ipv4.requested_family = kFamilyIpv4;
  reply = client->Allocate(ipv4);
  REQUIRE(reply.has_value());
  CHECK(reply->ok());
  ExpectCleanExit(*server);
}

}  // namespace
}  // namespace turnpike::testing
