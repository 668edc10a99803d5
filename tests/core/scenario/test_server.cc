#include "tests/core/scenario/test_server.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "core/policy/cidr.h"
#include "core/stun/integrity.h"
#include "tests/harness/printers.h"

namespace turnpike::core::testing {

using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::MessageView;
using stun::Method;

CredentialCandidates FakeCredentials::Find(std::string_view username,
                                           std::string_view in_realm,
                                           absl::Time) const {
  CredentialCandidates out;
  if (in_realm != realm) return out;
  auto it = users_.find(username);
  if (it != users_.end()) out.push_back({it->first, it->second});
  return out;
}

CredentialCandidates FakeCredentials::FindByUserhash(
    absl::Span<const uint8_t> userhash, std::string_view in_realm,
    absl::Time) const {
  CredentialCandidates out;
  if (in_realm != realm) return out;
  for (const auto& [name, password] : users_) {
    const auto hash = stun::ComputeUserhash(name, realm);
    if (absl::MakeConstSpan(hash) == userhash) out.push_back({name, password});
  }
  return out;
}

ServerConfig TestConfig() {
  ServerConfig config;
  config.relay_ipv4 = true;
  config.relay_ipv6 = true;
  config.listeners = {
      {ListenerId{0}, Transport::kUdp, Addr("198.51.100.1:3478")}};
  // The tests use the documentation ranges (RFC 5737, RFC 3849) as public
  // addresses; the filter denies them by default (docs/security.md), so
  // they are opened here as an operator would open a range.
  for (const char* range :
       {"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"}) {
    config.peer_rules.allow.push_back(*Cidr::Parse(range));
  }
  return config;
}

FiveTuple ClientTuple(std::string_view client, std::string_view server,
                      uint16_t listener) {
  return FiveTuple{Transport::kUdp, Addr(client), Addr(server),
                   ListenerId{listener}};
}

TransportAddress Addr(std::string_view text) {
  // Used for file-scope constants too, before doctest runs: no REQUIRE.
  std::optional<TransportAddress> parsed = TransportAddress::Parse(text);
  if (!parsed) {
    std::fprintf(stderr, "bad address literal in a test: %.*s\n",
                 static_cast<int>(text.size()), text.data());
    std::abort();
  }
  return *parsed;
}

TestServer::TestServer(ServerConfig c, LocalQuotaLedger::Limits limits,
                       const CredentialStore* credentials,
                       ReservationRegistry* reservations,
                       QuotaLedger* shared_quotas)
    : config(std::move(c)) {
  quotas.SetLimits(limits);
  auto created = Server::Create(
      config, Deps{&random, credentials ? credentials : &users, &hmac,
                   shared_quotas ? shared_quotas : &quotas, reservations});
  REQUIRE_MESSAGE(created.ok(), created.status().ToString());
  server = std::move(*created);
}

void TestServer::AdvanceTo(MonoTime at) {
  REQUIRE(at >= now.mono);
  now.wall += absl::FromChrono(at - now.mono);
  now.mono = at;
  server->HandleTimeout(now);
  server->CheckInvariants();
}

std::vector<Command> TestServer::Drain() {
  std::vector<Command> out;
  while (std::optional<Command> c = server->PollCommand()) {
    out.push_back(std::move(*c));
  }
  return out;
}

std::string Describe(const Command& command) {
  std::ostringstream os;
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, Transmit>) {
          os << "Transmit to " << c.to.ToString() << ": ";
          auto parsed = MessageView::Parse(c.bytes);
          if (!parsed.ok()) {
            os << "(unparsable)";
          } else {
            os << "class " << static_cast<int>(parsed->message_class())
               << " method 0x" << std::hex << parsed->method() << std::dec;
            if (auto e = parsed->ErrorCode()) os << " error " << e->code;
          }
        } else if constexpr (std::is_same_v<T, OpenRelay>) {
          os << "OpenRelay " << c.id.value;
          if (c.claimed_token) os << " claiming " << *c.claimed_token;
        } else if constexpr (std::is_same_v<T, CloseRelay>) {
          os << "CloseRelay " << c.id.value;
        } else if constexpr (std::is_same_v<T, ConnectPeer>) {
          os << "ConnectPeer " << c.id.value << " to " << c.peer.ToString();
        } else if constexpr (std::is_same_v<T, CloseConnection>) {
          os << "CloseConnection " << c.id.value;
        } else if constexpr (std::is_same_v<T, SpliceConnections>) {
          os << "SpliceConnections " << c.client.value << " " << c.peer.value;
        } else if constexpr (std::is_same_v<T, HandOffConnection>) {
          os << "HandOffConnection " << c.connection.value << " to worker "
             << c.worker;
        } else if constexpr (std::is_same_v<T, ShareReservation>) {
          os << "ShareReservation " << c.relay.value << " " << c.token;
        } else {
          os << "Event #" << c.index();
        }
      },
      command);
  return os.str();
}

