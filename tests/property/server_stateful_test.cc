// The TURN server against its reference model (tests/property/server_model.h)
// under random command sequences (rapidcheck's rc::state): clients
// allocate (IPv4 or dual), refresh, permit, bind channels and send data
// both ways; relay sockets open or fail in any order; time jumps, with the
// timer on time or late. After every step the server must have done
// exactly what the model says (response codes, relay sockets opened and
// closed, lifecycle event counts, relayed or dropped data: the relay and
// peer it leaves for, or the owner it reaches behind the decoded ChannelData
// or Data indication header), pass CheckInvariants(), agree on the live
// allocation count and quotas, and never close a relay socket that is not
// open. At the end Shutdown() must close every socket exactly once.
#include <doctest/doctest.h>
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/server.h"
#include "core/stun/channel_data.h"
#include "core/util/byte_io.h"
#include "tests/core/scenario/test_server.h"
#include "tests/property/property_check.h"
#include "tests/property/server_model.h"

namespace turnpike::testing {
namespace {

using core::Command;
using core::Duration;
using core::Forward;
using core::RelayId;
using core::testing::Addr;
using core::testing::ClientTuple;
using core::testing::Encoded;
using core::testing::TestClient;
using core::testing::TestServer;
using model::Effects;
using model::kPeers;
using model::Model;
using stun::AttributeType;
using stun::MessageBuilder;
using stun::Method;

const std::array<const char*, model::kClients> kClientAddresses = {
    "192.0.2.10:40000", "192.0.2.10:40001", "192.0.2.11:40000",
    "192.0.2.11:40001"};

core::ServerConfig StatefulConfig() {
  core::ServerConfig config = core::testing::TestConfig();
  config.default_lifetime = model::kDefaultLifetime;
  config.max_lifetime = model::kMaxLifetime;
  config.max_permissions_per_allocation = model::kMaxPermissions;
  config.max_channels_per_allocation = model::kMaxChannels;
  return config;
}

// What one step made the server do, in the model's terms.
struct Observed {
  std::vector<Command> commands;
  std::optional<Forward> forward;
};

struct Sut {
  TestServer server{StatefulConfig(),
                    {model::kTotalQuota, model::kUserQuota, model::kIpQuota}};
  std::vector<std::unique_ptr<TestClient>> clients;
  std::vector<RelayId> relay_of_key;  // model relay key → server RelayId
  std::set<RelayId> open;             // reported bound, not closed yet
  std::set<RelayId> closed;
  std::set<RelayId> failed;           // reported failed: nothing to close
  std::set<int> v6_keys;              // model keys of IPv6 OpenRelays
  std::vector<uint8_t> last_message;  // keeps a Forward's payload alive

  Sut() {
    server.users.Add("alice", "alice-pw");
    server.users.Add("bob", "bob-pw");
    for (int c = 0; c < model::kClients; ++c) {
      clients.push_back(std::make_unique<TestClient>(
          server, ClientTuple(kClientAddresses[c]),
          model::UserOf(c) == 0 ? "alice" : "bob",
          model::UserOf(c) == 0 ? "alice-pw" : "bob-pw"));
      // Nonces first, at t0, so no later step has to fetch one.
      clients.back()->GetNonce();
    }
  }

  TransportAddress RelayAddress(int key) const {
    const std::string port = std::to_string(50000 + key);
    return Addr(v6_keys.contains(key) ? "[2001:db8:1::5]:" + port
                                      : "203.0.113.5:" + port);
  }

