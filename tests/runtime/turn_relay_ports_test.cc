// Which relay ports the real binary picks (RFC 8656 §7.2): inside the
// configured range, drawn at random, even with port+1 held for EVEN-PORT
// R=1 until it is claimed or its 30 s are up, and 508 once the range is
// used up. Every case starts its own server on a port range above the
// kernel's ephemeral range (FindFreePortRange), where only programs that
// bind explicit ports can interfere.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/stun/constants.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turn_test_support.h"
#include "tests/runtime/turnpike_process.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::testing {
namespace {

using std::chrono::steady_clock;

const std::string kIp = "127.0.0.1";

std::vector<std::string> ServerArgs(uint16_t min_port, uint16_t max_port) {
  return {"--relay-ip", kIp,
          "--user",     "alice:secret",
          "--min-port", std::to_string(min_port),
          "--max-port", std::to_string(max_port)};
}

// The relayed port of a fresh allocation by a new client, which is kept
// alive in `clients` (its allocation lives as long as the server does).
std::optional<TurnReply> AllocateKept(const RunningTurnpike& server,
                                      std::vector<TurnClient>& clients,
                                      const AllocateOptions& options = {}) {
  clients.push_back(NewClient(kIp, server, "alice", "secret"));
  return clients.back().Allocate(options);
}

uint16_t RelayedPort(const std::optional<TurnReply>& reply) {
  REQUIRE(reply.has_value());
  REQUIRE_MESSAGE(reply->ok(), "Allocate: " << reply->error_code);
  REQUIRE(reply->relayed.size() == 1);
  return reply->relayed.front().port;
}

// Whether this test can bind `port` on kIp right now (then released).
bool PortFree(uint16_t port) { return UdpSocket::Bind(kIp, port).has_value(); }

// kAllocations allocations from one server on a kRange-port range.
constexpr int kRange = 1000;
constexpr int kAllocations = 20;

std::vector<uint16_t> PortsOfOneRun(uint16_t min_port) {
  const uint16_t max_port = static_cast<uint16_t>(min_port + kRange - 1);
  std::optional<RunningTurnpike> server =
      StartTurnpike(kIp, ServerArgs(min_port, max_port));
  REQUIRE(server.has_value());
  std::vector<TurnClient> clients;
  std::vector<uint16_t> ports;
  for (int i = 0; i < kAllocations; ++i) {
    ports.push_back(RelayedPort(AllocateKept(*server, clients)));
  }
  ExpectCleanExit(*server);
  return ports;
}

TEST_CASE("relay ports are drawn at random from the configured range") {
  // The range need not be free: turnpike draws again on a port in use.
  std::optional<uint16_t> min_port = FindFreePortRange(kIp, 1);
  REQUIRE(min_port.has_value());
  const int first = std::min<int>(*min_port, 65535 - kRange + 1);
  const uint16_t low = static_cast<uint16_t>(first);
  const uint16_t high = static_cast<uint16_t>(first + kRange - 1);

  const std::vector<uint16_t> run = PortsOfOneRun(low);
  INFO("ports: " << [&] {
    std::string text;
    for (uint16_t port : run) text += std::to_string(port) + " ";
    return text;
  }());
  for (uint16_t port : run) {
    CHECK(port >= low);
    CHECK(port <= high);
  }
  CHECK(std::set<uint16_t>(run.begin(), run.end()).size() == run.size());

  // Random, not sequential: for uniform draws each successive pair is
  // within 2 ports with odds of at most 4/980, so 10 or more such pairs of
  // the 19 happen with odds below C(19,10) * (4/980)^10 < 1e-18. A counter
  // (step 1 or 2, wrapping or not) makes 18 or 19.
  int close_pairs = 0;
  for (size_t i = 1; i < run.size(); ++i) {
    if (std::abs(int{run[i]} - int{run[i - 1]}) <= 2) ++close_pairs;
  }
  CHECK(close_pairs < 10);
  // Spread over the range, not bunched in a corner of it: 20 uniform draws
  // all within a quarter of the range have odds below 20 * (1/4)^19 < 1e-10.
  const auto [lowest, highest] = std::minmax_element(run.begin(), run.end());
  CHECK(*highest - *lowest >= kRange / 4);

  // Not the same sequence in every process (a fixed seed): two runs agree
  // at a position with odds of about 1/980, at 10 of the 20 below
  // C(20,10) * (1/980)^10 < 1e-24.
  const std::vector<uint16_t> again = PortsOfOneRun(low);
  int same_position = 0;
  for (size_t i = 0; i < run.size(); ++i) {
    if (run[i] == again[i]) ++same_position;
  }
  CHECK(same_position < 10);
}

TEST_CASE("a used-up relay port range gets 508 until a port is freed") {
  // Two ports, so the second allocation's 32 random tries all miss the one
  // free port with odds of 2^-32. A port held by another program (only one
  // that binds explicit ports can) spoils a run; then a fresh range is
  // tried, at most kRanges times.
  constexpr int kRanges = 3;
  for (int range = 0; range < kRanges; ++range) {
    std::optional<uint16_t> low = FindFreePortRange(kIp, 2);
    REQUIRE(low.has_value());
    const uint16_t high = static_cast<uint16_t>(*low + 1);
    // The derived allocation cap (3/4 of the range, docs/security.md)
    // would answer 508 before the range runs out: lift it, so what is
    // tested is the runtime finding no free port.
    std::vector<std::string> args = ServerArgs(*low, high);
    args.insert(args.end(), {"--max-allocations", "unlimited"});
    std::optional<RunningTurnpike> server = StartTurnpike(kIp, args);
    REQUIRE(server.has_value());
    std::vector<TurnClient> clients;
    std::vector<std::optional<TurnReply>> replies;
    for (int i = 0; i < 3; ++i)
      replies.push_back(AllocateKept(*server, clients));
    for (const auto& reply : replies) REQUIRE(reply.has_value());
    std::set<uint16_t> taken;
    for (const auto& reply : replies) {
      if (reply->ok()) taken.insert(reply->relayed.at(0).port);
    }
    const bool foreign_holder = (!taken.contains(*low) && !PortFree(*low)) ||
                                (!taken.contains(high) && !PortFree(high));
    if (taken.size() < 2 && foreign_holder) {
      // Not turnpike's: a port it does not relay on, that nobody may bind.
      MESSAGE("a port of " << *low << "-" << high
                           << " is held by another program; next range");
      ExpectCleanExit(*server);
      continue;
    }
    INFO("range " << *low << "-" << high << ", output:\n"
                  << server->process->Output());
    // RFC 8656 §7.2: both ports, each once; then 508 Insufficient Capacity.
    CHECK(replies[0]->ok());
    CHECK(replies[1]->ok());
    CHECK(taken == std::set<uint16_t>{*low, high});
    CHECK(replies[2]->error_code == stun::error_code::kInsufficientCapacity);
    CHECK(WaitForOutput(*server->process, "no free relay port in " +
                                              std::to_string(*low) + "-" +
                                              std::to_string(high)));

    // Deleting the first allocation frees its port for the next one.
    std::optional<TurnReply> deleted = clients[0].Refresh(0);
    REQUIRE(deleted.has_value());
    CHECK(deleted->ok());
    std::optional<TurnReply> retried = clients[2].Allocate();
    CHECK(RelayedPort(retried) == replies[0]->relayed.at(0).port);
    ExpectCleanExit(*server);
    return;
  }
  FAIL("every port range tried had a port held by another program");
}

TEST_CASE("EVEN-PORT R=1 holds port+1 for its token and frees it at 30 s") {
  std::optional<uint16_t> low = FindFreePortRange(kIp, 40);
  REQUIRE(low.has_value());
  const uint16_t high = static_cast<uint16_t>(*low + 39);
  std::optional<RunningTurnpike> server =
      StartTurnpike(kIp, ServerArgs(*low, high));
  REQUIRE(server.has_value());
  std::vector<TurnClient> clients;
  AllocateOptions reserve;
  reserve.even_port_reserve_next = true;

  // First the reservation left unclaimed: its 30 s (core/config.h,
  // reservation_lifetime; not configurable) run while the rest is checked.
  const steady_clock::time_point unclaimed_sent = steady_clock::now();
  std::optional<TurnReply> unclaimed = AllocateKept(*server, clients, reserve);
  const uint16_t unclaimed_port = RelayedPort(unclaimed);
  REQUIRE(unclaimed->reservation_token.has_value());
  CHECK(unclaimed_port % 2 == 0);
  CHECK_FALSE(PortFree(static_cast<uint16_t>(unclaimed_port + 1)));

  // RFC 8656 §7.2: an even port, port+1 in the range and held, and a
  // RESERVATION-TOKEN that gets exactly that port.
  std::optional<TurnReply> reserving = AllocateKept(*server, clients, reserve);
  const uint16_t even = RelayedPort(reserving);
  CHECK(even % 2 == 0);
  CHECK(even >= *low);
  CHECK(even + 1 <= high);
  REQUIRE(reserving->reservation_token.has_value());
  CHECK(reserving->reservation_token != unclaimed->reservation_token);
  CHECK_FALSE(PortFree(static_cast<uint16_t>(even + 1)));
  AllocateOptions claim;
  claim.reservation_token = reserving->reservation_token;
  CHECK(RelayedPort(AllocateKept(*server, clients, claim)) == even + 1);
  // The token is spent (§7.2: 508 for a token naming no reservation).
  std::optional<TurnReply> again = AllocateKept(*server, clients, claim);
  REQUIRE(again.has_value());
  CHECK(again->error_code == stun::error_code::kInsufficientCapacity);

  // R=0: even, and port+1 is left alone (odd, so no relayed port above).
  AllocateOptions even_only;
  even_only.even_port_reserve_next = false;
  std::optional<TurnReply> plain = AllocateKept(*server, clients, even_only);
  const uint16_t plain_port = RelayedPort(plain);
  CHECK(plain_port % 2 == 0);
  CHECK_FALSE(plain->reservation_token.has_value());
  CHECK(PortFree(static_cast<uint16_t>(plain_port + 1)));

  // The unclaimed port+1 is released 30 s after the server got the
  // request, and not before (both processes read the same monotonic
  // clock); 10 s of slack for a busy machine, polled every 100 ms.
  const auto released = [&]() -> std::optional<steady_clock::duration> {
    const auto deadline = unclaimed_sent + std::chrono::seconds(40);
    while (steady_clock::now() < deadline) {
      if (PortFree(static_cast<uint16_t>(unclaimed_port + 1))) {
        return steady_clock::now() - unclaimed_sent;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return std::nullopt;
  }();
  REQUIRE_MESSAGE(released.has_value(),
                  "port " << unclaimed_port + 1 << " still held after 40 s");
  CHECK(*released >= std::chrono::seconds(30));
  // Its token is gone with it.
  claim.reservation_token = unclaimed->reservation_token;
  std::optional<TurnReply> late = AllocateKept(*server, clients, claim);
  REQUIRE(late.has_value());
  CHECK(late->error_code == stun::error_code::kInsufficientCapacity);
  ExpectCleanExit(*server);
}

}  // namespace
}  // namespace turnpike::testing