std::vector<Command> Expect(TestServer& server,
                            std::vector<Expectation> expected) {
  std::vector<Command> got = server.Drain();
  std::string listing;
  for (const Command& c : got) absl::StrAppend(&listing, "\n  ", Describe(c));
  std::string wanted;
  for (const Expectation& e : expected)
    absl::StrAppend(&wanted, "\n  ", e.what);
  INFO("expected:" << wanted << "\ngot:" << listing);
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("command " << i << ": expected " << expected[i].what);
    expected[i].check(got[i]);
  }
  server->CheckInvariants();
  return got;
}

MessageView ParseTransmit(const Command& command) {
  REQUIRE(std::holds_alternative<Transmit>(command));
  std::vector<uint8_t> bytes(std::get<Transmit>(command).bytes.begin(),
                             std::get<Transmit>(command).bytes.end());
  static std::vector<std::vector<uint8_t>>* arena =
      new std::vector<std::vector<uint8_t>>();
  arena->reserve(1 << 16);  // views must stay valid: never reallocate
  REQUIRE(arena->size() < arena->capacity());
  arena->push_back(std::move(bytes));
  auto parsed = MessageView::Parse(arena->back());
  REQUIRE_MESSAGE(parsed.ok(), "response does not parse");
  return *parsed;
}

Expectation Success(Method method, MessageCheck more,
                    std::optional<TransportAddress> to) {
  return {absl::StrCat("success response to method ", static_cast<int>(method)),
          [=](const Command& c) {
            const MessageView m = ParseTransmit(c);
            CHECK(m.message_class() == MessageClass::kSuccessResponse);
            CHECK(m.method() == static_cast<uint16_t>(method));
            if (to) CHECK(std::get<Transmit>(c).to == *to);
            if (more) more(m);
          }};
}

Expectation Error(Method method, int code, MessageCheck more) {
  return {absl::StrCat("error ", code, " to method ", static_cast<int>(method)),
          [=](const Command& c) {
            const MessageView m = ParseTransmit(c);
            CHECK(m.message_class() == MessageClass::kErrorResponse);
            CHECK(m.method() == static_cast<uint16_t>(method));
            REQUIRE(m.ErrorCode().has_value());
            CHECK(m.ErrorCode()->code == code);
            if (more) more(m);
          }};
}

Expectation Open(std::function<void(const OpenRelay&)> more) {
  return {"OpenRelay", [=](const Command& c) {
            REQUIRE(std::holds_alternative<OpenRelay>(c));
            if (more) more(std::get<OpenRelay>(c));
          }};
}

Expectation Close(RelayId id) {
  return {absl::StrCat("CloseRelay ", id.value), [=](const Command& c) {
            REQUIRE(std::holds_alternative<CloseRelay>(c));
            CHECK(std::get<CloseRelay>(c).id == id);
          }};
}

Expectation Verdict(AuthOutcome outcome) {
  return EventOf<AuthVerdict>(
      absl::StrCat("AuthVerdict ", std::string(AuthOutcomeName(outcome))),
      [=](const AuthVerdict& v) {
        CHECK(AuthOutcomeName(v.outcome) == AuthOutcomeName(outcome));
      });
}

TestClient::TestClient(TestServer& server, FiveTuple t, std::string user,
                       std::string pass, ClientOptions o)
    : tuple(std::move(t)),
      username(std::move(user)),
      password(std::move(pass)),
      options(o),
      server_(server) {}

stun::TransactionId TestClient::NextTransaction() {
  ++counter_;
  stun::TransactionId id{};
  id[0] = 0x7E;
  for (int i = 0; i < 4; ++i) {
    id[8 + i] = static_cast<uint8_t>(counter_ >> (24 - 8 * i));
  }
  // Different clients get different IDs: mix in the client port.
  id[1] = static_cast<uint8_t>(tuple.client.port >> 8);
  id[2] = static_cast<uint8_t>(tuple.client.port);
  last_ = id;
  return id;
}

Encoded TestClient::Unauthenticated(Method method, Attributes add) {
  std::array<uint8_t, 2048> buffer;
  MessageBuilder b(absl::MakeSpan(buffer), MessageClass::kRequest, method,
                   NextTransaction());
  if (add) add(b);
  if (options.fingerprint) b.AddFingerprint();
  auto out = b.Finish();
  REQUIRE(out.ok());
  return {{out->begin(), out->end()}};
}