  // A request from `client`, retried once with the new nonce when the old
  // one went stale (438): the model does not track nonces.
  std::vector<Command> Request(int client, Method method,
                               const TestClient::Attributes& add) {
    TestClient& c = *clients[client];
    std::vector<Command> out;
    for (int attempt = 0; attempt < 2; ++attempt) {
      c.Send(c.Request(method, add));
      std::vector<Command> got = server.Drain();
      bool stale = false;
      for (const Command& command : got) {
        if (const auto* t = std::get_if<core::Transmit>(&command)) {
          stun::MessageView m = core::testing::ParseTransmit(command);
          if (m.ErrorCode() && m.ErrorCode()->code == 438) {
            c.Learn(m);
            stale = true;
            (void)t;
            continue;
          }
        }
        out.push_back(command);
      }
      if (!stale) break;
      RC_ASSERT(attempt == 0);
    }
    return out;
  }
};

bool SameBytes(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

// What clients and peers send; the server forwards these very bytes.
const std::vector<uint8_t> kToPeerPayload = {1, 2, 3, 4, 5};
const std::vector<uint8_t> kToClientPayload = {9, 8, 7};

// Peer → client: to the owner's 5-tuple, behind the ChannelData header of
// the bound number (RFC 8656 §12.4) or a Data indication naming the peer
// (§11.4), each decoded from the bytes the runtime would send.
void CheckForwardToClient(const Sut& sut, const model::ToClient& expected,
                          const Forward& f) {
  const core::FiveTuple& owner = sut.clients[expected.client]->tuple;
  RC_ASSERT(std::holds_alternative<core::ListenerId>(f.via));
  RC_ASSERT(std::get<core::ListenerId>(f.via) == owner.listener);
  RC_ASSERT(f.transport == owner.transport);
  RC_ASSERT(f.to == owner.client);
  const absl::Span<const uint8_t> sent(sut.last_message);
  RC_ASSERT(f.payload.data() == sent.data());
  RC_ASSERT(f.payload.size() == sent.size());
  const absl::Span<const uint8_t> prefix = f.prefix.view();
  if (expected.channel) {
    RC_ASSERT(prefix.size() == stun::kChannelDataHeaderSize);
    RC_ASSERT(LoadBe16(prefix.data()) == *expected.channel);
    RC_ASSERT(LoadBe16(prefix.data() + 2) == sent.size());
    // §12.5: no padding over UDP.
    RC_ASSERT(f.padding == 0u);
    return;
  }
  const model::Peer& peer = kPeers[expected.peer];
  RC_ASSERT(prefix.size() == stun::kHeaderSize + (peer.ipv6 ? 24u : 12u) + 4u);
  RC_ASSERT(f.padding == PaddingFor(sent.size()));
  std::vector<uint8_t> frame(prefix.begin(), prefix.end());
  frame.insert(frame.end(), sent.begin(), sent.end());
  frame.insert(frame.end(), f.padding, 0);
  const auto parsed = stun::MessageView::Parse(frame);
  RC_ASSERT(parsed.ok());
  RC_ASSERT(parsed->message_class() == stun::MessageClass::kIndication);
  RC_ASSERT(parsed->method() == static_cast<uint16_t>(Method::kData));
  const auto attributes = parsed->Attributes();
  RC_ASSERT(attributes.size() == 2u);
  RC_ASSERT(attributes[0].type ==
            static_cast<uint16_t>(AttributeType::kXorPeerAddress));
  RC_ASSERT(attributes[1].type == static_cast<uint16_t>(AttributeType::kData));
  const auto peers = parsed->XorPeerAddresses();
  RC_ASSERT(peers.size() == 1u);
  RC_ASSERT(peers.front() == Addr(peer.address));
  const auto data = parsed->Data();
  RC_ASSERT(data.has_value());
  RC_ASSERT(data->data() == frame.data() + prefix.size());
  RC_ASSERT(SameBytes(*data, sent));
}

// The relayed packet, if any, is the one the model expects, to exactly
// where it expects it.
void CheckForward(const Sut& sut, const Effects& e, const Observed& seen) {
  RC_ASSERT(seen.forward.has_value() ==
            (e.to_peer.has_value() || e.to_client.has_value()));
  if (!seen.forward) return;
  const Forward& f = *seen.forward;
  if (e.to_client) {
    CheckForwardToClient(sut, *e.to_client, f);
    return;
  }
  // Client → peer: out of the relay of the peer's family of the client's
  // own allocation, to the named or channel-bound peer, with the client's
  // bytes borrowed from its message (not copied) and nothing around them.
  RC_ASSERT(std::holds_alternative<RelayId>(f.via));
  const RelayId relay = std::get<RelayId>(f.via);
  RC_ASSERT(relay == sut.relay_of_key.at(e.to_peer->relay));
  RC_ASSERT(sut.open.contains(relay));
  RC_ASSERT(f.transport == core::Transport::kUdp);
  RC_ASSERT(f.to == Addr(kPeers[e.to_peer->peer].address));
  RC_ASSERT(f.prefix.size == 0u);
  RC_ASSERT(f.padding == 0u);
  const absl::Span<const uint8_t> sent(sut.last_message);
  RC_ASSERT(f.payload.data() >= sent.data() &&
            f.payload.data() + f.payload.size() <= sent.data() + sent.size());
  RC_ASSERT(SameBytes(f.payload, kToPeerPayload));
}

// Compares what the server did with the model's Effects.
void CheckEffects(Sut& sut, const Model& after, const Effects& e,
                  const Observed& seen) {
  std::optional<int> response;
  int responses = 0;
  std::vector<int> opens_family;  // 4 or 6, in order
  std::vector<RelayId> closes;
  int created = 0, deleted = 0, errors = 0, permissions_created = 0,
      permissions_deleted = 0, channels_created = 0, channels_deleted = 0;
  for (const Command& command : seen.commands) {
    if (const auto* t = std::get_if<core::Transmit>(&command)) {
      ++responses;
      RC_ASSERT(e.response_to >= 0);
      RC_ASSERT(t->to == sut.clients[e.response_to]->tuple.client);
      stun::MessageView m = core::testing::ParseTransmit(command);
      response =
          m.header().message_class == stun::MessageClass::kSuccessResponse
              ? 0
              : (m.ErrorCode() ? m.ErrorCode()->code : -1);
    } else if (const auto* o = std::get_if<core::OpenRelay>(&command)) {
      opens_family.push_back(o->family == AddressFamily::kIpv6 ? 6 : 4);
      if (o->family == AddressFamily::kIpv6) {
        sut.v6_keys.insert(static_cast<int>(sut.relay_of_key.size()));
      }
      sut.relay_of_key.push_back(o->id);
    } else if (const auto* c = std::get_if<core::CloseRelay>(&command)) {
      closes.push_back(c->id);
    } else {
      std::visit(
          [&](const auto& event) {
            using T = std::decay_t<decltype(event)>;
            if constexpr (std::is_same_v<T, core::AllocationCreated>) ++created;
            if constexpr (std::is_same_v<T, core::AllocationDeleted>) ++deleted;
            if constexpr (std::is_same_v<T, core::AllocationError>) ++errors;
            if constexpr (std::is_same_v<T, core::PermissionCreated>)
              ++permissions_created;
            if constexpr (std::is_same_v<T, core::PermissionDeleted>)
              ++permissions_deleted;
            if constexpr (std::is_same_v<T, core::ChannelCreated>)
              ++channels_created;
            if constexpr (std::is_same_v<T, core::ChannelDeleted>)
              ++channels_deleted;
          },
          std::get<core::Event>(command));
    }
  }
  RC_ASSERT(responses == (e.response ? 1 : 0));
  RC_ASSERT(response == e.response);
  RC_ASSERT(opens_family.size() == e.opens.size());
  // The model numbers relays in the order it asks for them, so the n-th
  // OpenRelay is the model's relay n, of the family the model expects.
  RC_ASSERT(sut.relay_of_key.size() ==
            static_cast<size_t>(after.next_relay_key));
  for (size_t i = 0; i < e.opens.size(); ++i) {
    RC_ASSERT(opens_family[i] == (after.relays.at(e.opens[i]).ipv6 ? 6 : 4));
  }
  // Every CloseRelay names a socket that is open, once.
  std::vector<RelayId> expected_closes;
  for (int key : e.closes) expected_closes.push_back(sut.relay_of_key.at(key));
  std::sort(closes.begin(), closes.end());
  std::sort(expected_closes.begin(), expected_closes.end());
  RC_ASSERT(closes == expected_closes);
  for (RelayId id : closes) {
    RC_ASSERT(sut.open.erase(id) == 1u);
    RC_ASSERT(sut.closed.insert(id).second);
  }
  RC_ASSERT(created == e.created);
  RC_ASSERT(deleted == e.deleted);
  RC_ASSERT(errors == e.errors);
  RC_ASSERT(permissions_created == e.permissions_created);
  RC_ASSERT(permissions_deleted == e.permissions_deleted);
  RC_ASSERT(channels_created == e.channels_created);
  RC_ASSERT(channels_deleted == e.channels_deleted);
  CheckForward(sut, e, seen);
}

// The state every step must leave behind, whatever it was.
void CheckState(Sut& sut, const Model& m) {
  sut.server->CheckInvariants();
  size_t live = 0;
  for (const auto& a : m.allocations) live += a.has_value();
  RC_ASSERT(sut.server->allocation_count() == live);
  RC_ASSERT(sut.server.quotas.total() == static_cast<uint32_t>(live));
  RC_ASSERT(sut.server.quotas.total() <=
            static_cast<uint32_t>(model::kTotalQuota));
  // A deadline may be early (a refreshed timer left behind), never late.
  const std::optional<Duration> expected = m.NextDeadline();
  const std::optional<core::MonoTime> next = sut.server->NextDeadline();
  if (expected) {
    RC_ASSERT(next.has_value());
    RC_ASSERT(*next <= core::testing::kT0.mono + *expected);
  }
}

// Runs one step on the model copy and the server, then compares.
template <typename Act, typename Step>
void RunStep(const Model& before, Sut& sut, Step step, Act act) {
  Model after = before;
  Effects e;
  step(after, e);
  Observed seen;
  act(seen);
  CheckEffects(sut, after, e, seen);
  CheckState(sut, after);
}

using Cmd = rc::state::Command<Model, Sut>;

int PickClient() { return *rc::gen::inRange(0, model::kClients); }
int PickPeer() { return *rc::gen::inRange(0, static_cast<int>(kPeers.size())); }
std::optional<uint32_t> PickLifetime() {
  return *rc::gen::element<std::optional<uint32_t>>(std::nullopt, 0u, 30u,
                                                    1200u, 7200u);
}
uint16_t PickChannel() {
  // Mostly valid numbers, so conflicts between them happen.
  return *rc::gen::weightedElement<uint16_t>(
      {{4, 0x4000}, {4, 0x4001}, {2, 0x7FFF}, {1, 0x3FFF}, {1, 0x8000}});
}

struct Allocate : Cmd {
  int client = PickClient();
  std::optional<uint32_t> lifetime = PickLifetime();
  bool dual = *rc::gen::element(false, false, true);
  void apply(Model& m) const override {
    Effects e;
    m.Allocate(client, lifetime, dual, e);
  }
  void run(const Model& m, Sut& sut) const override {
    RunStep(
        m, sut,
        [&](Model& after, Effects& e) {
          after.Allocate(client, lifetime, dual, e);
        },
        [&](Observed& seen) {
          seen.commands =
              sut.Request(client, Method::kAllocate, [&](MessageBuilder& b) {
                b.AddRequestedTransport(17);
                if (lifetime) b.AddLifetime(*lifetime);
                if (dual) b.AddAdditionalAddressFamily(0x02);
              });
        });
  }
  void show(std::ostream& os) const override {
    os << "Allocate(client " << client << ", lifetime "
       << (lifetime ? std::to_string(*lifetime) : "-") << (dual ? ", dual" : "")
       << ")";
  }
};

struct AnswerOpen : Cmd {
  int key;
  bool ok = *rc::gen::element(true, true, true, false);
  explicit AnswerOpen(const Model& m) {
    const std::vector<int> opening = m.OpeningRelays();
    RC_PRE(!opening.empty());
    key = *rc::gen::elementOf(opening);
  }
  void checkPreconditions(const Model& m) const override {
    auto it = m.relays.find(key);
    RC_PRE(it != m.relays.end() &&
           it->second.state == model::RelayState::kOpening);
  }
  void apply(Model& m) const override {
    Effects e;
    m.AnswerOpen(key, ok, e);
  }
  void run(const Model& m, Sut& sut) const override {
    const RelayId id = sut.relay_of_key.at(key);
    RunStep(
        m, sut, [&](Model& after, Effects& e) { after.AnswerOpen(key, ok, e); },
        [&](Observed& seen) {
          if (ok) {
            RC_ASSERT(sut.open.insert(id).second);
            sut.server->HandleRelayOpened(sut.server.now, id,
                                          sut.RelayAddress(key));
          } else {
            sut.failed.insert(id);
            sut.server->HandleRelayFailed(sut.server.now, id,
                                          absl::UnavailableError("test"));
          }
          seen.commands = sut.server.Drain();
        });
  }
  void show(std::ostream& os) const override {
    os << "AnswerOpen(relay " << key << (ok ? ", bound" : ", failed") << ")";
  }
};

struct Refresh : Cmd {
  int client = PickClient();
  std::optional<uint32_t> lifetime = PickLifetime();
  void apply(Model& m) const override {
    Effects e;
    m.Refresh(client, lifetime, e);
  }
  void run(const Model& m, Sut& sut) const override {
    RunStep(
        m, sut,
        [&](Model& after, Effects& e) { after.Refresh(client, lifetime, e); },
        [&](Observed& seen) {
          seen.commands =
              sut.Request(client, Method::kRefresh, [&](MessageBuilder& b) {
                if (lifetime) b.AddLifetime(*lifetime);
              });
        });
  }
  void show(std::ostream& os) const override {
    os << "Refresh(client " << client << ", lifetime "
       << (lifetime ? std::to_string(*lifetime) : "-") << ")";
  }
};

struct Permit : Cmd {
  int client = PickClient();
  int peer = PickPeer();
  void apply(Model& m) const override {
    Effects e;
    m.CreatePermission(client, peer, e);
  }
  void run(const Model& m, Sut& sut) const override {
    RunStep(
        m, sut,
        [&](Model& after, Effects& e) {
          after.CreatePermission(client, peer, e);
        },
        [&](Observed& seen) {
          seen.commands = sut.Request(
              client, Method::kCreatePermission, [&](MessageBuilder& b) {
                b.AddXorAddress(AttributeType::kXorPeerAddress,
                                Addr(kPeers[peer].address));
              });
        });
  }
  void show(std::ostream& os) const override {
    os << "CreatePermission(client " << client << ", peer " << peer << ")";
  }
};

struct Bind : Cmd {
  int client = PickClient();
  uint16_t number = PickChannel();
  int peer = PickPeer();
  void apply(Model& m) const override {
    Effects e;
    m.ChannelBind(client, number, peer, e);
  }
  void run(const Model& m, Sut& sut) const override {
    RunStep(
        m, sut,
        [&](Model& after, Effects& e) {
          after.ChannelBind(client, number, peer, e);
        },
        [&](Observed& seen) {
          seen.commands =
              sut.Request(client, Method::kChannelBind, [&](MessageBuilder& b) {
                b.AddChannelNumber(number);
                b.AddXorAddress(AttributeType::kXorPeerAddress,
                                Addr(kPeers[peer].address));
              });
        });
  }
  void show(std::ostream& os) const override {
    os << "ChannelBind(client " << client << ", 0x" << std::hex << number
       << std::dec << ", peer " << peer << ")";
  }
};

struct ClientData : Cmd {
  int client = PickClient();
  bool via_channel = *rc::gen::arbitrary<bool>();
  uint16_t number = PickChannel();
  int peer = PickPeer();
  void apply(Model& m) const override {
    Effects e;
    if (via_channel) {
      m.ChannelData(client, number, e);
    } else {
      m.SendIndication(client, peer, e);
    }
  }
  void run(const Model& m, Sut& sut) const override {
    RunStep(
        m, sut,
        [&](Model& after, Effects& e) {
          if (via_channel) {
            after.ChannelData(client, number, e);
          } else {
            after.SendIndication(client, peer, e);
          }
        },
        [&](Observed& seen) {
          TestClient& c = *sut.clients[client];
          const std::vector<uint8_t>& payload = kToPeerPayload;
          if (via_channel) {
            sut.last_message.assign(4, 0);
            const auto header = stun::EncodeChannelDataHeader(
                number, static_cast<uint16_t>(payload.size()));
            std::copy(header.begin(), header.end(), sut.last_message.begin());
            sut.last_message.insert(sut.last_message.end(), payload.begin(),
                                    payload.end());
          } else {
            sut.last_message =
                c.Indication(Method::kSend, [&](MessageBuilder& b) {
                   b.AddXorAddress(AttributeType::kXorPeerAddress,
                                   Addr(kPeers[peer].address));
                   b.AddBytes(AttributeType::kData, payload);
                 }).bytes;
          }
          seen.forward = c.Send(absl::MakeConstSpan(sut.last_message));
          seen.commands = sut.server.Drain();
        });
  }
  void show(std::ostream& os) const override {
    if (via_channel) {
      os << "ChannelData(client " << client << ", 0x" << std::hex << number
         << std::dec << ")";
    } else {
      os << "SendIndication(client " << client << ", peer " << peer << ")";
    }
  }
};

// A peer can send to a client's allocation over a relay of its family.
bool CanReach(const Model& m, int client, int peer) {
  const model::Allocation* a = m.Answered(client);
  return a != nullptr && (!kPeers[peer].ipv6 || a->relay6.has_value());
}

struct PeerData : Cmd {
  int client;
  int peer = PickPeer();
  explicit PeerData(const Model& m) {
    client = PickClient();
    RC_PRE(CanReach(m, client, peer));
  }
  void checkPreconditions(const Model& m) const override {
    RC_PRE(CanReach(m, client, peer));
  }
  void apply(Model& m) const override {
    Effects e;
    m.FromPeer(client, peer, e);
  }
  void run(const Model& m, Sut& sut) const override {
    const model::Allocation& a = *m.Answered(client);
    const int key = kPeers[peer].ipv6 ? *a.relay6 : *a.relay4;
    const RelayId relay = sut.relay_of_key.at(key);
    RunStep(
        m, sut,
        [&](Model& after, Effects& e) { after.FromPeer(client, peer, e); },
        [&](Observed& seen) {
          sut.last_message = kToClientPayload;
          seen.forward = sut.server->HandlePeerDatagram(
              sut.server.now, relay, Addr(kPeers[peer].address),
              sut.last_message);
          sut.server->CheckInvariants();
          seen.commands = sut.server.Drain();
        });
  }
  void show(std::ostream& os) const override {
    os << "PeerData(to client " << client << ", from peer " << peer << ")";
  }
};

// Time moves: by a fixed step, or to the next deadline or 1 ns before it;
// the timer fires on time (HandleTimeout) or late (the next input expires
// what is due).
struct Advance : Cmd {
  Duration by{};
  bool timer = *rc::gen::element(true, true, false);
  explicit Advance(const Model& m) {
    const std::optional<Duration> next = m.NextDeadline();
    const int pick = *rc::gen::inRange(0, next ? 10 : 7);
    switch (pick) {
      case 0:
        by = std::chrono::nanoseconds(1);
        break;
      case 1:
        by = std::chrono::seconds(1);
        break;
      case 2:
        by = std::chrono::seconds(59);
        break;
      case 3:
        by = std::chrono::seconds(299);
        break;
      case 4:
        by = std::chrono::seconds(301);
        break;
      case 5:
        by = std::chrono::minutes(10);
        break;
      case 6:
        by = std::chrono::hours(1);
        break;
      case 7:
      case 8:
        by = *next - m.now;
        break;
      default:
        by = *next - m.now - std::chrono::nanoseconds(1);
    }
    // With the timer late, the model may hold deadlines already passed.
    by = std::max(by, Duration::zero());
  }
  void apply(Model& m) const override {
    m.now += by;
    if (timer) {
      Effects e;
      m.Expire(e);
    }
  }
  void run(const Model& m, Sut& sut) const override {
    RunStep(
        m, sut,
        [&](Model& after, Effects& e) {
          after.now += by;
          if (timer) after.Expire(e);
        },
        [&](Observed& seen) {
          if (timer) {
            sut.server.Advance(by);
          } else {
            sut.server.now.mono += by;
            sut.server.now.wall += absl::FromChrono(by);
          }
          seen.commands = sut.server.Drain();
        });
    if (timer) {
      // After HandleTimeout the deadline is exact: nothing stale on top.
      Model after = m;
      after.now += by;
      Effects e;
      after.Expire(e);
      const std::optional<Duration> expected = after.NextDeadline();
      const std::optional<core::MonoTime> next = sut.server->NextDeadline();
      RC_ASSERT(next.has_value() == expected.has_value());
      if (expected) RC_ASSERT(*next == core::testing::kT0.mono + *expected);
    }
  }
  void show(std::ostream& os) const override {
    os << "Advance(" << std::chrono::duration<double>(by).count() << " s"
       << (timer ? "" : ", timer late") << ")";
  }
};

TEST_CASE("the server agrees with the reference model on random sequences") {
  CheckProperty("server vs model", [] {
    Model initial;
    Sut sut;
    rc::state::check(initial, sut,
                     rc::state::gen::execOneOfWithArgs<
                         Allocate, Allocate, AnswerOpen, AnswerOpen, Refresh,
                         Permit, Permit, Bind, Bind, ClientData, ClientData,
                         PeerData, PeerData, Advance, Advance>());
    // Shutdown deletes everything; sockets still opening are closed when
    // they report in. Every socket ever bound is closed exactly once.
    sut.server->Shutdown(sut.server.now);
    for (const Command& command : sut.server.Drain()) {
      if (const auto* c = std::get_if<core::CloseRelay>(&command)) {
        RC_ASSERT(sut.open.erase(c->id) == 1u);
        RC_ASSERT(sut.closed.insert(c->id).second);
      }
    }
    for (size_t key = 0; key < sut.relay_of_key.size(); ++key) {
      const RelayId id = sut.relay_of_key[key];
      if (sut.open.contains(id) || sut.closed.contains(id) ||
          sut.failed.contains(id)) {
        continue;
      }
      // Never answered: report it bound now; it must be closed at once.
      sut.server->HandleRelayOpened(sut.server.now, id,
                                    sut.RelayAddress(static_cast<int>(key)));
      const std::vector<Command> closing = sut.server.Drain();
      RC_ASSERT(closing.size() == 1u);
      const auto* c = std::get_if<core::CloseRelay>(&closing.front());
      RC_ASSERT(c != nullptr);
      RC_ASSERT(c->id == id);
      RC_ASSERT(sut.closed.insert(c->id).second);
    }
    RC_ASSERT(sut.open.empty());
    RC_ASSERT(sut.server->allocation_count() == 0u);
    RC_ASSERT(sut.server.quotas.total() == 0u);
    sut.server->CheckInvariants();
  });
}

}  // namespace
}  // namespace turnpike::testing
