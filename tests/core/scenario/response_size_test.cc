// Issue 13, item 1: with the longest realm and SOFTWARE the configuration
// check accepts, every kind of response the server writes is answered,
// parses, keeps its SOFTWARE and fits the response buffer; a longer pair is
// refused up front, naming both settings.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/response_budget.h"
#include "core/server.h"
#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"
#include "tests/core/scenario/test_server.h"

namespace turnpike::core::testing {
namespace {

using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::MessageView;
using stun::Method;
using stun::PasswordAlgorithmId;
namespace ec = stun::error_code;

// RFC 5780 on both families: two IPs and two ports each.
ServerConfig LongestConfig() {
  ServerConfig config = TestConfig();
  config.nat_discovery = true;
  config.listeners = {
      {ListenerId{0}, Transport::kUdp, Addr("198.51.100.1:3478")},
      {ListenerId{1}, Transport::kUdp, Addr("198.51.100.1:3479")},
      {ListenerId{2}, Transport::kUdp, Addr("198.51.100.2:3478")},
      {ListenerId{3}, Transport::kUdp, Addr("198.51.100.2:3479")},
      {ListenerId{4}, Transport::kUdp, Addr("[2001:db8:1::1]:3478")},
      {ListenerId{5}, Transport::kUdp, Addr("[2001:db8:1::1]:3479")},
      {ListenerId{6}, Transport::kUdp, Addr("[2001:db8:1::2]:3478")},
      {ListenerId{7}, Transport::kUdp, Addr("[2001:db8:1::2]:3479")},
  };
  // The longest realm RFC 8489 allows, and then the longest SOFTWARE the
  // check accepts beside it.
  config.realm = std::string(stun::kMaxRealmBytes, 'r');
  size_t software = stun::kMaxSoftwareBytes;
  for (;; --software) {
    config.software = std::string(software, 's');
    if (CheckResponseBudget(config).ok()) break;
    REQUIRE(software > 0);
  }
  return config;
}

// Whether an answer carries SOFTWARE: every answer does, except the
// minimal ones to requests that proved no password (docs/security.md,
// "Minimal unauthenticated answers"), which leave it out by design.
enum class SoftwareIn { kAnswer, kLeftOutByDesign };

// Every Transmit parses (ParseTransmit REQUIREs it), fits the buffer and
// kept the configured SOFTWARE where it belongs: nothing was dropped to
// make it fit.
void CheckFits(const ServerConfig& config, const std::vector<Command>& got,
               size_t expected_transmits,
               SoftwareIn software = SoftwareIn::kAnswer) {
  size_t transmits = 0;
  for (const Command& command : got) {
    if (!std::holds_alternative<Transmit>(command)) continue;
    ++transmits;
    CAPTURE(Describe(command));
    CHECK(std::get<Transmit>(command).bytes.size() <= kResponseBufferSize);
    const MessageView m = ParseTransmit(command);
    if (software == SoftwareIn::kLeftOutByDesign) {
      CHECK_FALSE(m.Software().has_value());
      continue;
    }
    REQUIRE(m.Software().has_value());
    CHECK(*m.Software() == *config.software);
  }
  CHECK(transmits == expected_transmits);
}

Encoded Binding(TestClient& client, size_t padding, size_t unknown = 0) {
  std::vector<uint8_t> buffer(4096);
  MessageBuilder b(absl::MakeSpan(buffer), MessageClass::kRequest,
                   Method::kBinding, client.NextTransaction());
  // Comprehension-required types no codec knows (RFC 8489 §18.3.1 range).
  for (size_t i = 0; i < unknown; ++i) {
    b.AddBytes(static_cast<uint16_t>(0x7F00 + i), {});
  }
  if (padding) {
    const std::vector<uint8_t> zeros(padding);
    b.AddBytes(AttributeType::kPadding, zeros);
  }
  b.AddFingerprint();
  auto out = b.Finish();
  REQUIRE(out.ok());
  return {{out->begin(), out->end()}};
}

TEST_CASE(
    "the config check refuses a realm and SOFTWARE that do not fit "
    "together") {
  ServerConfig config = LongestConfig();
  CHECK(CheckResponseBudget(config).ok());
  // One more byte of SOFTWARE crosses a 4-byte boundary: refused.
  config.software->append(4, 's');
  const absl::Status refused = CheckResponseBudget(config);
  CHECK(refused.code() == absl::StatusCode::kInvalidArgument);
  CHECK(refused.message().find("realm") != std::string::npos);
  CHECK(refused.message().find("software") != std::string::npos);
  CHECK(refused.message().find("shorten") != std::string::npos);
  // Server::Create applies the same check.
  CounterRandom random;
  FakeCredentials users;
  HmacAuthenticator hmac;
  LocalQuotaLedger quotas;
  CHECK(Server::Create(config, Deps{&random, &users, &hmac, &quotas})
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
  // Each alone at its RFC maximum was accepted before, both together were
  // not checked: that pair is refused now.
  config.software = std::string(stun::kMaxSoftwareBytes, 's');
  CHECK(!CheckResponseBudget(config).ok());
}

TEST_CASE(
    "every response fits with the longest realm and SOFTWARE "
    "accepted") {
  TestServer server(LongestConfig());
  const ServerConfig& config = server.config;
  server.users.realm = config.realm;
  server.users.Add("alice", "secret");

  SUBCASE("401 to an unauthenticated Allocate with FINGERPRINT") {
    TestClient client(server, ClientTuple(), "alice", "secret");
    client.Send(client.Unauthenticated(
        Method::kAllocate,
        [](MessageBuilder& b) { b.AddRequestedTransport(17); }));
    const std::vector<Command> got = server.Drain();
    CheckFits(config, got, 1, SoftwareIn::kLeftOutByDesign);
  }
  SUBCASE("438 to a stale nonce, and 401 to an unknown user") {
    TestClient client(server, ClientTuple(), "alice", "secret");
    client.GetNonce();
    server.Advance(config.nonce_lifetime + std::chrono::seconds(1));
    client.Send(client.Request(Method::kAllocate, [](MessageBuilder& b) {
      b.AddRequestedTransport(17);
    }));
    std::vector<Command> got =
        Expect(server, {Verdict(AuthOutcome::kStaleNonce),
                        Error(Method::kAllocate, ec::kStaleNonce)});
    CheckFits(config, got, 1);
    TestClient stranger(server, ClientTuple("192.0.2.10:2"), "mallory", "x");
    stranger.GetNonce();
    stranger.Send(stranger.Request(Method::kAllocate, [](MessageBuilder& b) {
      b.AddRequestedTransport(17);
    }));
    got = Expect(server, {Verdict(AuthOutcome::kUnknownUser),
                          Error(Method::kAllocate, ec::kUnauthenticated)});
    CheckFits(config, got, 1, SoftwareIn::kLeftOutByDesign);
  }
  SUBCASE("420 listing unknown comprehension-required attributes") {
    TestClient client(server, ClientTuple(), "", "");
    client.Send(Binding(client, 0, 12));
    const std::vector<Command> got =
        Expect(server, {Error(Method::kBinding, ec::kUnknownAttribute,
                              [](const MessageView& m) {
                                CHECK(m.UnknownAttributes().size() ==
                                      MessageView::kMaxReportedUnknown);
                              })});
    CheckFits(config, got, 1);
  }
  SUBCASE("a dual Allocate success to an IPv6 client, with SHA-256") {
    TestClient client(
        server, ClientTuple("[2001:db8::10]:40000", "[2001:db8:1::1]:3478", 4),
        "alice", "secret",
        {.algorithm = PasswordAlgorithmId::kSha256,
         .send_algorithms = true,
         .integrity_sha256 = true});
    client.GetNonce();
    client.Send(client.Request(Method::kAllocate, [](MessageBuilder& b) {
      b.AddRequestedTransport(17);
      b.AddAdditionalAddressFamily(0x02);
      b.AddLifetime(3600);
    }));
    std::vector<RelayId> relays;
    Expect(server, {Verdict(AuthOutcome::kAccepted),
                    Open([&](const OpenRelay& o) { relays.push_back(o.id); }),
                    Open([&](const OpenRelay& o) { relays.push_back(o.id); })});
    server->HandleRelayOpened(server.now, relays[0], Addr("203.0.113.5:50000"));
    server->HandleRelayOpened(server.now, relays[1],
                              Addr("[2001:db8:2::5]:50002"));
    const std::vector<Command> got =
        Expect(server, {EventOf<AllocationCreated>("AllocationCreated"),
                        Success(Method::kAllocate, [](const MessageView& m) {
                          CHECK(m.XorRelayedAddresses().size() == 2);
                          CHECK(m.MessageIntegritySha256().has_value());
                        })});
    CheckFits(config, got, 1);
  }
  SUBCASE("Binding with RFC 5780 PADDING over IPv4 and IPv6") {
    for (const FiveTuple& tuple :
         {ClientTuple(),
          ClientTuple("[2001:db8::10]:40000", "[2001:db8:1::1]:3478", 4)}) {
      CAPTURE(tuple.client.ToString());
      TestClient client(server, tuple, "", "");
      client.Send(Binding(client, 1200));
      const std::vector<Command> got =
          Expect(server, {Success(Method::kBinding, [](const MessageView& m) {
                   CHECK(m.OtherAddress().has_value());
                   CHECK(m.ResponseOrigin().has_value());
                   REQUIRE(m.Padding().has_value());
                   CHECK(!m.Padding()->empty());
                 })});
      CheckFits(config, got, 1);
    }
  }
  CHECK(server->stats().dropped(DropReason::kResponseTooLarge) == 0);
}

}  // namespace
}  // namespace turnpike::core::testing
