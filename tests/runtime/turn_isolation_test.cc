// Many allocations at once on the real binary, and nothing crosses between
// them (RFC 8656 §2.3: an allocation is the client's own): each client's
// data leaves from its own relayed address to its own peer, and each peer's
// answer reaches only its own client. All the peers share one IP address,
// so every client's permission covers every peer (§9 ignores the port)
// and the relay's routing, not the permission check, keeps them apart.
#include <doctest/doctest.h>

#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/runtime/turn_client.h"
#include "tests/runtime/turn_test_support.h"
#include "tests/runtime/turnpike_process.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::testing {
namespace {

const std::string kIp = "127.0.0.1";
constexpr int kClients = 12;
constexpr int kRounds = 6;
// One channel number for every client that binds one: channels belong to
// an allocation, so the same number must not mix clients up (§12).
constexpr uint16_t kChannel = 0x4001;

std::string Tag(const std::string& who, int index, int round) {
  return who + std::to_string(index) + " round " + std::to_string(round);
}

TEST_CASE("concurrent allocations each relay only their own traffic") {
  std::optional<RunningTurnpike> server =
      StartTurnpike(kIp, {"--relay-ip", kIp, "--user", "alice:secret",
                          "--peer-allow", "127.0.0.0/8"});
  REQUIRE(server.has_value());
  std::vector<TurnClient> clients;
  std::vector<UdpSocket> peers;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(NewClient(kIp, *server, "alice", "secret"));
    std::optional<UdpSocket> peer = UdpSocket::Bind(kIp);
    REQUIRE(peer.has_value());
    peers.push_back(std::move(*peer));
  }

  // Every Allocate in flight at once, one thread per client (each client
  // is touched by its thread only; the checks wait for the joins).
  std::vector<std::optional<TurnReply>> allocated(kClients);
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i) {
      threads.emplace_back([&, i] { allocated[i] = clients[i].Allocate(); });
    }
    for (std::thread& thread : threads) thread.join();
  }
  std::vector<TransportAddress> relayed;
  std::set<TransportAddress> distinct;
  for (int i = 0; i < kClients; ++i) {
    REQUIRE(allocated[i].has_value());
    REQUIRE_MESSAGE(allocated[i]->ok(),
                    "Allocate " << i << ": " << allocated[i]->error_code);
    relayed.push_back(allocated[i]->relayed.at(0));
    distinct.insert(relayed.back());
  }
  CHECK(distinct.size() == static_cast<size_t>(kClients));

  // Even clients reach their peer over a channel, odd ones by Send
  // indication; a permission each, for its own peer.
  for (int i = 0; i < kClients; ++i) {
    std::optional<TurnReply> permission =
        clients[i].CreatePermission({AddressOf(peers[i])});
    REQUIRE(permission.has_value());
    REQUIRE(permission->ok());
    if (i % 2 == 0) {
      std::optional<TurnReply> bound =
          clients[i].ChannelBind(kChannel, AddressOf(peers[i]));
      REQUIRE(bound.has_value());
      REQUIRE(bound->ok());
    }
  }

  // Out: every client sends every round before any peer reads, so the
  // server handles all of them interleaved.
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kClients; ++i) {
      const Payload data = Bytes(Tag("client ", i, round));
      const bool sent =
          i % 2 == 0 ? clients[i].SendChannelData(kChannel, data)
                     : clients[i].SendIndication(AddressOf(peers[i]), data);
      REQUIRE(sent);
    }
  }
  for (int i = 0; i < kClients; ++i) {
    std::multiset<std::string> got;
    for (int round = 0; round < kRounds; ++round) {
      std::optional<Datagram> datagram = peers[i].ReceiveFrom(kDatagramTimeout);
      REQUIRE_MESSAGE(datagram.has_value(),
                      "peer " << i << " got " << round << " datagrams");
      INFO("peer " << i << " got it from " << datagram->source_ip << ":"
                   << datagram->source_port);
      CHECK(IpAddress::Parse(datagram->source_ip) == relayed[i].ip);
      CHECK(datagram->source_port == relayed[i].port);
      got.emplace(datagram->bytes.begin(), datagram->bytes.end());
    }
    std::multiset<std::string> want;
    for (int round = 0; round < kRounds; ++round) {
      want.insert(Tag("client ", i, round));
    }
    CHECK(got == want);
  }
  for (int i = 0; i < kClients; ++i) {
    CHECK_MESSAGE(!peers[i]
                       .ReceiveFrom(i == 0 ? kSilenceWindow
                                           : std::chrono::milliseconds(1))
                       .has_value(),
                  "peer " << i << " got more than its own client's data");
  }

  // Back: every peer answers to its own client's relayed address.
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kClients; ++i) {
      REQUIRE(peers[i].SendTo(relayed[i].ip.ToString(), relayed[i].port,
                              Bytes(Tag("peer ", i, round))));
    }
  }
  for (int i = 0; i < kClients; ++i) {
    std::multiset<std::string> got;
    for (int round = 0; round < kRounds; ++round) {
      std::optional<RelayedData> data = clients[i].ReceiveRelayed();
      REQUIRE_MESSAGE(data.has_value(),
                      "client " << i << " got " << round << " datagrams");
      if (i % 2 == 0) {
        CHECK(data->via_channel);
        CHECK(data->channel == kChannel);
      } else {
        CHECK_FALSE(data->via_channel);
        CHECK(data->peer == AddressOf(peers[i]));
      }
      got.emplace(data->data.begin(), data->data.end());
    }
    std::multiset<std::string> want;
    for (int round = 0; round < kRounds; ++round) {
      want.insert(Tag("peer ", i, round));
    }
    CHECK(got == want);
  }
  for (int i = 0; i < kClients; ++i) {
    CHECK_MESSAGE(!clients[i]
                       .ReceiveRelayed(i == 0 ? kSilenceWindow
                                              : std::chrono::milliseconds(1))
                       .has_value(),
                  "client " << i << " got more than its own peer's data");
    CHECK(clients[i].stray_responses() == 0);
  }
  ExpectCleanExit(*server);
}

}  // namespace
}  // namespace turnpike::testing
