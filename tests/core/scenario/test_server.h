// The scenario-test harness for core::Server (EXAMPLES.md §2.4, firezone's
// assert_commands): a server with deterministic collaborators, a TURN
// client that speaks the long-term credential mechanism, and Expect(),
// which checks that the queued commands are exactly the expected ones and
// then that nothing more is queued.
#ifndef TURNPIKE_TESTS_CORE_SCENARIO_TEST_SERVER_H_
#define TURNPIKE_TESTS_CORE_SCENARIO_TEST_SERVER_H_

#include <doctest/doctest.h>

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/deps.h"
#include "core/policy/local_quota_ledger.h"
#include "core/server.h"
#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"

namespace turnpike::core::testing {

// t0 is 1000 s, not 0, so "before t0" is representable (libwebrtc's fake
// clock note); the wall clock is an arbitrary fixed date.
inline const Now kT0{MonoTime(std::chrono::seconds(1000)),
                     absl::FromUnixSeconds(1'800'000'000)};

// Bytes 0, 1, 2, ... so nonce keys, tokens and transaction IDs are the same
// every run.
class CounterRandom final : public Random {
 public:
  void Fill(absl::Span<uint8_t> out) override {
    for (uint8_t& b : out) b = next_++;
  }

 private:
  uint8_t next_ = 0;
};

// Users of one realm, with USERHASH lookup (RFC 8489 §14.4).
class FakeCredentials final : public CredentialStore {
 public:
  void Add(std::string username, std::string password) {
    users_[std::move(username)] = std::move(password);
  }
  void Remove(const std::string& username) { users_.erase(username); }
  std::string realm = "turnpike";

  CredentialCandidates Find(std::string_view username, std::string_view realm,
                            absl::Time wall) const override;
  CredentialCandidates FindByUserhash(absl::Span<const uint8_t> userhash,
                                      std::string_view realm,
                                      absl::Time wall) const override;

 private:
  std::map<std::string, std::string, std::less<>> users_;
};

// For tests that reach deep states without computing HMACs.
class AcceptAllAuthenticator final : public MessageAuthenticator {
 public:
  stun::IntegrityResult Check(const stun::MessageView&, bool,
                              absl::Span<const uint8_t>) const override {
    return stun::IntegrityResult::kOk;
  }
};

// A message encoded into owned storage.
struct Encoded {
  std::vector<uint8_t> bytes;
  absl::Span<const uint8_t> span() const { return bytes; }
};

// The default test configuration: realm "turnpike", IPv4 and IPv6 relays,
// loopback/private peers denied as in production.
ServerConfig TestConfig();

FiveTuple ClientTuple(std::string_view client = "192.0.2.10:40000",
                      std::string_view server = "198.51.100.1:3478",
                      uint16_t listener = 0);

class TestServer {
 public:
  // `credentials` replaces `users` as the server's store when given.
  // `reservations` and `shared_quotas`, when given, are shared with other
  // TestServers (the workers of one process); `shared_quotas` then
  // replaces `quotas`.
  explicit TestServer(ServerConfig config = TestConfig(),
                      LocalQuotaLedger::Limits limits = {},
                      const CredentialStore* credentials = nullptr,
                      ReservationRegistry* reservations = nullptr,
                      QuotaLedger* shared_quotas = nullptr);

  Server& operator*() { return *server; }
  Server* operator->() { return server.get(); }

  // Moves time forward (never back) and calls HandleTimeout.
  void AdvanceTo(MonoTime at);
  void Advance(Duration by) { AdvanceTo(now.mono + by); }

  std::vector<Command> Drain();

  ServerConfig config;
  CounterRandom random;
  FakeCredentials users;
  HmacAuthenticator hmac;
  LocalQuotaLedger quotas;
  std::unique_ptr<Server> server;
  Now now = kT0;
};

// One expected command: a description for failure messages and a check.
struct Expectation {
  std::string what;
  std::function<void(const Command&)> check;
};

// Polls one command per expectation and checks it, then checks the queue
// is empty (the assert_commands idiom). Returns the commands.
std::vector<Command> Expect(TestServer& server,
                            std::vector<Expectation> expected);
inline void ExpectNothing(TestServer& server) { Expect(server, {}); }

using MessageCheck = std::function<void(const stun::MessageView&)>;

// A Transmit of a success response to `method`, to `to` (default: any).
Expectation Success(stun::Method method, MessageCheck more = {},
                    std::optional<TransportAddress> to = std::nullopt);
// A Transmit of an error response with `code`.
Expectation Error(stun::Method method, int code, MessageCheck more = {});
Expectation Open(std::function<void(const OpenRelay&)> more = {});
Expectation Close(RelayId id);

template <typename E>
Expectation EventOf(std::string what, std::function<void(const E&)> more = {}) {
  return {what, [more](const Command& c) {
            REQUIRE(std::holds_alternative<Event>(c));
            const Event& event = std::get<Event>(c);
            REQUIRE(std::holds_alternative<E>(event));
            if (more) more(std::get<E>(event));
          }};
}
Expectation Verdict(AuthOutcome outcome);

// The message inside a Transmit command.
stun::MessageView ParseTransmit(const Command& command);
// Human-readable one-liner of a command, for failure messages.
std::string Describe(const Command& command);

// How a TestClient protects its requests.
struct ClientOptions {
  stun::PasswordAlgorithmId algorithm = stun::PasswordAlgorithmId::kMd5;
  // Echo PASSWORD-ALGORITHMS and send PASSWORD-ALGORITHM (RFC 8489
  // §9.2.4); off = an RFC 5389 client (MD5 keys, no algorithm attributes).
  bool send_algorithms = false;
  bool integrity_sha256 = false;  // MESSAGE-INTEGRITY-SHA256 instead of MI
  bool fingerprint = true;
  bool userhash = false;  // USERHASH instead of USERNAME
};

// A TURN client on one 5-tuple with long-term credentials. It learns the
// nonce from 401/438 responses it is shown (Learn) and numbers its
// transactions itself.
class TestClient {
 public:
  TestClient(TestServer& server, FiveTuple tuple, std::string username,
             std::string password, ClientOptions options = {});

  using Attributes = std::function<void(stun::MessageBuilder&)>;

  // An authenticated request (once a nonce is known; before, an
  // unauthenticated one).
  Encoded Request(stun::Method method, Attributes add = {});
  Encoded Unauthenticated(stun::Method method, Attributes add = {});
  Encoded Indication(stun::Method method, Attributes add);

  // Sends bytes as this client; returns the Forward.
  std::optional<Forward> Send(const Encoded& message);
  std::optional<Forward> Send(absl::Span<const uint8_t> bytes);

  // Takes NONCE from a 401/438 response.
  void Learn(const stun::MessageView& response);
  // Sends an unauthenticated Allocate-less request to get a nonce (a 401)
  // and checks the challenge; leaves the queue empty.
  void GetNonce();
  // The whole dance: nonce, Allocate (UDP), OpenRelay answered with
  // `relay_address`, success. Returns the relay id.
  RelayId Allocate(const TransportAddress& relay_address,
                   Attributes extra = {});
  // CreatePermission / ChannelBind, expecting success; drains events.
  void Permit(const TransportAddress& peer);
  void Bind(uint16_t channel, const TransportAddress& peer);

  const stun::TransactionId& last_transaction() const { return last_; }
  stun::TransactionId NextTransaction();

  FiveTuple tuple;
  std::string username;
  std::string password;
  ClientOptions options;
  std::string nonce;

 private:
  TestServer& server_;
  stun::TransactionId last_{};
  uint32_t counter_ = 0;
};

// Convenience: parse an address literal or fail.
TransportAddress Addr(std::string_view text);

}  // namespace turnpike::core::testing

#endif  // TURNPIKE_TESTS_CORE_SCENARIO_TEST_SERVER_H_
