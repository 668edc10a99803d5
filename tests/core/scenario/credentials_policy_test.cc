// Scenario tests: TURN REST API credentials through the server (expired,
// valid, rotated secrets), each class of the peer filter at
// CreatePermission including the IPv4-mapped, -compatible and NAT64 forms
// (coturn's CVE-2020-26262 was such a bypass), and RFC 5780 NAT behaviour
// discovery on Binding.
#include <doctest/doctest.h>

#include "absl/strings/escaping.h"
#include "core/auth/credential_chain.h"
#include "core/auth/rest_credential_store.h"
#include "core/stun/integrity.h"
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

// What a web service sharing `secret` hands a browser: base64 of
// HMAC-SHA1(secret, username), computed here with the codec's HMAC.
std::string RestPassword(std::string_view secret, std::string_view username) {
  const auto mac = stun::HmacSha1(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(secret.data()),
                          secret.size()),
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(username.data()),
                          username.size()));
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

auto Udp() {
  return [](MessageBuilder& b) { b.AddRequestedTransport(17); };
}

struct RestServer {
  explicit RestServer(std::vector<std::string> secrets,
                      absl::Duration max_lifetime = absl::InfiniteDuration())
      : rest(*auth::RestCredentialStore::Create("turnpike", std::move(secrets),
                                                max_lifetime)),
        server(TestConfig(), {}, &rest) {}
  auth::RestCredentialStore rest;
  TestServer server;
};

// The wall clock of kT0 is 1'800'000'000.
constexpr int64_t kWallT0 = 1'800'000'000;

TEST_CASE("REST credentials: valid until their expiry second") {
  RestServer r({"s3cret"});
  const std::string username = absl::StrCat(kWallT0 + 60, ":alice");
  TestClient client(r.server, ClientTuple(), username,
                    RestPassword("s3cret", username));
  client.Allocate(kRelay4);

  // With one second left it still allocates; with less, or 60 s later,
  // the same credential names an expired user: 401.
  TestClient later(r.server, ClientTuple("192.0.2.10:2"), username,
                   RestPassword("s3cret", username));
  r.server.Advance(std::chrono::seconds(59));
  later.GetNonce();
  later.Send(later.Request(Method::kAllocate, Udp()));
  Expect(r.server, {Verdict(AuthOutcome::kAccepted), Open()});
  TestClient expired(r.server, ClientTuple("192.0.2.10:3"), username,
                     RestPassword("s3cret", username));
  r.server.Advance(std::chrono::nanoseconds(1));
  expired.GetNonce();
  expired.Send(expired.Request(Method::kAllocate, Udp()));
  Expect(r.server, {Verdict(AuthOutcome::kUnknownUser),
                    Error(Method::kAllocate, ec::kUnauthenticated)});
}

TEST_CASE(
    "REST credentials: one valid for longer than rest-max-lifetime is 401") {
  RestServer r({"s3cret"}, absl::Hours(1));
  const std::string too_long = absl::StrCat(kWallT0 + 3601, ":alice");
  TestClient greedy(r.server, ClientTuple("192.0.2.10:1"), too_long,
                    RestPassword("s3cret", too_long));
  greedy.GetNonce();
  greedy.Send(greedy.Request(Method::kAllocate, Udp()));
  // Treated as a username that does not exist.
  Expect(r.server, {Verdict(AuthOutcome::kUnknownUser),
                    Error(Method::kAllocate, ec::kUnauthenticated)});
  const std::string in_bounds = absl::StrCat(kWallT0 + 3600, ":alice");
  TestClient fine(r.server, ClientTuple("192.0.2.10:2"), in_bounds,
                  RestPassword("s3cret", in_bounds));
  fine.Allocate(kRelay4);
}

