// Scenario tests: Server::VisitAllocations, the read-only enumeration the
// status page and metrics read (core/allocation_view.h).
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/core/scenario/test_server.h"

namespace turnpike::core::testing {
namespace {

using stun::MessageBuilder;
using stun::Method;

const TransportAddress kRelayA = Addr("203.0.113.5:50000");
const TransportAddress kRelayB = Addr("203.0.113.5:50002");
const TransportAddress kPeer = Addr("192.0.2.200:7000");
const TransportAddress kPeer2 = Addr("192.0.2.201:7000");

struct Collected {
  std::vector<std::string> usernames;
  std::vector<AllocationView> views;  // string views dangle after the visit
};

Collected Visit(TestServer& server, size_t max, LiveTotals* totals) {
  Collected out;
  *totals = server->VisitAllocations(
      server.now.mono, max, [&](const AllocationView& view) {
        out.usernames.emplace_back(view.username);
        out.views.push_back(view);
      });
  return out;
}

TEST_CASE("VisitAllocations sums every allocation and lists the oldest first") {
  TestServer server;
  server.users.Add("alice", "secret");
  server.users.Add("bob", "hunter2");
  TestClient alice(server, ClientTuple("192.0.2.10:40000"), "alice", "secret");
  TestClient bob(server, ClientTuple("192.0.2.11:40001"), "bob", "hunter2");
  alice.Allocate(kRelayA, [](MessageBuilder& b) { b.AddLifetime(600); });
  server.Advance(std::chrono::seconds(10));
  bob.Allocate(kRelayB, [](MessageBuilder& b) { b.AddLifetime(600); });
  alice.Permit(kPeer);
  alice.Permit(kPeer2);
  alice.Bind(0x4000, kPeer);
  bob.Permit(kPeer);
  server.Advance(std::chrono::seconds(100));

  LiveTotals totals;
  Collected all = Visit(server, 10, &totals);
  CHECK(totals.allocations == 2);
  CHECK(totals.permissions == 3);
  CHECK(totals.channels == 1);
  CHECK(totals.allocations_by_transport[static_cast<size_t>(Transport::kUdp)] ==
        2);
  REQUIRE(all.usernames == std::vector<std::string>{"alice", "bob"});
  const AllocationView& a = all.views[0];
  CHECK(a.five_tuple == alice.tuple);
  REQUIRE(a.relayed.size() == 1);
  CHECK(a.relayed[0] == kRelayA);
  CHECK(a.permissions == 2);
  CHECK(a.channels == 1);
  // 600 s granted, 110 s passed.
  CHECK(a.lifetime_left == std::chrono::seconds(490));
  CHECK(all.views[1].lifetime_left == std::chrono::seconds(500));

  // The bound caps the list, never the sums.
  Collected one = Visit(server, 1, &totals);
  CHECK(one.usernames == std::vector<std::string>{"alice"});
  CHECK(totals.allocations == 2);
  Collected none = Visit(server, 0, &totals);
  CHECK(none.usernames.empty());
  CHECK(totals.permissions == 3);
}

TEST_CASE(
    "VisitAllocations leaves out an Allocate whose relay is still opening") {
  TestServer server;
  server.users.Add("carol", "pw");
  TestClient carol(server, ClientTuple(), "carol", "pw");
  carol.GetNonce();
  carol.Send(carol.Request(Method::kAllocate, [](MessageBuilder& b) {
    b.AddRequestedTransport(17);
  }));
  server.Drain();  // the verdict and the OpenRelay, never answered
  LiveTotals totals;
  Collected got = Visit(server, 10, &totals);
  CHECK(totals.allocations == 0);
  CHECK(got.usernames.empty());
  CHECK(server->allocation_count() == 1);
}

TEST_CASE("VisitAllocations lists the same oldest allocations every time") {
  TestServer server;
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 12; ++i) {
    const std::string name = "u" + std::to_string(i);
    server.users.Add(name, "pw");
    clients.push_back(std::make_unique<TestClient>(
        server, ClientTuple("192.0.2." + std::to_string(20 + i) + ":40000"),
        name, "pw"));
    clients.back()->Allocate(
        Addr("203.0.113.5:" + std::to_string(50000 + 2 * i)));
  }
  LiveTotals totals;
  const Collected got = Visit(server, 4, &totals);
  CHECK(totals.allocations == 12);
  CHECK(got.usernames == std::vector<std::string>{"u0", "u1", "u2", "u3"});
}

TEST_CASE("VisitAllocations counts what live allocations relayed") {
  TestServer server;
  server.users.Add("dave", "pw");
  TestClient dave(server, ClientTuple(), "dave", "pw");
  const RelayId relay = dave.Allocate(kRelayA);
  dave.Permit(kPeer);
  const std::vector<uint8_t> payload(100, 0x55);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(server->HandlePeerDatagram(server.now, relay, kPeer, payload));
  }
  LiveTotals totals;
  Collected got = Visit(server, 10, &totals);
  CHECK(totals.counters.packets_to_client == 3);
  CHECK(totals.counters.bytes_to_client == 300);
  REQUIRE(got.views.size() == 1);
  CHECK(got.views[0].counters.packets_to_client == 3);
}

}  // namespace
}  // namespace turnpike::core::testing
