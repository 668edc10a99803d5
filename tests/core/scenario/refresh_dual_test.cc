// Scenario tests: Refresh (RFC 8656 §7.3), dual-stack allocations
// (ADDITIONAL-ADDRESS-FAMILY, §7.2, RFC 8656 §18.12/§18.11), REQUESTED-
// ADDRESS-FAMILY, EVEN-PORT with RESERVATION-TOKEN, quotas, connection
// close and shutdown.
#include <doctest/doctest.h>

#include "tests/core/scenario/test_server.h"
#include "tests/harness/printers.h"

namespace turnpike::core::testing {
namespace {

using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageView;
using stun::Method;
namespace ec = stun::error_code;

const TransportAddress kRelay4 = Addr("203.0.113.5:50000");
const TransportAddress kRelay6 = Addr("[2001:db8::5]:50002");

auto Udp(std::function<void(MessageBuilder&)> more = {}) {
  return [more](MessageBuilder& b) {
    b.AddRequestedTransport(17);
    if (more) more(b);
  };
}

// Sends an authenticated Allocate and returns the OpenRelay commands.
std::vector<OpenRelay> StartAllocate(TestServer& server, TestClient& client,
                                     TestClient::Attributes attributes) {
  if (client.nonce.empty()) client.GetNonce();
  client.Send(client.Request(Method::kAllocate, attributes));
  std::vector<OpenRelay> opens;
  for (Command& c : server.Drain()) {
    if (auto* o = std::get_if<OpenRelay>(&c)) opens.push_back(*o);
  }
  return opens;
}

TEST_CASE("Refresh extends the lifetime and LIFETIME 0 deletes") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  const RelayId relay = client.Allocate(kRelay4);
  server.Advance(std::chrono::seconds(500));
  client.Send(client.Request(Method::kRefresh,
                             [](MessageBuilder& b) { b.AddLifetime(1200); }));
  Expect(server, {Verdict(AuthOutcome::kAccepted),
                  Success(Method::kRefresh, [](const MessageView& m) {
                    CHECK(m.Lifetime() == 1200u);
                  })});
  const MonoTime expiry = server.now.mono + std::chrono::seconds(1200);
  // The old deadline (t0+600) passes without effect.
  server.Advance(std::chrono::seconds(200));
  ExpectNothing(server);
  CHECK(server->NextDeadline() == expiry);

  client.GetNonce();  // 700 s on, the nonce is stale
  client.Send(client.Request(Method::kRefresh,
                             [](MessageBuilder& b) { b.AddLifetime(0); }));
  Expect(server,
         {Verdict(AuthOutcome::kAccepted),
          Success(Method::kRefresh,
                  [](const MessageView& m) { CHECK(m.Lifetime() == 0u); }),
          EventOf<AllocationDeleted>("AllocationDeleted",
                                     [](const AllocationDeleted& e) {
                                       CHECK(e.reason ==
                                             DeleteReason::kClientDeleted);
                                     }),
          Close(relay)});
  CHECK(server->allocation_count() == 0);
  CHECK(server.quotas.total() == 0);
}

TEST_CASE("a dual allocation relays on IPv4 and IPv6 (RFC 8656 §7.2)") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  auto opens = StartAllocate(server, client, Udp([](MessageBuilder& b) {
                               b.AddAdditionalAddressFamily(0x02);
                             }));
  REQUIRE(opens.size() == 2);
  CHECK(opens[0].family == AddressFamily::kIpv4);
  CHECK(opens[1].family == AddressFamily::kIpv6);
  // Completion in either order: the answer waits for both.
  server->HandleRelayOpened(server.now, opens[1].id, kRelay6);
  ExpectNothing(server);
  server->HandleRelayOpened(server.now, opens[0].id, kRelay4);
  Expect(server, {EventOf<AllocationCreated>(
                      "AllocationCreated",
                      [](const AllocationCreated& e) {
                        CHECK(e.relayed ==
                              std::vector<TransportAddress>{kRelay4, kRelay6});
                      }),
                  Success(Method::kAllocate, [](const MessageView& m) {
                    auto relayed = m.XorRelayedAddresses();
                    REQUIRE(relayed.size() == 2);
                    CHECK(relayed[0] == kRelay4);
                    CHECK(relayed[1] == kRelay6);
                    CHECK_FALSE(m.AddressErrorCode().has_value());
                  })});
  // Peers of both families may be permitted.
  client.Permit(Addr("192.0.2.200:1"));
  client.Permit(Addr("[2001:db8:1::1]:1"));