TEST_CASE(
    "REST credentials: no lifetime granted past the credential's expiry") {
  RestServer r({"s3cret"});
  // Default 600 s, maximum 3600 s; the credential has 100 s left.
  const std::string username = absl::StrCat(kWallT0 + 100, ":alice");
  TestClient client(r.server, ClientTuple(), username,
                    RestPassword("s3cret", username));
  client.GetNonce();
  client.Send(client.Request(Method::kAllocate, [](MessageBuilder& b) {
    b.AddRequestedTransport(17);
    b.AddLifetime(3600);
  }));
  RelayId relay;
  Expect(r.server, {Verdict(AuthOutcome::kAccepted),
                    Open([&](const OpenRelay& o) { relay = o.id; })});
  // The relay port takes 10 s to bind: 90 s are left when it is granted.
  r.server.Advance(std::chrono::seconds(10));
  r.server->HandleRelayOpened(r.server.now, relay, kRelay4);
  Expect(r.server, {EventOf<AllocationCreated>("AllocationCreated"),
                    Success(Method::kAllocate, [](const MessageView& m) {
                      CHECK(m.Lifetime() == 90u);
                    })});
  CHECK(r.server->NextDeadline() ==
        r.server.now.mono + std::chrono::seconds(90));

  // A Refresh asking for an hour 40 s later gets the 50 s that are left.
  r.server.Advance(std::chrono::seconds(40));
  client.Send(client.Request(Method::kRefresh,
                             [](MessageBuilder& b) { b.AddLifetime(3600); }));
  Expect(r.server, {Verdict(AuthOutcome::kAccepted),
                    Success(Method::kRefresh, [](const MessageView& m) {
                      CHECK(m.Lifetime() == 50u);
                    })});
  // The allocation ends with its credential.
  r.server.Advance(std::chrono::seconds(50));
  CHECK(r.server->allocation_count() == 0);
}

TEST_CASE(
    "REST credentials: expiring while the relay port binds fails the "
    "Allocate") {
  RestServer r({"s3cret"});
  const std::string username = absl::StrCat(kWallT0 + 2, ":alice");
  TestClient client(r.server, ClientTuple(), username,
                    RestPassword("s3cret", username));
  client.GetNonce();
  client.Send(client.Request(Method::kAllocate, Udp()));
  RelayId relay;
  Expect(r.server, {Verdict(AuthOutcome::kAccepted),
                    Open([&](const OpenRelay& o) { relay = o.id; })});
  r.server.Advance(std::chrono::seconds(2));
  r.server->HandleRelayOpened(r.server.now, relay, kRelay4);
  Expect(r.server,
         {EventOf<AllocationError>("AllocationError"),
          Error(Method::kAllocate, ec::kUnauthenticated), Close(relay)});
  CHECK(r.server->allocation_count() == 0);
}

TEST_CASE("REST credentials: a password from another secret is 401") {
  RestServer r({"s3cret"});
  const std::string username = absl::StrCat(kWallT0 + 600, ":alice");
  TestClient client(r.server, ClientTuple(), username,
                    RestPassword("other", username));
  client.GetNonce();
  client.Send(client.Request(Method::kAllocate, Udp()));
  Expect(r.server, {Verdict(AuthOutcome::kBadIntegrity),
                    Error(Method::kAllocate, ec::kUnauthenticated)});
}

TEST_CASE("REST credentials: both secrets work while one is rotated in") {
  RestServer r({"new-secret", "old-secret"});
  const std::string username = absl::StrCat(kWallT0 + 600, ":alice");
  TestClient with_new(r.server, ClientTuple("192.0.2.10:1"), username,
                      RestPassword("new-secret", username));
  TestClient with_old(r.server, ClientTuple("192.0.2.10:2"), username,
                      RestPassword("old-secret", username));
  with_new.Allocate(kRelay4);
  with_old.Allocate(Addr("203.0.113.5:50002"));
  CHECK(r.server->allocation_count() == 2);
}

TEST_CASE("REST and static users side by side through a chain") {
  auto rest = *auth::RestCredentialStore::Create("turnpike", {"s3cret"});
  FakeCredentials statics;
  statics.Add("bob", "hunter2");
  auth::CredentialChain chain({&statics, &rest});
  TestServer server(TestConfig(), {}, &chain);
  TestClient bob(server, ClientTuple("192.0.2.10:1"), "bob", "hunter2");
  bob.Allocate(kRelay4);
  const std::string username = absl::StrCat(kWallT0 + 600, ":carol");
  TestClient carol(server, ClientTuple("192.0.2.10:2"), username,
                   RestPassword("s3cret", username));
  carol.Allocate(Addr("203.0.113.5:50002"));
}

