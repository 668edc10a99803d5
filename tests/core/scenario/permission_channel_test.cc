// Scenario tests: CreatePermission (RFC 8656 §9), ChannelBind (§12) and
// their timers, including the §12.1 cool-down.
#include <doctest/doctest.h>

#include <algorithm>

#include "core/stun/channel_data.h"
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
const TransportAddress kPeer = Addr("192.0.2.200:7000");
const TransportAddress kPeer2 = Addr("192.0.2.201:7000");

struct Allocated {
  TestServer server;
  TestClient client{server, ClientTuple(), "alice", "secret"};
  RelayId relay;
  explicit Allocated(ServerConfig config = TestConfig()) : server(config) {
    server.users.Add("alice", "secret");
    // An hour, so the allocation outlives every timer these tests watch.
    relay = client.Allocate(kRelay4,
                            [](MessageBuilder& b) { b.AddLifetime(3600); });
  }
};

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

Expectation PermissionCreatedFor(IpAddress peer) {
  return EventOf<PermissionCreated>("PermissionCreated " + peer.ToString(),
                                    [=](const PermissionCreated& e) {
                                      CHECK(e.peer == peer);
                                      CHECK(e.relayed == kRelay4);
                                      CHECK(e.subject.username == "alice");
                                    });
}

TEST_CASE("CreatePermission installs one permission per peer IP, 300 s") {
  Allocated a;
  a.client.Send(
      a.client.Request(Method::kCreatePermission, Peers({kPeer, kPeer2})));
  Expect(a.server,
         {Verdict(AuthOutcome::kAccepted), PermissionCreatedFor(kPeer.ip),
          PermissionCreatedFor(kPeer2.ip), Success(Method::kCreatePermission)});
  // A refresh of an existing permission emits no second Created.
  a.server.Advance(std::chrono::seconds(100));
  a.client.Send(a.client.Request(Method::kCreatePermission, Peers({kPeer})));
  Expect(a.server,
         {Verdict(AuthOutcome::kAccepted), Success(Method::kCreatePermission)});
  // kPeer2 expires at t+300 exactly; kPeer at t+400.
  const MonoTime start = a.server.now.mono - std::chrono::seconds(100);
  a.server.AdvanceTo(start + std::chrono::seconds(300) -
                     std::chrono::nanoseconds(1));
  ExpectNothing(a.server);
  a.server.AdvanceTo(start + std::chrono::seconds(300));
  Expect(a.server, {EventOf<PermissionDeleted>("PermissionDeleted",
                                               [](const PermissionDeleted& e) {
                                                 CHECK(e.peer == kPeer2.ip);
                                               })});
  a.server.AdvanceTo(start + std::chrono::seconds(400) -
                     std::chrono::nanoseconds(1));
  ExpectNothing(a.server);
  a.server.AdvanceTo(start + std::chrono::seconds(400));
  Expect(a.server, {EventOf<PermissionDeleted>("PermissionDeleted",
                                               [](const PermissionDeleted& e) {
                                                 CHECK(e.peer == kPeer.ip);
                                               })});
}

TEST_CASE(
    "CreatePermission errors: 400 without a peer, 443 for a family "
    "the allocation lacks, 403 for a filtered peer, all or nothing") {
  Allocated a;
  a.client.Send(a.client.Request(Method::kCreatePermission));
  Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                    Error(Method::kCreatePermission, ec::kBadRequest)});
  a.client.Send(a.client.Request(Method::kCreatePermission,
                                 Peers({kPeer, Addr("[2001:db8::9]:1")})));
  Expect(a.server,
         {Verdict(AuthOutcome::kAccepted),
          Error(Method::kCreatePermission, ec::kPeerAddressFamilyMismatch)});
  a.client.Send(a.client.Request(Method::kCreatePermission,
                                 Peers({kPeer, Addr("10.0.0.1:1")})));
  Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                    Error(Method::kCreatePermission, ec::kForbidden)});
  // Nothing was installed by the refused requests.
  CHECK(a.server->HandlePeerDatagram(a.server.now, a.relay, kPeer,
                                     std::vector<uint8_t>{1, 2, 3}) ==
        std::nullopt);
  CHECK(a.server->stats().dropped(DropReason::kNoPermission) == 1);
}

