// RFC 8656 §7.2 EVEN-PORT R=1 across the workers of a process: two Servers
// sharing one reservation registry and one quota ledger, as the workers
// of runtime/supervisor.h do (Deps::reservations). The RESERVATION-TOKEN
// one Server gave out is claimed on the other, once; an unclaimed one is
// released once, by the reserving Server's timer; the quota slots add up
// either way.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <variant>

#include "core/policy/local_quota_ledger.h"
#include "core/policy/local_reservation_registry.h"
#include "tests/core/scenario/test_server.h"

namespace turnpike::core::testing {
namespace {

using stun::MessageBuilder;
using stun::MessageView;
using stun::Method;

const TransportAddress kEven = Addr("203.0.113.5:50000");
const TransportAddress kNext = Addr("203.0.113.5:50001");

// Two workers of one process.
struct Process {
  explicit Process(LocalQuotaLedger::Limits limits = {}) : quotas(limits) {
    for (TestServer* s : {&first, &second}) s->users.Add("alice", "secret");
  }
  LocalReservationRegistry registry;
  LocalQuotaLedger quotas;
  TestServer first{TestConfig(), {}, nullptr, &registry, &quotas};
  TestServer second{TestConfig(), {}, nullptr, &registry, &quotas};
};

Expectation Share(RelayId relay, uint64_t* token) {
  return {"ShareReservation", [relay, token](const Command& c) {
            REQUIRE(std::holds_alternative<ShareReservation>(c));
            CHECK(std::get<ShareReservation>(c).relay == relay);
            *token = std::get<ShareReservation>(c).token;
          }};
}

// EVEN-PORT R=1 on `server`, its relay opened at kEven: the token, which
// the socket of port+1 is shared under before the answer leaves.
uint64_t Reserve(TestServer& server, TestClient& client) {
  client.GetNonce();
  client.Send(client.Request(Method::kAllocate, [](MessageBuilder& b) {
    b.AddRequestedTransport(17);
    b.AddEvenPort(true);
  }));
  RelayId id;
  RelayId reserved;
  Expect(server, {Verdict(AuthOutcome::kAccepted), Open([&](const OpenRelay& o) {
                    id = o.id;
                    REQUIRE(o.reserve_id.has_value());
                    reserved = *o.reserve_id;
                  })});
  server->HandleRelayOpened(server.now, id, kEven);
  uint64_t shared = 0;
  uint64_t answered = 0;
  Expect(server, {Share(reserved, &shared),
                  EventOf<AllocationCreated>("AllocationCreated"),
                  Success(Method::kAllocate, [&](const MessageView& m) {
                    REQUIRE(m.ReservationToken().has_value());
                    answered = *m.ReservationToken();
                  })});
  CHECK(shared == answered);
  return answered;
}

// An Allocate with `token`: the error code, or 0 once the claimed socket
// is reported open and the success names `relayed`.
int Claim(TestServer& server, TestClient& client, uint64_t token,
          const TransportAddress& relayed = kNext) {
  if (client.nonce.empty()) client.GetNonce();
  client.Send(client.Request(Method::kAllocate, [&](MessageBuilder& b) {
    b.AddRequestedTransport(17);
    b.AddReservationToken(token);
  }));
  std::optional<OpenRelay> open;
  int code = -1;
  for (const Command& c : server.Drain()) {
    if (const auto* o = std::get_if<OpenRelay>(&c)) open = *o;
    if (std::holds_alternative<Transmit>(c)) {
      const MessageView m = ParseTransmit(c);
      code = m.ErrorCode() ? m.ErrorCode()->code : -2;
    }
  }
  if (!open) return code;
  CHECK(code == -1);  // answered once the socket is taken over
  CHECK(open->claimed_token == token);
  CHECK(open->family == AddressFamily::kIpv4);
  CHECK_FALSE(open->reserve_id.has_value());
  server->HandleRelayOpened(server.now, open->id, relayed);
  Expect(server, {EventOf<AllocationCreated>("AllocationCreated"),
                  Success(Method::kAllocate, [&](const MessageView& m) {
                    CHECK(m.XorRelayedAddresses().front() == relayed);
                  })});
  return 0;
}

TEST_CASE("a reservation token from one worker is claimed on another once") {
  Process process;
  TestClient rtp(process.first, ClientTuple("192.0.2.10:5000"), "alice",
                 "secret");
  TestClient rtcp(process.second, ClientTuple("192.0.2.10:5001"), "alice",
                  "secret");
  const uint64_t token = Reserve(process.first, rtp);
  CHECK(process.registry.size() == 1);
  CHECK(process.quotas.total() == 1);

  CHECK(Claim(process.second, rtcp, token) == 0);
  CHECK(process.registry.size() == 0);
  CHECK(process.quotas.total() == 2);
  process.first->CheckInvariants();
  process.second->CheckInvariants();

  // Used once: another socket on either worker gets 508 (§7.2 step 6).
  TestClient again_second(process.second, ClientTuple("192.0.2.10:5002"),
                          "alice", "secret");
  TestClient again_first(process.first, ClientTuple("192.0.2.10:5003"),
                         "alice", "secret");
  CHECK(Claim(process.second, again_second, token) ==
        stun::error_code::kInsufficientCapacity);
  CHECK(Claim(process.first, again_first, token) ==
        stun::error_code::kInsufficientCapacity);
  CHECK(process.quotas.total() == 2);

  // The reserving worker's timer finds it taken: nothing to close or give
  // back (the socket is the other worker's relay now).
  process.first.Advance(process.first.config.reservation_lifetime);
  ExpectNothing(process.first);
  CHECK(process.quotas.total() == 2);
}

TEST_CASE("an unclaimed shared reservation is released once by its timer") {
  Process process;
  TestClient rtp(process.first, ClientTuple("192.0.2.10:5000"), "alice",
                 "secret");
  const uint64_t token = Reserve(process.first, rtp);
  const MonoTime expiry =
      process.first.now.mono + process.first.config.reservation_lifetime;
  // The allocation goes first: its slot stays with the reservation.
  rtp.Send(rtp.Request(Method::kRefresh,
                       [](MessageBuilder& b) { b.AddLifetime(0); }));
  process.first.Drain();
  CHECK(process.quotas.total() == 1);

  // At its expiry the token is refused on the other worker, although the
  // reserving worker's timer has not fired yet (its loop may be busy).
  TestClient late(process.second, ClientTuple("192.0.2.10:5001"), "alice",
                  "secret");
  process.second.AdvanceTo(expiry);
  CHECK(Claim(process.second, late, token) ==
        stun::error_code::kInsufficientCapacity);
  CHECK(process.quotas.total() == 1);
  CHECK(process.registry.size() == 1);

  // The reserving worker releases it, and the slot, exactly once.
  process.first.AdvanceTo(expiry);
  ExpectNothing(process.first);  // the registry closes the socket
  CHECK(process.registry.size() == 0);
  CHECK(process.quotas.total() == 0);
  process.first.Advance(std::chrono::seconds(60));
  CHECK(process.quotas.total() == 0);
}

TEST_CASE("a shared reservation holding its slot hands it to its claim") {
  // One allocation per user: the claim fits only in the reservation's
  // own slot, which it takes over on the other worker.
  Process process({.per_user = 1});
  TestClient rtp(process.first, ClientTuple("192.0.2.10:5000"), "alice",
                 "secret");
  const uint64_t token = Reserve(process.first, rtp);
  rtp.Send(rtp.Request(Method::kRefresh,
                       [](MessageBuilder& b) { b.AddLifetime(0); }));
  process.first.Drain();
  CHECK(process.quotas.total() == 1);
  // Another user's claim counts a slot of its own: refused at once, and
  // the reservation stays for its owner.
  process.second.users.Add("bob", "secret");
  TestClient bob(process.second, ClientTuple("192.0.2.10:6000"), "bob",
                 "secret");
  process.quotas.SetLimits({.total = 1});
  CHECK(Claim(process.second, bob, token) ==
        stun::error_code::kInsufficientCapacity);
  CHECK(process.registry.size() == 1);
  process.quotas.SetLimits({.per_user = 1});

  TestClient rtcp(process.second, ClientTuple("192.0.2.10:5001"), "alice",
                  "secret");
  CHECK(Claim(process.second, rtcp, token) == 0);
  CHECK(process.quotas.total() == 1);
  CHECK(process.quotas.for_user("alice") == 1);
  // The reserving worker's timer has nothing left to give back.
  process.first.Advance(process.first.config.reservation_lifetime);
  CHECK(process.quotas.total() == 1);
}

}  // namespace
}  // namespace turnpike::core::testing