  SUBCASE("Refresh of one family with LIFETIME 0 closes only that relay") {
    client.Send(client.Request(Method::kRefresh, [](MessageBuilder& b) {
      b.AddLifetime(0);
      b.AddRequestedAddressFamily(0x02);
    }));
    Expect(server, {Verdict(AuthOutcome::kAccepted), Success(Method::kRefresh),
                    Close(opens[1].id)});
    CHECK(server->allocation_count() == 1);
    // IPv6 peers are now a family the allocation lacks.
    client.Send(
        client.Request(Method::kCreatePermission, [](MessageBuilder& b) {
          b.AddXorAddress(AttributeType::kXorPeerAddress,
                          Addr("[2001:db8:1::1]:1"));
        }));
    Expect(server,
           {Verdict(AuthOutcome::kAccepted),
            Error(Method::kCreatePermission, ec::kPeerAddressFamilyMismatch)});
    // Refreshing the family that is gone is 443.
    client.Send(client.Request(Method::kRefresh, [](MessageBuilder& b) {
      b.AddRequestedAddressFamily(0x02);
    }));
    Expect(server, {Verdict(AuthOutcome::kAccepted),
                    Error(Method::kRefresh, ec::kPeerAddressFamilyMismatch)});
  }
  SUBCASE("deleting the allocation reports every permission and both relays") {
    client.Send(client.Request(Method::kRefresh,
                               [](MessageBuilder& b) { b.AddLifetime(0); }));
    Expect(server, {Verdict(AuthOutcome::kAccepted), Success(Method::kRefresh),
                    EventOf<PermissionDeleted>("PermissionDeleted v4"),
                    EventOf<PermissionDeleted>("PermissionDeleted v6"),
                    EventOf<AllocationDeleted>("AllocationDeleted",
                                               [](const AllocationDeleted& e) {
                                                 CHECK(e.relayed.size() == 2);
                                               }),
                    Close(opens[0].id), Close(opens[1].id)});
  }
}

TEST_CASE("dual allocation where IPv6 cannot be had: ADDRESS-ERROR-CODE") {
  SUBCASE("IPv6 relaying not configured: 440 for that family") {
    ServerConfig config = TestConfig();
    config.relay_ipv6 = false;
    TestServer server(config);
    server.users.Add("alice", "secret");
    TestClient client(server, ClientTuple(), "alice", "secret");
    auto opens = StartAllocate(server, client, Udp([](MessageBuilder& b) {
                                 b.AddAdditionalAddressFamily(0x02);
                               }));
    REQUIRE(opens.size() == 1);
    server->HandleRelayOpened(server.now, opens[0].id, kRelay4);
    Expect(server, {EventOf<AllocationCreated>("created"),
                    Success(Method::kAllocate, [](const MessageView& m) {
                      CHECK(m.XorRelayedAddresses().size() == 1);
                      auto error = m.AddressErrorCode();
                      REQUIRE(error.has_value());
                      CHECK(error->family == 0x02);
                      CHECK(error->code == 440);
                    })});
  }
  SUBCASE("IPv6 bind fails: 508 for that family, IPv4 stands") {
    TestServer server;
    server.users.Add("alice", "secret");
    TestClient client(server, ClientTuple(), "alice", "secret");
    auto opens = StartAllocate(server, client, Udp([](MessageBuilder& b) {
                                 b.AddAdditionalAddressFamily(0x02);
                               }));
    REQUIRE(opens.size() == 2);
    server->HandleRelayOpened(server.now, opens[0].id, kRelay4);
    server->HandleRelayFailed(server.now, opens[1].id,
                              absl::UnavailableError("no v6"));
    Expect(server, {EventOf<AllocationCreated>("created"),
                    Success(Method::kAllocate, [](const MessageView& m) {
                      CHECK(m.XorRelayedAddresses().size() == 1);
                      REQUIRE(m.AddressErrorCode().has_value());
                      CHECK(m.AddressErrorCode()->code == 508);
                    })});
  }
}

