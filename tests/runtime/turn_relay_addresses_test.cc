// Several relay addresses of one family (issue 10): the real binary with
// relay-ip 127.0.0.1 and 127.0.0.2 on a two-port range. Each address has
// the whole range, so the family holds four relays; an address whose ports
// are taken passes new relays on to the next; relaying works on both.
// Every wait is bounded.
#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/runtime/turn_client.h"
#include "tests/runtime/turn_test_support.h"
#include "tests/runtime/turnpike_process.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::testing {
namespace {

const std::string kFirst = "127.0.0.1";
const std::string kSecond = "127.0.0.2";

// `from` sends `text` to `to`'s relayed address through its own relay;
// `to` must get it from `from`'s relayed address.
void ExpectRelayed(TurnClient& from, const TransportAddress& from_relayed,
                   TurnClient& to, const TransportAddress& to_relayed,
                   const std::string& text) {
  REQUIRE(from.SendIndication(to_relayed, Bytes(text)));
  std::optional<RelayedData> got = to.ReceiveRelayed();
  REQUIRE_MESSAGE(got.has_value(), "nothing relayed for " << text);
  CHECK(got->data == Bytes(text));
  CHECK(got->peer == from_relayed);
}

TEST_CASE(
    "relay-ip twice in a family holds ports times addresses and relays on "
    "both") {
  // Two ports free on both addresses; one of the first's is then taken
  // here, so the first address has room for one relay and the second for
  // two.
  std::optional<uint16_t> low = FindFreePortRange(kFirst, 2);
  REQUIRE(low.has_value());
  const uint16_t high = static_cast<uint16_t>(*low + 1);
  REQUIRE_MESSAGE(UdpSocket::Bind(kSecond, *low).has_value(),
                  kSecond << " cannot bind " << *low);
  REQUIRE(UdpSocket::Bind(kSecond, high).has_value());
  std::optional<UdpSocket> taken = UdpSocket::Bind(kFirst, *low);
  REQUIRE(taken.has_value());

  std::optional<RunningTurnpike> server = StartTurnpike(
      kFirst,
      {"--relay-ip", kFirst, "--relay-ip", kSecond, "--user", "alice:secret",
       "--min-port", std::to_string(*low), "--max-port", std::to_string(high),
       // The derived cap keeps a quarter of each range free for
       // random picks; here the ports themselves are the limit.
       "--max-allocations", "10"});
  REQUIRE(server.has_value());
  CHECK(server->process->Output().find("relaying on 127.0.0.1, 127.0.0.2") !=
        std::string::npos);

  std::vector<TurnClient> clients;
  std::vector<TransportAddress> relayed;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(NewClient(kFirst, *server, "alice", "secret"));
    std::optional<TurnReply> reply = clients.back().Allocate();
    REQUIRE(reply.has_value());
    REQUIRE_MESSAGE(reply->ok(), "Allocate " << i << ": " << reply->error_code);
    REQUIRE(reply->relayed.size() == 1);
    relayed.push_back(reply->relayed.front());
  }
  std::map<std::string, std::vector<uint16_t>> ports_by_ip;
  for (const TransportAddress& address : relayed) {
    CHECK(address.port >= *low);
    CHECK(address.port <= high);
    ports_by_ip[address.ip.ToString()].push_back(address.port);
  }
  CHECK(ports_by_ip[kFirst] == std::vector<uint16_t>{high});
  CHECK(ports_by_ip[kSecond].size() == 2);

  // Every port of both addresses is in use now: 508 (RFC 8656 §7.2).
  clients.push_back(NewClient(kFirst, *server, "alice", "secret"));
  std::optional<TurnReply> full = clients.back().Allocate();
  REQUIRE(full.has_value());
  CHECK(full->error_code == 508);

  // Relaying both ways between a relay on each address.
  size_t on_first = 0;
  size_t on_second = 0;
  for (size_t i = 0; i < relayed.size(); ++i) {
    (relayed[i].ip.ToString() == kFirst ? on_first : on_second) = i;
  }
  REQUIRE(relayed[on_first].ip.ToString() == kFirst);
  REQUIRE(relayed[on_second].ip.ToString() == kSecond);
  TurnClient& a = clients[on_first];
  TurnClient& b = clients[on_second];
  std::optional<TurnReply> permit_a = a.CreatePermission({relayed[on_second]});
  std::optional<TurnReply> permit_b = b.CreatePermission({relayed[on_first]});
  REQUIRE(permit_a.has_value());
  REQUIRE(permit_b.has_value());
  REQUIRE(permit_a->ok());
  REQUIRE(permit_b->ok());
  ExpectRelayed(a, relayed[on_first], b, relayed[on_second], "first to second");
  ExpectRelayed(b, relayed[on_second], a, relayed[on_first], "second to first");

  ExpectCleanExit(*server);
}

}  // namespace
}  // namespace turnpike::testing