TEST_CASE("requests needing an allocation get 437 without one") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.GetNonce();
  for (Method method :
       {Method::kRefresh, Method::kCreatePermission, Method::kChannelBind}) {
    CAPTURE(static_cast<int>(method));
    client.Send(client.Request(method, Bind(0x4000, kPeer)));
    Expect(server, {Verdict(AuthOutcome::kAccepted),
                    Error(method, ec::kAllocationMismatch)});
  }
}

TEST_CASE("ChannelBind binds, installs the permission, and lives 600 s") {
  Allocated a;
  a.client.Send(a.client.Request(Method::kChannelBind, Bind(0x4000, kPeer)));
  Expect(a.server,
         {Verdict(AuthOutcome::kAccepted), PermissionCreatedFor(kPeer.ip),
          EventOf<ChannelCreated>("ChannelCreated",
                                  [](const ChannelCreated& e) {
                                    CHECK(e.channel == 0x4000);
                                    CHECK(e.peer == kPeer);
                                    CHECK(e.relayed == kRelay4);
                                  }),
          Success(Method::kChannelBind)});
  const MonoTime bound = a.server.now.mono;
  // The permission (300 s) goes first; the channel stays.
  a.server.AdvanceTo(bound + std::chrono::seconds(300));
  Expect(a.server, {EventOf<PermissionDeleted>("PermissionDeleted")});
  a.server.AdvanceTo(bound + std::chrono::seconds(600) -
                     std::chrono::nanoseconds(1));
  ExpectNothing(a.server);
  a.server.AdvanceTo(bound + std::chrono::seconds(600));
  Expect(a.server, {EventOf<ChannelDeleted>("ChannelDeleted",
                                            [](const ChannelDeleted& e) {
                                              CHECK(e.channel == 0x4000);
                                              CHECK(e.peer == kPeer);
                                            })});
}

TEST_CASE(
    "RFC 5766 channel numbers (0x5000-0x7FFF): accepted by default, "
    "refused under the RFC 8656 range") {
  const std::vector<uint8_t> payload = {1, 2, 3};
  auto channel_data = [&](uint16_t number) {
    std::vector<uint8_t> frame(4);
    const auto header = stun::EncodeChannelDataHeader(number, 3);
    std::copy(header.begin(), header.end(), frame.begin());
    frame.insert(frame.end(), payload.begin(), payload.end());
    return frame;
  };
  SUBCASE("default: an RFC 5766 client's 0x7C44 binds and carries data") {
    Allocated a;
    a.client.Bind(0x7C44, kPeer);
    const std::vector<uint8_t> frame = channel_data(0x7C44);
    std::optional<Forward> f = a.client.Send(frame);
    REQUIRE(f.has_value());
    CHECK(f->to == kPeer);
    // And back: the peer's data comes in ChannelData on that number.
    auto back =
        a.server->HandlePeerDatagram(a.server.now, a.relay, kPeer, payload);
    REQUIRE(back.has_value());
    CHECK(back->prefix.size == 4);
    CHECK(back->prefix.bytes[0] == 0x7C);
    CHECK(back->prefix.bytes[1] == 0x44);
  }
  SUBCASE("max_channel_number 0x4FFF: 400, and ChannelData on it dropped") {
    ServerConfig strict = TestConfig();
    strict.max_channel_number = 0x4FFF;
    Allocated a(strict);
    a.client.Send(a.client.Request(Method::kChannelBind, Bind(0x5000, kPeer)));
    Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                      Error(Method::kChannelBind, ec::kBadRequest)});
    CHECK_FALSE(a.client.Send(channel_data(0x5000)).has_value());
    CHECK(a.server->stats().dropped(DropReason::kMalformed) == 1);
  }
}

