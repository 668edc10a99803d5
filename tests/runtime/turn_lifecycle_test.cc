// The real turnpike binary over an allocation's life and the process's:
// expiry, SIGHUP reloading the users file, SIGTERM with a live allocation,
// and the credential banner of a run with no user configured. Every case
// starts its own server; every wait is bounded.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/stun/constants.h"
#include "tests/runtime/temp_files.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turn_test_support.h"
#include "tests/runtime/turnpike_process.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::testing {
namespace {

const std::string kIp = "127.0.0.1";

// Replaces `path` in one step (write aside, then rename), so turnpike never
// reads a half-written file.
void WriteFileAtomically(const std::filesystem::path& path,
                         const std::string& text) {
  const std::filesystem::path aside = path.string() + ".new";
  {
    std::ofstream out(aside, std::ios::binary | std::ios::trunc);
    out << text;
    REQUIRE(out.good());
  }
  std::filesystem::rename(aside, path);
}

// Polls the event file until a line holds every part; bounded by kLogTimeout.
bool WaitForEvent(const std::filesystem::path& file,
                  std::initializer_list<std::string_view> parts) {
  const auto deadline = std::chrono::steady_clock::now() + kLogTimeout;
  while (!EventFileHasLine(file, parts)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// Permission for `peer`, then one Send indication out and its echo back as
// a Data indication.
void ExpectRelaysTo(TurnClient& client, const TransportAddress& relayed,
                    UdpSocket& peer, const std::string& tag) {
  std::optional<TurnReply> permission =
      client.CreatePermission({AddressOf(peer)});
  REQUIRE(permission.has_value());
  REQUIRE_MESSAGE(permission->ok(),
                  "CreatePermission: " << permission->error_code);
  REQUIRE(client.SendIndication(AddressOf(peer), Bytes(tag)));
  PeerExpectsAndAnswers(peer, relayed, Bytes(tag), Bytes(tag + " echo"));
  std::optional<RelayedData> back = client.ReceiveRelayed();
  REQUIRE_MESSAGE(back.has_value(), "no echo for " << tag);
  CHECK(back->data == Bytes(tag + " echo"));
}

// The value after "  NAME: " on its own line of the banner, or "".
std::string BannerField(const std::string& output, const std::string& name) {
  const std::string key = "  " + name + ":";
  const size_t at = output.find(key);
  if (at == std::string::npos) return "";
  const size_t from = output.find_first_not_of(' ', at + key.size());
  const size_t end = output.find('\n', from);
  if (from == std::string::npos || end == std::string::npos) return "";
  return output.substr(from, end - from);
}

TEST_CASE("an allocation expires after its lifetime and stops relaying") {
  TempDir dir;
  const auto events = dir.path() / "events.jsonl";
  // The allocation is proven to relay under a 30 s lifetime, a margin no
  // busy machine eats; only then does a Refresh shorten it to the 3 s
  // default, and the expiry under test starts from that Refresh.
  std::optional<RunningTurnpike> server = StartTurnpike(
      kIp, {"--relay-ip", kIp, "--user", "alice:secret", "--peer-allow",
            "127.0.0.0/8", "--default-lifetime", "3", "--max-lifetime", "30",
            "--event-output", events.string()});
  REQUIRE(server.has_value());
  TurnClient client = NewClient(kIp, *server, "alice", "secret");
  // RFC 8656 §7.2: a requested lifetime above the maximum is cut to it.
  AllocateOptions options;
  options.lifetime = 3600;
  std::optional<TurnReply> allocated = client.Allocate(options);
  REQUIRE(allocated.has_value());
  REQUIRE(allocated->ok());
  CHECK(allocated->lifetime == 30u);
  const TransportAddress relayed = allocated->relayed.at(0);
  std::optional<UdpSocket> peer = UdpSocket::Bind(kIp);
  REQUIRE(peer.has_value());
  ExpectRelaysTo(client, relayed, *peer, "before expiry");

  // RFC 8656 §7.3: a Refresh without LIFETIME sets the default, from now.
  const auto refreshed_at = std::chrono::steady_clock::now();
  std::optional<TurnReply> refresh = client.Refresh(std::nullopt);
  REQUIRE(refresh.has_value());
  REQUIRE(refresh->ok());
  CHECK(refresh->lifetime == 3u);
  REQUIRE_MESSAGE(WaitForEvent(events, {"\"event\":\"allocation_deleted\"",
                                        "\"reason\":\"expired\""}),
                  "no allocation_deleted/expired event; events:\n"
                      << ReadWholeFile(events));
  // Not early: the server got the Refresh after `refreshed_at` and both
  // processes read the same monotonic clock. (Late is bounded by
  // kLogTimeout above.)
  CHECK(std::chrono::steady_clock::now() - refreshed_at >=
        std::chrono::seconds(3));
  // Gone: the peer's datagram is not relayed, the client's is not sent, and
  // a Refresh finds no allocation (RFC 8656 §7.3: 437).
  REQUIRE(peer->SendTo(relayed.ip.ToString(), relayed.port, Bytes("late")));
  CHECK_FALSE(client.ReceiveRelayed(kSilenceWindow).has_value());
  REQUIRE(client.SendIndication(AddressOf(*peer), Bytes("late")));
  CHECK_FALSE(peer->ReceiveFrom(kSilenceWindow).has_value());
  refresh = client.Refresh(std::nullopt);
  REQUIRE(refresh.has_value());
  CHECK(refresh->error_code == stun::error_code::kAllocationMismatch);
  ExpectCleanExit(*server);
}

TEST_CASE("a stale nonce gets 438 and the request succeeds with the new one") {
  // Each authenticated request follows the response that taught its nonce
  // by one loopback round trip; a 2 s nonce lifetime leaves that round trip
  // a margin no busy machine eats, and costs the test 2 s of waiting.
  constexpr std::chrono::seconds kNonceLifetime{2};
  std::optional<RunningTurnpike> server = StartTurnpike(
      kIp, {"--relay-ip", kIp, "--user", "alice:secret", "--nonce-lifetime",
            std::to_string(kNonceLifetime.count())});
  REQUIRE(server.has_value());
  TurnClient client = NewClient(kIp, *server, "alice", "secret");
  std::optional<TurnReply> reply = client.Allocate();
  REQUIRE(reply.has_value());
  REQUIRE(reply->ok());
  // Every nonce the client holds was issued before Allocate returned, so it
  // is stale once kNonceLifetime has passed since then (the server and this
  // test read the same monotonic clock).
  const auto nonce_stale_at = std::chrono::steady_clock::now() + kNonceLifetime;
  const int retries_before = client.stale_nonce_retries();
  // The one wait here that is not for a reply: the nonce has to age.
  std::this_thread::sleep_until(nonce_stale_at);
  // RFC 8489 §9.2.4 / §9.2.5: 438 with a fresh NONCE, and the client sends
  // the request again with it.
  reply = client.Refresh(std::nullopt);
  REQUIRE(reply.has_value());
  CHECK_MESSAGE(reply->ok(), "Refresh after 438: " << reply->error_code);
  CHECK(reply->integrity_valid);
  CHECK(client.stale_nonce_retries() == retries_before + 1);
  ExpectCleanExit(*server);
}

TEST_CASE("SIGHUP reloads the users file and refuses a broken one") {
  TempDir dir;
  const auto users = dir.path() / "users";
  WriteFileAtomically(users, "# test users\nalice:secret\n");
  std::optional<RunningTurnpike> server =
      StartTurnpike(kIp, {"--relay-ip", kIp, "--users-file", users.string(),
                          "--peer-allow", "127.0.0.0/8"});
  REQUIRE(server.has_value());

  TurnClient alice = NewClient(kIp, *server, "alice", "secret");
  std::optional<TurnReply> reply = alice.Allocate();
  REQUIRE(reply.has_value());
  REQUIRE(reply->ok());
  const TransportAddress alice_relayed = reply->relayed.at(0);
  std::optional<UdpSocket> peer = UdpSocket::Bind(kIp);
  REQUIRE(peer.has_value());

  TurnClient bob = NewClient(kIp, *server, "bob", "hunter2");
  reply = bob.Allocate();
  REQUIRE(reply.has_value());
  CHECK(reply->error_code == stun::error_code::kUnauthenticated);

  WriteFileAtomically(users, "alice:secret\nbob:hunter2\n");
  server->process->Signal(SIGHUP);
  REQUIRE_MESSAGE(WaitForOutput(*server->process, "reloaded: 2 users"),
                  "no reload log line; output:\n"
                      << server->process->Output());
  reply = bob.Allocate();
  REQUIRE(reply.has_value());
  CHECK_MESSAGE(reply->ok(), "bob after reload: " << reply->error_code);
  // Alice's allocation survived the reload and still relays.
  ExpectRelaysTo(alice, alice_relayed, *peer, "alice after reload");

  // A users file with a line that is not NAME:PASSWORD: the reload is
  // refused with the file and line named, and the running users stay.
  WriteFileAtomically(users, "alice:secret\nthis line has no colon\n");
  server->process->Signal(SIGHUP);
  REQUIRE_MESSAGE(WaitForOutput(*server->process, "reload refused"),
                  "no refusal log line; output:\n"
                      << server->process->Output());
  CHECK(server->process->Output().find(users.string() + ":2") !=
        std::string::npos);
  TurnClient bob_again = NewClient(kIp, *server, "bob", "hunter2");
  reply = bob_again.Allocate();
  REQUIRE(reply.has_value());
  CHECK_MESSAGE(reply->ok(), "bob after refused reload: " << reply->error_code);
  ExpectCleanExit(*server);
}

TEST_CASE("SIGTERM with a live allocation exits 0 and reports it deleted") {
  TempDir dir;
  const auto events = dir.path() / "events.jsonl";
  std::optional<RunningTurnpike> server =
      StartTurnpike(kIp, {"--relay-ip", kIp, "--user", "alice:secret",
                          "--event-output", events.string()});
  REQUIRE(server.has_value());
  TurnClient client = NewClient(kIp, *server, "alice", "secret");
  std::optional<TurnReply> reply = client.Allocate();
  REQUIRE(reply.has_value());
  REQUIRE(reply->ok());
  const std::string relayed = reply->relayed.at(0).ToString();
  ExpectCleanExit(*server);
  CHECK_MESSAGE(EventFileHasLine(events, {"\"event\":\"allocation_deleted\"",
                                          "\"reason\":\"shutdown\"", relayed}),
                "events:\n"
                    << ReadWholeFile(events));
}

TEST_CASE("with no user configured, the banner's credential works") {
  std::optional<RunningTurnpike> server =
      StartTurnpike(kIp, {"--relay-ip", kIp});
  REQUIRE(server.has_value());
  REQUIRE_MESSAGE(WaitForOutput(*server->process, "iceServers"),
                  "no banner; output:\n"
                      << server->process->Output());
  const std::string output = server->process->Output();
  const std::string username = BannerField(output, "username");
  const std::string password = BannerField(output, "password");
  INFO("output:\n" << output);
  REQUIRE_FALSE(username.empty());
  REQUIRE_FALSE(password.empty());
  CHECK(BannerField(output, "url") ==
        "turn:" + server->address.ToString() + "?transport=udp");

  TurnClient client = NewClient(kIp, *server, username, password);
  std::optional<TurnReply> reply = client.Allocate();
  REQUIRE(reply.has_value());
  CHECK_MESSAGE(reply->ok(), "banner credential: " << reply->error_code);

  TurnClient wrong = NewClient(kIp, *server, username, password + "x");
  reply = wrong.Allocate();
  REQUIRE(reply.has_value());
  CHECK(reply->error_code == stun::error_code::kUnauthenticated);
  ExpectCleanExit(*server);
}

}  // namespace
}  // namespace turnpike::testing