TEST_CASE(
    "a relay still opening when its allocation dies is closed once, "
    "after it is bound") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  auto opens = StartAllocate(server, client, Udp([](MessageBuilder& b) {
                               b.AddAdditionalAddressFamily(0x02);
                             }));
  REQUIRE(opens.size() == 2);
  SUBCASE("IPv4 fails first: 508; the IPv6 socket is closed when it reports") {
    server->HandleRelayFailed(server.now, opens[0].id,
                              absl::UnavailableError("no v4"));
    // No CloseRelay yet: the IPv6 socket is not bound, so there is nothing
    // to close until the runtime says it is.
    Expect(server, {EventOf<AllocationError>("AllocationError"),
                    Error(Method::kAllocate, 508)});
    server->HandleRelayOpened(server.now, opens[1].id, kRelay6);
    Expect(server, {Close(opens[1].id)});
    // A second report of the same id is a runtime bug, but it must not
    // leave a socket open either.
    server->CheckInvariants();
  }
  SUBCASE("IPv4 fails first and IPv6 fails too: nothing to close") {
    server->HandleRelayFailed(server.now, opens[0].id,
                              absl::UnavailableError("no v4"));
    Expect(server, {EventOf<AllocationError>("AllocationError"),
                    Error(Method::kAllocate, 508)});
    server->HandleRelayFailed(server.now, opens[1].id,
                              absl::UnavailableError("no v6"));
    ExpectNothing(server);
  }
  SUBCASE("Shutdown while both open: each is closed when it reports") {
    server->Shutdown(server.now);
    ExpectNothing(server);
    CHECK(server->allocation_count() == 0);
    server->HandleRelayOpened(server.now, opens[1].id, kRelay6);
    Expect(server, {Close(opens[1].id)});
    server->HandleRelayOpened(server.now, opens[0].id, kRelay4);
    Expect(server, {Close(opens[0].id)});
  }
}

TEST_CASE("address family attributes: the combinations RFC 8656 §7.2 refuses") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.GetNonce();
  auto expect = [&](int code, TestClient::Attributes attributes) {
    client.Send(client.Request(Method::kAllocate, Udp(attributes)));
    Expect(server, {Verdict(AuthOutcome::kAccepted),
                    EventOf<AllocationError>("AllocationError"),
                    Error(Method::kAllocate, code)});
  };
  // Both family attributes.
  expect(400, [](MessageBuilder& b) {
    b.AddRequestedAddressFamily(0x01);
    b.AddAdditionalAddressFamily(0x02);
  });
  // ADDITIONAL-ADDRESS-FAMILY asking for IPv4.
  expect(400, [](MessageBuilder& b) { b.AddAdditionalAddressFamily(0x01); });
  // EVEN-PORT R=1 with a dual allocation.
  expect(400, [](MessageBuilder& b) {
    b.AddEvenPort(true);
    b.AddAdditionalAddressFamily(0x02);
  });
  // A token with anything that picks an address.
  expect(400, [](MessageBuilder& b) {
    b.AddReservationToken(1);
    b.AddEvenPort(false);
  });
  expect(400, [](MessageBuilder& b) {
    b.AddReservationToken(1);
    b.AddRequestedAddressFamily(0x01);
  });
  // A token that names no reservation.
  expect(508, [](MessageBuilder& b) { b.AddReservationToken(42); });
  CHECK(server->allocation_count() == 0);
  CHECK(server.quotas.total() == 0);
}