Encoded TestClient::Indication(Method method, Attributes add) {
  std::array<uint8_t, 2048> buffer;
  MessageBuilder b(absl::MakeSpan(buffer), MessageClass::kIndication, method,
                   NextTransaction());
  add(b);
  auto out = b.Finish();
  REQUIRE(out.ok());
  return {{out->begin(), out->end()}};
}

Encoded TestClient::Request(Method method, Attributes add) {
  if (nonce.empty()) return Unauthenticated(method, std::move(add));
  std::array<uint8_t, 2048> buffer;
  MessageBuilder b(absl::MakeSpan(buffer), MessageClass::kRequest, method,
                   NextTransaction());
  if (add) add(b);
  const std::string& realm = server_.config.realm;
  if (options.userhash) {
    b.AddBytes(AttributeType::kUserhash,
               stun::ComputeUserhash(username, realm));
  } else {
    b.AddString(AttributeType::kUsername, username);
  }
  b.AddString(AttributeType::kRealm, realm);
  b.AddString(AttributeType::kNonce, nonce);
  if (options.send_algorithms) {
    std::vector<stun::PasswordAlgorithmValue> offered;
    for (auto id : server_.config.password_algorithms) {
      offered.push_back({static_cast<uint16_t>(id), {}});
    }
    b.AddPasswordAlgorithms(offered);
    b.AddPasswordAlgorithm({static_cast<uint16_t>(options.algorithm), {}});
  }
  const stun::HmacKey key =
      stun::LongTermKey(options.algorithm, username, realm, password);
  if (options.integrity_sha256) {
    b.AddMessageIntegritySha256(key);
  } else {
    b.AddMessageIntegrity(key);
  }
  if (options.fingerprint) b.AddFingerprint();
  auto out = b.Finish();
  REQUIRE(out.ok());
  return {{out->begin(), out->end()}};
}

std::optional<Forward> TestClient::Send(const Encoded& message) {
  return Send(message.span());
}

std::optional<Forward> TestClient::Send(absl::Span<const uint8_t> bytes) {
  std::optional<Forward> forward =
      server_->HandleClientMessage(server_.now, tuple, bytes);
  server_->CheckInvariants();
  return forward;
}

void TestClient::Learn(const MessageView& response) {
  std::optional<std::string_view> n = response.Nonce();
  REQUIRE(n.has_value());
  nonce = std::string(*n);
}

void TestClient::GetNonce() {
  Send(Unauthenticated(Method::kAllocate,
                       [](MessageBuilder& b) { b.AddRequestedTransport(17); }));
  auto got = Expect(
      server_, {Verdict(AuthOutcome::kChallenged),
                Error(Method::kAllocate, stun::error_code::kUnauthenticated)});
  Learn(ParseTransmit(got[1]));
}

RelayId TestClient::Allocate(const TransportAddress& relay_address,
                             Attributes extra) {
  if (nonce.empty()) GetNonce();
  Send(Request(Method::kAllocate, [&](MessageBuilder& b) {
    b.AddRequestedTransport(17);
    if (extra) extra(b);
  }));
  RelayId id;
  Expect(server_, {Verdict(AuthOutcome::kAccepted),
                   Open([&](const OpenRelay& o) { id = o.id; })});
  server_->HandleRelayOpened(server_.now, id, relay_address);
  Expect(server_, {EventOf<AllocationCreated>("AllocationCreated"),
                   Success(Method::kAllocate, [&](const MessageView& m) {
                     CHECK(m.XorRelayedAddresses().front() == relay_address);
                   })});
  return id;
}

void TestClient::Permit(const TransportAddress& peer) {
  Send(Request(Method::kCreatePermission, [&](MessageBuilder& b) {
    b.AddXorAddress(AttributeType::kXorPeerAddress, peer);
  }));
  std::vector<Command> got = server_.Drain();
  REQUIRE(!got.empty());
  const MessageView last = ParseTransmit(got.back());
  REQUIRE(last.message_class() == MessageClass::kSuccessResponse);
}

void TestClient::Bind(uint16_t channel, const TransportAddress& peer) {
  Send(Request(Method::kChannelBind, [&](MessageBuilder& b) {
    b.AddChannelNumber(channel);
    b.AddXorAddress(AttributeType::kXorPeerAddress, peer);
  }));
  std::vector<Command> got = server_.Drain();
  REQUIRE(!got.empty());
  const MessageView last = ParseTransmit(got.back());
  REQUIRE(last.message_class() == MessageClass::kSuccessResponse);
}

}  // namespace turnpike::core::testing