TEST_CASE(
    "every default-denied class is 403 at CreatePermission, in every "
    "IPv6 disguise") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  // A dual allocation so that IPv6 peers are of a family it relays.
  client.GetNonce();
  client.Send(client.Request(Method::kAllocate, [](MessageBuilder& b) {
    b.AddRequestedTransport(17);
    b.AddAdditionalAddressFamily(0x02);
  }));
  std::vector<RelayId> ids;
  for (Command& c : server.Drain()) {
    if (auto* o = std::get_if<OpenRelay>(&c)) ids.push_back(o->id);
  }
  REQUIRE(ids.size() == 2);
  server->HandleRelayOpened(server.now, ids[0], kRelay4);
  server->HandleRelayOpened(server.now, ids[1], kRelay6);
  server.Drain();

  for (const char* peer :
       {"127.0.0.1:1", "0.0.0.1:1", "10.1.2.3:1", "172.16.0.1:1",
        "192.168.1.1:1", "100.64.0.1:1", "169.254.169.254:80", "224.0.0.1:1",
        "255.255.255.255:1", "[::1]:1", "[fc00::1]:1", "[fe80::1]:1",
        "[ff02::1]:1", "[::ffff:127.0.0.1]:1", "[::ffff:169.254.169.254]:80",
        "[::ffff:10.0.0.1]:1", "[::127.0.0.1]:1", "[64:ff9b::7f00:1]:1",
        "[64:ff9b::a9fe:a9fe]:80"}) {
    CAPTURE(peer);
    client.Send(
        client.Request(Method::kCreatePermission, [&](MessageBuilder& b) {
          b.AddXorAddress(AttributeType::kXorPeerAddress, Addr(peer));
        }));
    Expect(server, {Verdict(AuthOutcome::kAccepted),
                    Error(Method::kCreatePermission, ec::kForbidden)});
  }
  // Public addresses in both families pass.
  client.Permit(Addr("8.8.8.8:53"));
  client.Permit(Addr("[2001:4860:4860::8888]:53"));
}

TEST_CASE("an operator allow rule opens exactly what it names") {
  ServerConfig config = TestConfig();
  config.peer_rules.allow = {*Cidr::Parse("10.1.2.3/32")};
  config.peer_rules.deny = {*Cidr::Parse("8.8.8.0/24")};
  TestServer server(config);
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  client.Allocate(kRelay4);
  client.Permit(Addr("10.1.2.3:1"));
  for (const char* peer : {"10.1.2.4:1", "8.8.8.8:53"}) {
    CAPTURE(peer);
    client.Send(
        client.Request(Method::kCreatePermission, [&](MessageBuilder& b) {
          b.AddXorAddress(AttributeType::kXorPeerAddress, Addr(peer));
        }));
    Expect(server, {Verdict(AuthOutcome::kAccepted),
                    Error(Method::kCreatePermission, ec::kForbidden)});
  }
}

// RFC 5780 §4.1: two IPs × two ports.
ServerConfig NatDiscoveryConfig() {
  ServerConfig config = TestConfig();
  config.nat_discovery = true;
  config.listeners = {
      {ListenerId{0}, Transport::kUdp, Addr("198.51.100.1:3478")},
      {ListenerId{1}, Transport::kUdp, Addr("198.51.100.1:3479")},
      {ListenerId{2}, Transport::kUdp, Addr("198.51.100.2:3478")},
      {ListenerId{3}, Transport::kUdp, Addr("198.51.100.2:3479")},
  };
  return config;
}