TEST_CASE("REQUESTED-ADDRESS-FAMILY picks the relay family: 440 when off") {
  ServerConfig config = TestConfig();
  config.relay_ipv6 = false;
  TestServer server(config);
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.GetNonce();
  client.Send(client.Request(Method::kAllocate, Udp([](MessageBuilder& b) {
                               b.AddRequestedAddressFamily(0x02);
                             })));
  Expect(server, {Verdict(AuthOutcome::kAccepted),
                  EventOf<AllocationError>("AllocationError"),
                  Error(Method::kAllocate, ec::kAddressFamilyNotSupported)});
  TestServer both;
  both.users.Add("alice", "secret");
  TestClient v6(both, ClientTuple(), "alice", "secret");
  auto opens = StartAllocate(both, v6, Udp([](MessageBuilder& b) {
                               b.AddRequestedAddressFamily(0x02);
                             }));
  REQUIRE(opens.size() == 1);
  CHECK(opens[0].family == AddressFamily::kIpv6);
}

TEST_CASE("EVEN-PORT R=1 reserves port+1 under a token (RFC 8656 §7.2)") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient first(server, ClientTuple("192.0.2.10:1000"), "alice", "secret");
  auto opens = StartAllocate(
      server, first, Udp([](MessageBuilder& b) { b.AddEvenPort(true); }));
  REQUIRE(opens.size() == 1);
  CHECK(opens[0].even_port);
  REQUIRE(opens[0].reserve_id.has_value());
  const RelayId reserved = *opens[0].reserve_id;
  server->HandleRelayOpened(server.now, opens[0].id, Addr("203.0.113.5:50000"));
  uint64_t token = 0;
  Expect(server, {EventOf<AllocationCreated>("created"),
                  Success(Method::kAllocate, [&](const MessageView& m) {
                    REQUIRE(m.ReservationToken().has_value());
                    token = *m.ReservationToken();
                  })});

  SUBCASE("a second Allocate with the token gets port+1 at once") {
    TestClient second(server, ClientTuple("192.0.2.10:1001"), "alice",
                      "secret");
    second.GetNonce();
    second.Send(second.Request(Method::kAllocate, Udp([&](MessageBuilder& b) {
                                 b.AddReservationToken(token);
                               })));
    Expect(
        server,
        {Verdict(AuthOutcome::kAccepted),
         EventOf<AllocationCreated>("created",
                                    [](const AllocationCreated& e) {
                                      CHECK(e.requested_port == 50001);
                                    }),
         Success(Method::kAllocate, [](const MessageView& m) {
           CHECK(m.XorRelayedAddresses().front() == Addr("203.0.113.5:50001"));
         })});
    // The token is used up.
    TestClient third(server, ClientTuple("192.0.2.10:1002"), "alice", "secret");
    third.GetNonce();
    third.Send(third.Request(Method::kAllocate, Udp([&](MessageBuilder& b) {
                               b.AddReservationToken(token);
                             })));
    Expect(server, {Verdict(AuthOutcome::kAccepted),
                    EventOf<AllocationError>("AllocationError"),
                    Error(Method::kAllocate, ec::kInsufficientCapacity)});
  }
  SUBCASE("an unclaimed reservation is released after 30 s exactly") {
    const MonoTime at = server.now.mono + std::chrono::seconds(30);
    server.AdvanceTo(at - std::chrono::nanoseconds(1));
    ExpectNothing(server);
    server.AdvanceTo(at);
    Expect(server, {Close(reserved)});
  }
}

