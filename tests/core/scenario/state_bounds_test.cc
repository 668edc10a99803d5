// Scenario tests: what one authenticated user can make the server hold.
// Permissions and channels are capped per allocation (508, RFC 8656 §9.2,
// §12.2), the timer queue holds one entry per live object however often it
// is refreshed, and EVEN-PORT reservations (§7.2) count against the
// allocation quotas until they are used or expire (docs/security.md).
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/core/scenario/test_server.h"
#include "tests/harness/printers.h"

namespace turnpike::core::testing {
namespace {

using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::MessageView;
using stun::Method;
namespace ec = stun::error_code;

const TransportAddress kRelay4 = Addr("203.0.113.5:50000");

// Peer i of a run of distinct, public peer IPs (192.0.2.0/24 and on).
TransportAddress PeerAt(int i) {
  return Addr(absl::StrCat("192.0.2.", 100 + i, ":7000"));
}

auto Peers(std::vector<TransportAddress> peers) {
  return [peers](MessageBuilder& b) {
    for (const auto& p : peers)
      b.AddXorAddress(AttributeType::kXorPeerAddress, p);
  };
}

auto Bind(uint16_t channel, TransportAddress peer) {
  return [=](MessageBuilder& b) {
    b.AddChannelNumber(channel);
    b.AddXorAddress(AttributeType::kXorPeerAddress, peer);
  };
}

// What one request made the server do.
struct Outcome {
  int code = -1;  // 0: success; else the error code; -1: no response
  std::vector<Command> commands;
  int Count(auto is) const {
    int n = 0;
    for (const Command& c : commands) n += is(c) ? 1 : 0;
    return n;
  }
  int permissions_created() const {
    return Count([](const Command& c) {
      const Event* e = std::get_if<Event>(&c);
      return e && std::holds_alternative<PermissionCreated>(*e);
    });
  }
  int channels_created() const {
    return Count([](const Command& c) {
      const Event* e = std::get_if<Event>(&c);
      return e && std::holds_alternative<ChannelCreated>(*e);
    });
  }
  int closes() const {
    return Count(
        [](const Command& c) { return std::holds_alternative<CloseRelay>(c); });
  }
};

Outcome Ask(TestServer& server, TestClient& client, Method method,
            TestClient::Attributes add) {
  if (client.nonce.empty()) client.GetNonce();
  for (int attempt = 0;; ++attempt) {
    client.Send(client.Request(method, add));
    Outcome out;
    out.commands = server.Drain();
    for (const Command& c : out.commands) {
      if (!std::holds_alternative<Transmit>(c)) continue;
      const MessageView m = ParseTransmit(c);
      if (m.method() != static_cast<uint16_t>(method)) continue;
      out.code = m.message_class() == MessageClass::kSuccessResponse
                     ? 0
                     : (m.ErrorCode() ? m.ErrorCode()->code : -2);
      // RFC 8489 §9.2.4: a stale nonce is retried once with the new one.
      if (out.code == ec::kStaleNonce && attempt == 0) client.Learn(m);
    }
    if (out.code != ec::kStaleNonce || attempt > 0) return out;
  }
}

struct Allocated {
  TestServer server;
  TestClient client{server, ClientTuple(), "alice", "secret"};
  explicit Allocated(ServerConfig config) : server(config) {
    server.users.Add("alice", "secret");
    client.Allocate(kRelay4, [](MessageBuilder& b) { b.AddLifetime(3600); });
  }
};

ServerConfig Caps(uint32_t permissions, uint32_t channels) {
  ServerConfig config = TestConfig();
  config.max_permissions_per_allocation = permissions;
  config.max_channels_per_allocation = channels;
  return config;
}

TEST_CASE("the caps default to 256 and 0 means no cap") {
  CHECK(TestConfig().max_permissions_per_allocation == 256);
  CHECK(TestConfig().max_channels_per_allocation == 256);
  for (uint32_t cap : {256u, 0u}) {
    CAPTURE(cap);
    Allocated a(Caps(cap, cap));
    // 300 ordinary public addresses, 100 per request (a request must fit
    // the test client's buffer); nothing is sent to them.
    int last = -1;
    for (int request = 0; request < 3; ++request) {
      std::vector<TransportAddress> peers;
      for (int i = 0; i < 100; ++i) {
        peers.push_back(
            Addr(absl::StrCat("11.0.", request, ".", i + 1, ":7000")));
      }
      last =
          Ask(a.server, a.client, Method::kCreatePermission, Peers(peers)).code;
    }
    CHECK(last == (cap == 0 ? 0 : ec::kInsufficientCapacity));
  }
}

TEST_CASE(
    "CreatePermission past the per-allocation cap is 508 for all or none") {
  Allocated a(Caps(3, 3));
  const MonoTime start = a.server.now.mono;
  Outcome two = Ask(a.server, a.client, Method::kCreatePermission,
                    Peers({PeerAt(0), PeerAt(1)}));
  CHECK(two.code == 0);
  CHECK(two.permissions_created() == 2);

  // RFC 8656 §9.2: peer 0 again and two new ones make four: none of the
  // three is installed, not even the refresh of peer 0.
  a.server.Advance(std::chrono::seconds(100));
  Outcome over = Ask(a.server, a.client, Method::kCreatePermission,
                     Peers({PeerAt(0), PeerAt(2), PeerAt(3)}));
  CHECK(over.code == ec::kInsufficientCapacity);
  CHECK(over.permissions_created() == 0);
  // So peers 0 and 1 both expire at t+300.
  a.server.AdvanceTo(start + std::chrono::seconds(300));
  int deleted = 0;
  for (const Command& c : a.server.Drain()) {
    const Event* e = std::get_if<Event>(&c);
    deleted += e && std::holds_alternative<PermissionDeleted>(*e) ? 1 : 0;
  }
  CHECK(deleted == 2);

  // Existing permissions do not count twice, nor does one IP named twice
  // in one request: 0, 1, 2, 2 and then 0, 1, 2 again is three.
  Outcome three = Ask(a.server, a.client, Method::kCreatePermission,
                      Peers({PeerAt(0), PeerAt(1), PeerAt(2), PeerAt(2)}));
  CHECK(three.code == 0);
  CHECK(three.permissions_created() == 3);
  Outcome again = Ask(a.server, a.client, Method::kCreatePermission,
                      Peers({PeerAt(0), PeerAt(1), PeerAt(2)}));
  CHECK(again.code == 0);
  CHECK(again.permissions_created() == 0);
  CHECK(Ask(a.server, a.client, Method::kCreatePermission, Peers({PeerAt(3)}))
            .code == ec::kInsufficientCapacity);

  // Expired permissions free their places.
  a.server.AdvanceTo(start + std::chrono::seconds(600));
  a.server.Drain();
  Outcome freed =
      Ask(a.server, a.client, Method::kCreatePermission, Peers({PeerAt(3)}));
  CHECK(freed.code == 0);
  CHECK(freed.permissions_created() == 1);
}

TEST_CASE("the permission cap is counted per allocation") {
  Allocated a(Caps(2, 2));
  TestClient other(a.server, ClientTuple("192.0.2.10:40001"), "alice",
                   "secret");
  other.Allocate(Addr("203.0.113.5:50002"));
  CHECK(Ask(a.server, a.client, Method::kCreatePermission,
            Peers({PeerAt(0), PeerAt(1)}))
            .code == 0);
  CHECK(Ask(a.server, other, Method::kCreatePermission,
            Peers({PeerAt(0), PeerAt(1)}))
            .code == 0);
  CHECK(Ask(a.server, other, Method::kCreatePermission, Peers({PeerAt(2)}))
            .code == ec::kInsufficientCapacity);
}

TEST_CASE("one request with more peers than the cap installs none") {
  Allocated a(Caps(8, 8));
  std::vector<TransportAddress> many;
  for (int i = 0; i < 9; ++i) many.push_back(PeerAt(i));
  Outcome over =
      Ask(a.server, a.client, Method::kCreatePermission, Peers(many));
  CHECK(over.code == ec::kInsufficientCapacity);
  CHECK(over.permissions_created() == 0);
  many.pop_back();
  Outcome fits =
      Ask(a.server, a.client, Method::kCreatePermission, Peers(many));
  CHECK(fits.code == 0);
  CHECK(fits.permissions_created() == 8);
}

TEST_CASE("ChannelBind past the channel cap is 508 and installs nothing") {
  Allocated a(Caps(3, 2));
  CHECK(Ask(a.server, a.client, Method::kChannelBind, Bind(0x4000, PeerAt(0)))
            .code == 0);
  CHECK(Ask(a.server, a.client, Method::kChannelBind, Bind(0x4001, PeerAt(1)))
            .code == 0);
  // A refresh of a bound channel is not a new one.
  CHECK(Ask(a.server, a.client, Method::kChannelBind, Bind(0x4000, PeerAt(0)))
            .code == 0);
  Outcome over =
      Ask(a.server, a.client, Method::kChannelBind, Bind(0x4002, PeerAt(2)));
  CHECK(over.code == ec::kInsufficientCapacity);
  CHECK(over.channels_created() == 0);
  CHECK(over.permissions_created() == 0);
  // The refused bind installed no permission for peer 2: it is created now.
  Outcome permit =
      Ask(a.server, a.client, Method::kCreatePermission, Peers({PeerAt(2)}));
  CHECK(permit.code == 0);
  CHECK(permit.permissions_created() == 1);
}

TEST_CASE("ChannelBind needing a permission past the permission cap is 508") {
  Allocated a(Caps(1, 4));
  CHECK(Ask(a.server, a.client, Method::kCreatePermission, Peers({PeerAt(0)}))
            .code == 0);
  // Another port of the permitted IP needs no new permission.
  TransportAddress same_ip = PeerAt(0);
  same_ip.port = 7001;
  CHECK(Ask(a.server, a.client, Method::kChannelBind, Bind(0x4000, same_ip))
            .code == 0);
  Outcome over =
      Ask(a.server, a.client, Method::kChannelBind, Bind(0x4001, PeerAt(1)));
  CHECK(over.code == ec::kInsufficientCapacity);
  CHECK(over.channels_created() == 0);
}

TEST_CASE("10000 refreshes leave one timer entry per live object") {
  Allocated a(TestConfig());
  TestClient other(a.server, ClientTuple("192.0.2.10:40001"), "alice",
                   "secret");
  other.Allocate(Addr("203.0.113.5:50002"));  // 600 s
  REQUIRE(Ask(a.server, a.client, Method::kChannelBind, Bind(0x4000, PeerAt(0)))
              .code == 0);
  // Two allocations, one permission, one channel.
  CHECK(a.server->deadline_count() == 4);
  for (int i = 0; i < 10000; ++i) {
    a.server.Advance(std::chrono::milliseconds(1));
    REQUIRE(Ask(a.server, a.client, Method::kRefresh, [](MessageBuilder& b) {
              b.AddLifetime(3600);
            }).code == 0);
    REQUIRE(
        Ask(a.server, a.client, Method::kCreatePermission, Peers({PeerAt(0)}))
            .code == 0);
    REQUIRE(
        Ask(a.server, a.client, Method::kChannelBind, Bind(0x4000, PeerAt(0)))
            .code == 0);
  }
  CHECK(a.server->deadline_count() == 4);
  // A deleted allocation takes its entries with it at once, not when they
  // come due: what is left is the other allocation.
  REQUIRE(Ask(a.server, a.client, Method::kRefresh, [](MessageBuilder& b) {
            b.AddLifetime(0);
          }).code == 0);
  CHECK(a.server->deadline_count() == 1);
  CHECK(a.server->NextDeadline() ==
        std::optional<MonoTime>(kT0.mono + std::chrono::seconds(600)));
}

// --- EVEN-PORT reservations and the quotas -----------------------------------

auto Udp(std::function<void(MessageBuilder&)> more = {}) {
  return [more](MessageBuilder& b) {
    b.AddRequestedTransport(17);
    if (more) more(b);
  };
}

// An Allocate with EVEN-PORT R=1 whose relay opens on `relay`; the
// reservation token when it succeeds.
struct EvenAllocate {
  int code = -1;
  uint64_t token = 0;
  RelayId reserved;
};
EvenAllocate AllocateReserving(TestServer& server, TestClient& client,
                               const TransportAddress& relay) {
  EvenAllocate out;
  Outcome asked = Ask(server, client, Method::kAllocate,
                      Udp([](MessageBuilder& b) { b.AddEvenPort(true); }));
  out.code = asked.code;
  if (out.code != -1) return out;  // refused at once
  const OpenRelay* open = nullptr;
  for (const Command& c : asked.commands) {
    if (const auto* o = std::get_if<OpenRelay>(&c)) open = o;
  }
  REQUIRE(open != nullptr);
  REQUIRE(open->reserve_id.has_value());
  out.reserved = *open->reserve_id;
  server->HandleRelayOpened(server.now, open->id, relay);
  for (const Command& c : server.Drain()) {
    if (!std::holds_alternative<Transmit>(c)) continue;
    const MessageView m = ParseTransmit(c);
    REQUIRE(m.message_class() == MessageClass::kSuccessResponse);
    REQUIRE(m.ReservationToken().has_value());
    out.code = 0;
    out.token = *m.ReservationToken();
  }
  return out;
}

// Allocate R=1 and delete at once (Refresh LIFETIME 0): what leaves a
// reservation behind.
EvenAllocate ReserveAndDelete(TestServer& server, TestClient& client,
                              const TransportAddress& relay) {
  EvenAllocate out = AllocateReserving(server, client, relay);
  if (out.code != 0) return out;
  Outcome deleted = Ask(server, client, Method::kRefresh,
                        [](MessageBuilder& b) { b.AddLifetime(0); });
  REQUIRE(deleted.code == 0);
  CHECK(deleted.closes() == 1);  // the relay; the reservation stays held
  return out;
}

TransportAddress EvenRelay(int i) {
  return Addr(absl::StrCat("203.0.113.5:", 50000 + 2 * i));
}

TEST_CASE("reservations count against user-quota until they expire at 30 s") {
  constexpr int kQuota = 3;
  TestServer server(TestConfig(), {.per_user = kQuota});
  server.users.Add("alice", "secret");
  std::vector<std::unique_ptr<TestClient>> clients;
  auto client = [&](int i) -> TestClient& {
    clients.push_back(std::make_unique<TestClient>(
        server, ClientTuple(absl::StrCat("192.0.2.10:", 1000 + i)), "alice",
        "secret"));
    return *clients.back();
  };
  const MonoTime start = server.now.mono;
  for (int i = 0; i < kQuota; ++i) {
    CAPTURE(i);
    REQUIRE(ReserveAndDelete(server, client(i), EvenRelay(i)).code == 0);
  }
  CHECK(server.quotas.for_user("alice") == kQuota);
  TestClient& late = client(kQuota);
  CHECK(AllocateReserving(server, late, EvenRelay(kQuota)).code ==
        ec::kAllocationQuotaReached);
  server.AdvanceTo(start + std::chrono::seconds(30) -
                   std::chrono::nanoseconds(1));
  ExpectNothing(server);
  CHECK(Ask(server, late, Method::kAllocate, Udp()).code ==
        ec::kAllocationQuotaReached);
  // RFC 8656 §7.2: unclaimed, the reserved ports go back, and their slots.
  server.AdvanceTo(start + std::chrono::seconds(30));
  CHECK(server.Drain().size() == kQuota);  // one CloseRelay each
  CHECK(server.quotas.for_user("alice") == 0);
  CHECK(AllocateReserving(server, late, EvenRelay(kQuota)).code == 0);
}

TEST_CASE("a claimed reservation hands its quota slot to the new allocation") {
  TestServer server(TestConfig(), {.per_user = 2});
  server.users.Add("alice", "secret");
  TestClient c1(server, ClientTuple("192.0.2.10:1001"), "alice", "secret");
  TestClient c2(server, ClientTuple("192.0.2.10:1002"), "alice", "secret");
  TestClient c3(server, ClientTuple("192.0.2.10:1003"), "alice", "secret");
  TestClient c4(server, ClientTuple("192.0.2.10:1004"), "alice", "secret");
  const EvenAllocate reserved = ReserveAndDelete(server, c1, EvenRelay(0));
  REQUIRE(reserved.code == 0);
  CHECK(server.quotas.for_user("alice") == 1);
  Outcome claimed = Ask(
      server, c2, Method::kAllocate,
      Udp([&](MessageBuilder& b) { b.AddReservationToken(reserved.token); }));
  CHECK(claimed.code == 0);
  CHECK(server.quotas.for_user("alice") == 1);  // moved, not counted twice
  CHECK(Ask(server, c3, Method::kAllocate, Udp()).code == -1);  // opening
  CHECK(server.quotas.for_user("alice") == 2);
  CHECK(Ask(server, c4, Method::kAllocate, Udp()).code ==
        ec::kAllocationQuotaReached);
  // The claimed reservation's timer is gone with it: nothing at 30 s.
  server.AdvanceTo(kT0.mono + std::chrono::seconds(30));
  CHECK(server.quotas.for_user("alice") == 2);
}

TEST_CASE("a reservation claimed while its allocation lives needs a slot") {
  TestServer server(TestConfig(), {.per_user = 2});
  server.users.Add("alice", "secret");
  TestClient c1(server, ClientTuple("192.0.2.10:1001"), "alice", "secret");
  TestClient c2(server, ClientTuple("192.0.2.10:1002"), "alice", "secret");
  TestClient c3(server, ClientTuple("192.0.2.10:1003"), "alice", "secret");
  const EvenAllocate reserved = AllocateReserving(server, c1, EvenRelay(0));
  REQUIRE(reserved.code == 0);
  // The allocation and its reservation share one slot.
  CHECK(server.quotas.for_user("alice") == 1);
  CHECK(Ask(server, c2, Method::kAllocate, Udp([&](MessageBuilder& b) {
              b.AddReservationToken(reserved.token);
            }))
            .code == 0);
  CHECK(server.quotas.for_user("alice") == 2);
  CHECK(Ask(server, c3, Method::kAllocate, Udp()).code ==
        ec::kAllocationQuotaReached);
  // With its reservation claimed, deleting the first gives its slot back.
  REQUIRE(Ask(server, c1, Method::kRefresh, [](MessageBuilder& b) {
            b.AddLifetime(0);
          }).code == 0);
  CHECK(server.quotas.for_user("alice") == 1);
}

TEST_CASE("a reservation claimed by another user moves the slot to them") {
  TestServer server(TestConfig(), {.per_user = 1});
  server.users.Add("alice", "secret");
  server.users.Add("bob", "secret");
  TestClient alice(server, ClientTuple("192.0.2.10:1001"), "alice", "secret");
  TestClient bob(server, ClientTuple("192.0.2.20:1001"), "bob", "secret");
  const EvenAllocate reserved = ReserveAndDelete(server, alice, EvenRelay(0));
  REQUIRE(reserved.code == 0);
  CHECK(Ask(server, bob, Method::kAllocate, Udp([&](MessageBuilder& b) {
              b.AddReservationToken(reserved.token);
            }))
            .code == 0);
  CHECK(server.quotas.for_user("alice") == 0);
  CHECK(server.quotas.for_user("bob") == 1);
  CHECK(server.quotas.total() == 1);
}

TEST_CASE("reservations count against the total and per-IP quotas too") {
  SUBCASE("total: the next Allocate is 508") {
    TestServer server(TestConfig(), {.total = 2});
    server.users.Add("alice", "secret");
    server.users.Add("bob", "secret");
    TestClient a(server, ClientTuple("192.0.2.10:1"), "alice", "secret");
    TestClient b(server, ClientTuple("192.0.2.20:1"), "bob", "secret");
    TestClient b2(server, ClientTuple("192.0.2.20:2"), "bob", "secret");
    REQUIRE(ReserveAndDelete(server, a, EvenRelay(0)).code == 0);
    REQUIRE(ReserveAndDelete(server, b, EvenRelay(1)).code == 0);
    CHECK(server.quotas.total() == 2);
    CHECK(Ask(server, b2, Method::kAllocate, Udp()).code ==
          ec::kInsufficientCapacity);
  }
  SUBCASE("per client IP: 486 from that IP, another IP is free") {
    TestServer server(TestConfig(), {.per_client_ip = 1});
    server.users.Add("alice", "secret");
    server.users.Add("bob", "secret");
    TestClient a(server, ClientTuple("192.0.2.10:1"), "alice", "secret");
    TestClient same_ip(server, ClientTuple("192.0.2.10:2"), "bob", "secret");
    TestClient elsewhere(server, ClientTuple("192.0.2.20:2"), "bob", "secret");
    REQUIRE(ReserveAndDelete(server, a, EvenRelay(0)).code == 0);
    CHECK(Ask(server, same_ip, Method::kAllocate, Udp()).code ==
          ec::kAllocationQuotaReached);
    CHECK(Ask(server, elsewhere, Method::kAllocate, Udp()).code == -1);
  }
}

TEST_CASE("Shutdown gives back the slots reservations hold") {
  TestServer server(TestConfig(), {.per_user = 2});
  server.users.Add("alice", "secret");
  TestClient a(server, ClientTuple("192.0.2.10:1"), "alice", "secret");
  TestClient b(server, ClientTuple("192.0.2.10:2"), "alice", "secret");
  REQUIRE(ReserveAndDelete(server, a, EvenRelay(0)).code == 0);
  REQUIRE(AllocateReserving(server, b, EvenRelay(1)).code == 0);
  server->Shutdown(server.now);
  server.Drain();
  CHECK(server.quotas.total() == 0);
  CHECK(server->deadline_count() == 0);
}

}  // namespace
}  // namespace turnpike::core::testing