TEST_CASE("RFC 5780: OTHER-ADDRESS and RESPONSE-ORIGIN on every Binding") {
  TestServer server(NatDiscoveryConfig());
  TestClient client(server, ClientTuple(), "", "");
  client.Send(client.Unauthenticated(Method::kBinding));
  auto got =
      Expect(server, {Success(Method::kBinding, [&](const MessageView& m) {
               CHECK(m.XorMappedAddress() == client.tuple.client);
               CHECK(m.OtherAddress() == Addr("198.51.100.2:3479"));
               CHECK(m.ResponseOrigin() == Addr("198.51.100.1:3478"));
             })});
  CHECK(std::get<Transmit>(got[0]).via == SocketRef{ListenerId{0}});
}

TEST_CASE(
    "RFC 5780: CHANGE-REQUEST picks the listener the answer leaves from") {
  TestServer server(NatDiscoveryConfig());
  TestClient client(server, ClientTuple(), "", "");
  struct Case {
    bool ip, port;
    uint16_t listener;
    const char* origin;
  };
  for (const Case& c : {Case{false, false, 0, "198.51.100.1:3478"},
                        Case{false, true, 1, "198.51.100.1:3479"},
                        Case{true, false, 2, "198.51.100.2:3478"},
                        Case{true, true, 3, "198.51.100.2:3479"}}) {
    CAPTURE(c.listener);
    client.Send(
        client.Unauthenticated(Method::kBinding, [&](MessageBuilder& b) {
          b.AddChangeRequest({c.ip, c.port});
        }));
    auto got =
        Expect(server, {Success(Method::kBinding, [&](const MessageView& m) {
                 CHECK(m.ResponseOrigin() == Addr(c.origin));
               })});
    CHECK(std::get<Transmit>(got[0]).via == SocketRef{ListenerId{c.listener}});
    CHECK(std::get<Transmit>(got[0]).to == client.tuple.client);
  }
}

TEST_CASE(
    "RFC 5780: RESPONSE-PORT redirects to another port of the same IP and "
    "PADDING never grows the answer past the request") {
  TestServer server(NatDiscoveryConfig());
  TestClient client(server, ClientTuple(), "", "");
  client.options.fingerprint = false;
  const Encoded request =
      client.Unauthenticated(Method::kBinding, [](MessageBuilder& b) {
        b.AddResponsePort(5555);
        b.AddBytes(AttributeType::kPadding, std::vector<uint8_t>(400, 0));
      });
  client.Send(request);
  auto got = Expect(server, {Success(Method::kBinding)});
  const Transmit& sent = std::get<Transmit>(got[0]);
  CHECK(sent.to.ip == client.tuple.client.ip);
  CHECK(sent.to.port == 5555);
  CHECK(sent.bytes.size() <= request.bytes.size() + 64);
  CHECK(ParseTransmit(got[0]).Padding().has_value());
}

TEST_CASE(
    "RFC 5780 off (the default): CHANGE-REQUEST and RESPONSE-PORT are "
    "420") {
  TestServer server;
  TestClient client(server, ClientTuple(), "", "");
  client.Send(client.Unauthenticated(Method::kBinding, [](MessageBuilder& b) {
    b.AddChangeRequest({true, true});
    b.AddResponsePort(9);
  }));
  Expect(server, {Error(Method::kBinding, ec::kUnknownAttribute,
                        [](const MessageView& m) {
                          auto unknown = m.UnknownAttributes();
                          CHECK(unknown.size() == 2);
                        })});
}

TEST_CASE("RFC 5780 needs four listeners: Create says which setting to fix") {
  ServerConfig config = NatDiscoveryConfig();
  config.listeners.pop_back();
  CounterRandom random;
  FakeCredentials users;
  HmacAuthenticator hmac;
  LocalQuotaLedger quotas;
  auto created = Server::Create(config, Deps{&random, &users, &hmac, &quotas});
  REQUIRE_FALSE(created.ok());
  CHECK(created.status().message().find("--listen") != std::string_view::npos);
  // 198.51.100.1:3478 lost its change-both partner, 198.51.100.2:3479.
  CHECK(created.status().message().find(
            "198.51.100.1:3478 has no partner on a second IP and on a second "
            "port") != std::string_view::npos);
}

}  // namespace
}  // namespace turnpike::core::testing