TEST_CASE("quotas: per user and per client IP are 486, capacity is 508") {
  TestServer server(TestConfig(),
                    {.total = 3, .per_user = 2, .per_client_ip = 2});
  server.users.Add("alice", "secret");
  server.users.Add("bob", "secret");
  TestClient a1(server, ClientTuple("192.0.2.10:1"), "alice", "secret");
  TestClient a2(server, ClientTuple("192.0.2.11:1"), "alice", "secret");
  TestClient a3(server, ClientTuple("192.0.2.12:1"), "alice", "secret");
  a1.Allocate(kRelay4);
  a2.Allocate(kRelay4);
  auto refused = [&](TestClient& c, int code) {
    if (c.nonce.empty()) c.GetNonce();
    c.Send(c.Request(Method::kAllocate, Udp()));
    Expect(server, {Verdict(AuthOutcome::kAccepted),
                    EventOf<AllocationError>("AllocationError"),
                    Error(Method::kAllocate, code, [](const MessageView& m) {
                      // The reason phrase reveals no limit.
                      REQUIRE(m.ErrorCode().has_value());
                      CHECK(m.ErrorCode()->reason.find_first_of("0123456789") ==
                            std::string_view::npos);
                    })});
  };
  refused(a3, ec::kAllocationQuotaReached);  // alice has 2
  TestClient b1(server, ClientTuple("192.0.2.10:2"), "bob", "secret");
  b1.Allocate(kRelay4);  // the third allocation
  TestClient b2(server, ClientTuple("192.0.2.20:2"), "bob", "secret");
  refused(b2, ec::kInsufficientCapacity);  // total 3 reached
  // Freeing one lets the next in.
  server.Advance(std::chrono::seconds(600));
  server.Drain();
  CHECK(server.quotas.total() == 0);
  a3.GetNonce();
  a3.Allocate(kRelay4);
}

TEST_CASE("per client IP quota") {
  TestServer server(TestConfig(), {.per_client_ip = 1});
  server.users.Add("alice", "secret");
  server.users.Add("bob", "secret");
  TestClient a(server, ClientTuple("192.0.2.10:1"), "alice", "secret");
  a.Allocate(kRelay4);
  TestClient b(server, ClientTuple("192.0.2.10:2"), "bob", "secret");
  b.GetNonce();
  b.Send(b.Request(Method::kAllocate, Udp()));
  Expect(server, {Verdict(AuthOutcome::kAccepted),
                  EventOf<AllocationError>("AllocationError"),
                  Error(Method::kAllocate, ec::kAllocationQuotaReached)});
}

TEST_CASE("a closed stream connection deletes its allocation (RFC 8656 §3.2)") {
  TestServer server;
  server.users.Add("alice", "secret");
  FiveTuple tcp = ClientTuple();
  tcp.transport = Transport::kTcp;
  TestClient client(server, tcp, "alice", "secret");
  const RelayId relay = client.Allocate(kRelay4);
  server->HandleConnectionClosed(server.now, tcp);
  Expect(server, {EventOf<AllocationDeleted>(
                      "AllocationDeleted",
                      [](const AllocationDeleted& e) {
                        CHECK(e.reason == DeleteReason::kConnectionClosed);
                      }),
                  Close(relay)});
}

TEST_CASE("Shutdown deletes every allocation in creation order") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient a(server, ClientTuple("192.0.2.10:1"), "alice", "secret");
  TestClient b(server, ClientTuple("192.0.2.10:2"), "alice", "secret");
  const RelayId ra = a.Allocate(kRelay4);
  const RelayId rb = b.Allocate(Addr("203.0.113.5:50002"));
  server->Shutdown(server.now);
  Expect(server, {EventOf<AllocationDeleted>(
                      "AllocationDeleted a",
                      [&](const AllocationDeleted& e) {
                        CHECK(e.subject.five_tuple == a.tuple);
                        CHECK(e.reason == DeleteReason::kShutdown);
                      }),
                  Close(ra), EventOf<AllocationDeleted>("AllocationDeleted b"),
                  Close(rb)});
  CHECK_FALSE(server->NextDeadline().has_value());
}

}  // namespace
}  // namespace turnpike::core::testing