TEST_CASE("ChannelBind errors (RFC 8656 §12.2)") {
  Allocated a;
  auto expect_400 = [&](TestClient::Attributes attributes) {
    a.client.Send(a.client.Request(Method::kChannelBind, attributes));
    Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                      Error(Method::kChannelBind, ec::kBadRequest)});
  };
  SUBCASE("number out of range") {
    expect_400(Bind(0x3FFF, kPeer));
    expect_400(Bind(0x8000, kPeer));
  }
  SUBCASE("no number or no peer") {
    expect_400([](MessageBuilder& b) { b.AddChannelNumber(0x4000); });
    expect_400(Peers({kPeer}));
  }
  SUBCASE("number bound to another peer, peer bound to another number") {
    a.client.Bind(0x4000, kPeer);
    expect_400(Bind(0x4000, kPeer2));
    expect_400(Bind(0x4001, kPeer));
    // Rebinding the same pair is a refresh.
    a.client.Send(a.client.Request(Method::kChannelBind, Bind(0x4000, kPeer)));
    Expect(a.server,
           {Verdict(AuthOutcome::kAccepted), Success(Method::kChannelBind)});
  }
  SUBCASE("filtered peer is 403, other family 443") {
    a.client.Send(a.client.Request(Method::kChannelBind,
                                   Bind(0x4000, Addr("127.0.0.1:9"))));
    Expect(a.server, {Verdict(AuthOutcome::kAccepted),
                      Error(Method::kChannelBind, ec::kForbidden)});
    a.client.Send(a.client.Request(Method::kChannelBind,
                                   Bind(0x4000, Addr("[2001:db8::9]:9"))));
    Expect(a.server,
           {Verdict(AuthOutcome::kAccepted),
            Error(Method::kChannelBind, ec::kPeerAddressFamilyMismatch)});
  }
}

TEST_CASE("an expired channel's number and peer cool down for 5 minutes") {
  Allocated a;
  a.client.Bind(0x4000, kPeer);
  const MonoTime bound = a.server.now.mono;
  a.server.AdvanceTo(bound + std::chrono::seconds(600));
  a.server.Drain();  // PermissionDeleted, ChannelDeleted
  auto rebind = [&](uint16_t number, TransportAddress peer, bool ok) {
    a.client.GetNonce();  // the first one went stale (10 min) long ago
    a.client.Send(a.client.Request(Method::kChannelBind, Bind(number, peer)));
    std::vector<Command> got = a.server.Drain();
    REQUIRE(!got.empty());
    const MessageView m = ParseTransmit(got.back());
    if (ok) {
      CHECK(m.message_class() == stun::MessageClass::kSuccessResponse);
    } else {
      REQUIRE(m.ErrorCode().has_value());
      CHECK(m.ErrorCode()->code == 400);
    }
  };
  const MonoTime free_at = bound + std::chrono::seconds(600 + 300);
  a.server.AdvanceTo(free_at - std::chrono::nanoseconds(1));
  rebind(0x4000, kPeer2, false);  // the number, to another peer
  rebind(0x4001, kPeer, false);   // the peer, on another number
  a.server.AdvanceTo(free_at);
  rebind(0x4000, kPeer2, true);
  rebind(0x4001, kPeer, true);
}

TEST_CASE("the same pair may be bound again during the cool-down") {
  Allocated a;
  a.client.Bind(0x4000, kPeer);
  a.server.Advance(std::chrono::seconds(600));
  a.server.Drain();
  a.server.Advance(std::chrono::seconds(10));
  a.client.GetNonce();
  a.client.Send(a.client.Request(Method::kChannelBind, Bind(0x4000, kPeer)));
  Expect(a.server,
         {Verdict(AuthOutcome::kAccepted), PermissionCreatedFor(kPeer.ip),
          EventOf<ChannelCreated>("ChannelCreated"),
          Success(Method::kChannelBind)});
}

}  // namespace
}  // namespace turnpike::core::testing
