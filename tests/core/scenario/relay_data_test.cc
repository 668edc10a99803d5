// Scenario tests: relayed data in both directions (RFC 8656 §11, §12.4-
// §12.6): Send and Data indications, ChannelData, permissions, the peer
// policy on every packet, and the bandwidth cap.
#include <doctest/doctest.h>

#include <numeric>

#include "core/stun/channel_data.h"
#include "tests/core/scenario/test_server.h"
#include "tests/harness/printers.h"

namespace turnpike::core::testing {
namespace {

using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageView;
using stun::Method;

const TransportAddress kRelay4 = Addr("203.0.113.5:50000");
const TransportAddress kPeer = Addr("192.0.2.200:7000");

std::vector<uint8_t> Payload(size_t size) {
  std::vector<uint8_t> p(size);
  std::iota(p.begin(), p.end(), uint8_t{1});
  return p;
}

// The bytes a Forward puts on the wire.
std::vector<uint8_t> Wire(const Forward& f) {
  std::vector<uint8_t> out(f.prefix.view().begin(), f.prefix.view().end());
  out.insert(out.end(), f.payload.begin(), f.payload.end());
  out.insert(out.end(), f.padding, 0);
  return out;
}

struct Relaying {
  TestServer server;
  TestClient client{server, ClientTuple(), "alice", "secret"};
  RelayId relay;
  explicit Relaying(ServerConfig config = TestConfig()) : server(config) {
    server.users.Add("alice", "secret");
    relay = client.Allocate(kRelay4);
  }
  Encoded SendIndication(const TransportAddress& peer,
                         const std::vector<uint8_t>& data) {
    return client.Indication(Method::kSend, [&](MessageBuilder& b) {
      b.AddXorAddress(AttributeType::kXorPeerAddress, peer);
      b.AddBytes(AttributeType::kData, data);
    });
  }
  std::optional<Forward> FromPeer(const TransportAddress& peer,
                                  const std::vector<uint8_t>& data) {
    auto f = server->HandlePeerDatagram(server.now, relay, peer, data);
    server->CheckInvariants();
    return f;
  }
};

TEST_CASE("Send indication without a permission is dropped (RFC 8656 §11.2)") {
  Relaying r;
  const auto data = Payload(10);
  CHECK_FALSE(r.client.Send(r.SendIndication(kPeer, data)).has_value());
  CHECK(r.server->stats().dropped(DropReason::kNoPermission) == 1);
  ExpectNothing(r.server);
}

TEST_CASE("Send indication with a permission is forwarded from the relay") {
  Relaying r;
  r.client.Permit(kPeer);
  const auto data = Payload(13);
  const Encoded indication = r.SendIndication(kPeer, data);
  std::optional<Forward> f = r.client.Send(indication);
  REQUIRE(f.has_value());
  CHECK(std::get<RelayId>(f->via) == r.relay);
  CHECK(f->to == kPeer);
  CHECK(f->prefix.size == 0);
  CHECK(f->padding == 0);
  CHECK(std::vector<uint8_t>(f->payload.begin(), f->payload.end()) == data);
  // Zero-copy: the payload points into the indication's own bytes.
  CHECK(f->payload.data() >= indication.bytes.data());
  CHECK(f->payload.data() < indication.bytes.data() + indication.bytes.size());
  ExpectNothing(r.server);
}

TEST_CASE("a Send indication with an unknown comprehension-required attribute is discarded") {
  // RFC 8489 §6.3.2: indications cannot be answered with 420, so they are
  // discarded whole, even with a permission for the peer.
  Relaying r;
  r.client.Permit(kPeer);
  const auto data = Payload(8);
  const uint8_t value[4] = {1, 2, 3, 4};
  const Encoded indication =
      r.client.Indication(Method::kSend, [&](MessageBuilder& b) {
        b.AddXorAddress(AttributeType::kXorPeerAddress, kPeer);
        b.AddBytes(AttributeType::kData, data);
        b.AddBytes(uint16_t{0x7F01}, value);  // unassigned, < 0x8000
      });
  CHECK_FALSE(r.client.Send(indication).has_value());
  CHECK(r.server->stats().dropped(DropReason::kBadIndication) == 1);
  ExpectNothing(r.server);
}

TEST_CASE("a peer datagram becomes a Data indication (RFC 8656 §11.4)") {
  Relaying r;
  r.client.Permit(kPeer);
  for (size_t size : {0, 1, 3, 4, 5, 1200}) {
    CAPTURE(size);
    const auto data = Payload(size);
    std::optional<Forward> f = r.FromPeer(kPeer, data);
    REQUIRE(f.has_value());
    CHECK(std::get<ListenerId>(f->via) == r.client.tuple.listener);
    CHECK(f->to == r.client.tuple.client);
    CHECK(f->prefix.size == 36);
    const std::vector<uint8_t> wire = Wire(*f);
    CHECK(wire.size() % 4 == 0);
    auto m = MessageView::Parse(wire);
    REQUIRE(m.ok());
    CHECK(m->message_class() == stun::MessageClass::kIndication);
    CHECK(m->method() == static_cast<uint16_t>(Method::kData));
    CHECK(m->XorPeerAddresses().front() == kPeer);
    REQUIRE(m->Data().has_value());
    CHECK(std::vector<uint8_t>(m->Data()->begin(), m->Data()->end()) == data);
  }
  // Each Data indication has its own transaction ID.
  // (The payloads outlive the Forwards that borrow them.)
  const auto four = Payload(4);
  auto a = r.FromPeer(kPeer, four);
  auto b = r.FromPeer(kPeer, four);
  REQUIRE((a && b));
  CHECK(Wire(*a) != Wire(*b));
}

TEST_CASE("a peer without a permission is not relayed to the client") {
  Relaying r;
  r.client.Permit(kPeer);
  // Same port, other IP: no permission. Other port, same IP: permitted
  // (RFC 8656 §9: permissions ignore the port).
  CHECK_FALSE(r.FromPeer(Addr("192.0.2.201:7000"), Payload(4)).has_value());
  CHECK(r.FromPeer(Addr("192.0.2.200:9999"), Payload(4)).has_value());
  CHECK(r.server->stats().dropped(DropReason::kNoPermission) == 1);
}

TEST_CASE("ChannelData both ways once bound (RFC 8656 §12.4-§12.6)") {
  Relaying r;
  r.client.Bind(0x4001, kPeer);
  const auto data = Payload(7);
  std::vector<uint8_t> frame = {0x40, 0x01, 0x00, 0x07};
  frame.insert(frame.end(), data.begin(), data.end());
  frame.push_back(0);  // padding over UDP is allowed and ignored
  std::optional<Forward> out = r.client.Send(frame);
  REQUIRE(out.has_value());
  CHECK(std::get<RelayId>(out->via) == r.relay);
  CHECK(out->to == kPeer);
  CHECK(std::vector<uint8_t>(out->payload.begin(), out->payload.end()) == data);

  std::optional<Forward> in = r.FromPeer(kPeer, data);
  REQUIRE(in.has_value());
  CHECK(in->prefix.size == 4);
  CHECK(in->padding == 0);  // UDP: no padding (§12.5)
  const std::vector<uint8_t> wire = Wire(*in);
  auto parsed = stun::ParseChannelData(wire);
  REQUIRE(parsed.ok());
  CHECK(parsed->channel == 0x4001);
  CHECK(std::vector<uint8_t>(parsed->payload.begin(), parsed->payload.end()) ==
        data);
  ExpectNothing(r.server);
}

TEST_CASE("ChannelData on an unbound number or without allocation is dropped") {
  Relaying r;
  r.client.Bind(0x4001, kPeer);
  const std::vector<uint8_t> frame = {0x40, 0x02, 0x00, 0x01, 0xAA, 0, 0, 0};
  CHECK_FALSE(r.client.Send(frame).has_value());
  CHECK(r.server->stats().dropped(DropReason::kNoChannel) == 1);
  TestClient stranger(r.server, ClientTuple("192.0.2.77:1"), "alice", "secret");
  const std::vector<uint8_t> bound = {0x40, 0x01, 0x00, 0x01, 0xAA, 0, 0, 0};
  CHECK_FALSE(stranger.Send(bound).has_value());
  CHECK(r.server->stats().dropped(DropReason::kNoAllocation) == 1);
}

TEST_CASE("a channel whose permission expired carries nothing") {
  Relaying r;
  r.client.Bind(0x4001, kPeer);
  r.server.Advance(std::chrono::seconds(300));
  r.server.Drain();  // PermissionDeleted
  const std::vector<uint8_t> frame = {0x40, 0x01, 0x00, 0x01, 0xAA, 0, 0, 0};
  CHECK_FALSE(r.client.Send(frame).has_value());
  CHECK_FALSE(r.FromPeer(kPeer, Payload(1)).has_value());
  CHECK(r.server->stats().dropped(DropReason::kNoPermission) == 2);
}

TEST_CASE("a peer policy change applies to existing permissions at once") {
  ServerConfig config = TestConfig();
  config.peer_rules.allow = {*Cidr::Parse("10.1.0.0/16")};
  Relaying r(config);
  const TransportAddress inside = Addr("10.1.2.3:5000");
  r.client.Permit(inside);
  CHECK(r.FromPeer(inside, Payload(4)).has_value());
  r.server->SetPeerRules(PeerFilterRules{});  // the allow rule is removed
  CHECK_FALSE(r.FromPeer(inside, Payload(4)).has_value());
  CHECK_FALSE(r.client.Send(r.SendIndication(inside, Payload(4))).has_value());
  CHECK(r.server->stats().dropped(DropReason::kPeerFiltered) == 2);
}

// The verdict is cached with the channel binding and the permission
// (turn::CachedVerdict); this fails if the cache were never re-evaluated
// when the policy changes, or never refreshed when it changes back.
TEST_CASE("a cached peer verdict follows SetPeerRules both ways without a new permission") {
  ServerConfig config = TestConfig();
  config.peer_rules.allow = {*Cidr::Parse("10.1.0.0/16")};
  Relaying r(config);
  const TransportAddress bound = Addr("10.1.2.3:5000");
  const TransportAddress unbound = Addr("10.1.9.9:6000");
  r.client.Bind(0x4001, bound);
  r.client.Permit(unbound);
  r.server.Drain();
  const std::vector<uint8_t> frame = {0x40, 0x01, 0x00, 0x01, 0xAA, 0, 0, 0};
  auto all_relayed = [&] {
    return r.client.Send(frame).has_value() &&
           r.FromPeer(bound, Payload(4)).has_value() &&
           r.client.Send(r.SendIndication(unbound, Payload(4))).has_value() &&
           r.FromPeer(unbound, Payload(4)).has_value();
  };
  // Relayed, repeatedly, so each entry's verdict is cached.
  for (int i = 0; i < 3; ++i) REQUIRE(all_relayed());
  CHECK(r.server->stats().dropped(DropReason::kPeerFiltered) == 0);

  PeerFilterRules deny;
  deny.allow = {*Cidr::Parse("10.1.0.0/16")};
  deny.deny = {*Cidr::Parse("10.1.0.0/17")};  // both peers
  r.server->SetPeerRules(deny);
  CHECK_FALSE(r.client.Send(frame).has_value());
  CHECK_FALSE(r.FromPeer(bound, Payload(4)).has_value());
  CHECK_FALSE(r.client.Send(r.SendIndication(unbound, Payload(4))).has_value());
  CHECK_FALSE(r.FromPeer(unbound, Payload(4)).has_value());
  CHECK(r.server->stats().dropped(DropReason::kPeerFiltered) == 4);
  // Still refused on the next packets (the refusal is cached too).
  CHECK_FALSE(r.client.Send(frame).has_value());
  CHECK(r.server->stats().dropped(DropReason::kPeerFiltered) == 5);

  // Allowed again: the same permissions and binding carry data at once.
  r.server->SetPeerRules(config.peer_rules);
  CHECK(all_relayed());
  CHECK(r.server->stats().dropped(DropReason::kPeerFiltered) == 5);
  CHECK(r.server->stats().dropped(DropReason::kNoPermission) == 0);
  ExpectNothing(r.server);  // no new permission or channel was made
}

TEST_CASE("the bandwidth cap drops what exceeds the bucket, each way") {
  ServerConfig config = TestConfig();
  config.bandwidth_bytes_per_second = 1000;
  Relaying r(config);
  r.client.Permit(kPeer);
  // A full bucket holds one second's worth.
  CHECK(r.FromPeer(kPeer, Payload(600)).has_value());
  CHECK(r.FromPeer(kPeer, Payload(400)).has_value());
  CHECK_FALSE(r.FromPeer(kPeer, Payload(1)).has_value());
  CHECK(r.server->stats().dropped(DropReason::kOverBandwidth) == 1);
  // The other direction has its own bucket.
  CHECK(r.client.Send(r.SendIndication(kPeer, Payload(1000))).has_value());
  // Half a second refills half.
  r.server.Advance(std::chrono::milliseconds(500));
  CHECK(r.FromPeer(kPeer, Payload(500)).has_value());
  CHECK_FALSE(r.FromPeer(kPeer, Payload(1)).has_value());
  // The counters reach the AllocationDeleted event.
  r.server.Advance(std::chrono::seconds(600));
  std::vector<Command> got = r.server.Drain();
  bool seen = false;
  for (const Command& c : got) {
    if (!std::holds_alternative<Event>(c)) continue;
    if (auto* d = std::get_if<AllocationDeleted>(&std::get<Event>(c))) {
      seen = true;
      CHECK(d->counters.packets_to_client == 3);
      CHECK(d->counters.bytes_to_client == 1500);
      CHECK(d->counters.packets_to_peer == 1);
      CHECK(d->counters.bytes_to_peer == 1000);
      CHECK(d->counters.dropped_over_bandwidth == 2);
    }
  }
  CHECK(seen);
}

}  // namespace
}  // namespace turnpike::core::testing
