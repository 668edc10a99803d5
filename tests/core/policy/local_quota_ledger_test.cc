// The process-wide allocation counters: capacity (508), then the user, then
// the client address (486); refusals count nothing; releases give back and
// forget holders at zero; limits change under live allocations.
#include "core/policy/local_quota_ledger.h"

#include <doctest/doctest.h>

#include <optional>
#include <string>

namespace turnpike::core {
namespace {

IpAddress Ip(const char* text) {
  std::optional<IpAddress> ip = IpAddress::Parse(text);
  REQUIRE_MESSAGE(ip.has_value(), text);
  return *ip;
}

// Built without Ip(): REQUIRE must not run before doctest starts.
constexpr IpAddress kIpA = IpAddress::V4({192, 0, 2, 1});
constexpr IpAddress kIpB = IpAddress::V4({192, 0, 2, 2});
constexpr IpAddress kIpV6 =
    IpAddress::V6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});

TEST_CASE("with no limits every allocation is granted and counted") {
  LocalQuotaLedger ledger;
  for (int i = 0; i < 100; ++i) {
    REQUIRE(ledger.TryAcquire("alice", kIpA) == QuotaVerdict::kGranted);
  }
  CHECK(ledger.TryAcquire("bob", kIpB) == QuotaVerdict::kGranted);
  CHECK(ledger.total() == 101);
  CHECK(ledger.for_user("alice") == 100);
  CHECK(ledger.for_user("bob") == 1);
  CHECK(ledger.for_user("carol") == 0);
  CHECK(ledger.for_ip(kIpA) == 100);
  CHECK(ledger.for_ip(kIpB) == 1);
  CHECK(ledger.for_ip(kIpV6) == 0);
}

TEST_CASE("the total limit refuses with kCapacity and counts nothing") {
  LocalQuotaLedger ledger({.total = 2});
  CHECK(ledger.TryAcquire("alice", kIpA) == QuotaVerdict::kGranted);
  CHECK(ledger.TryAcquire("bob", kIpB) == QuotaVerdict::kGranted);
  CHECK(ledger.TryAcquire("carol", kIpV6) == QuotaVerdict::kCapacity);
  CHECK(ledger.total() == 2);
  CHECK(ledger.for_user("carol") == 0);
  CHECK(ledger.for_ip(kIpV6) == 0);
  CHECK(ledger.users_counted() == 2);
  CHECK(ledger.ips_counted() == 2);
}

TEST_CASE("the per-user limit refuses that user only") {
  LocalQuotaLedger ledger({.per_user = 2});
  CHECK(ledger.TryAcquire("alice", kIpA) == QuotaVerdict::kGranted);
  CHECK(ledger.TryAcquire("alice", kIpB) == QuotaVerdict::kGranted);
  CHECK(ledger.TryAcquire("alice", kIpV6) == QuotaVerdict::kUserQuota);
  CHECK(ledger.TryAcquire("bob", kIpA) == QuotaVerdict::kGranted);
  CHECK(ledger.total() == 3);
  CHECK(ledger.for_user("alice") == 2);
  CHECK(ledger.for_ip(kIpV6) == 0);
}

TEST_CASE("the per-address limit refuses that address only") {
  LocalQuotaLedger ledger({.per_client_ip = 1});
  CHECK(ledger.TryAcquire("alice", kIpA) == QuotaVerdict::kGranted);
  CHECK(ledger.TryAcquire("bob", kIpA) == QuotaVerdict::kClientIpQuota);
  CHECK(ledger.TryAcquire("alice", kIpB) == QuotaVerdict::kGranted);
  CHECK(ledger.TryAcquire("alice", kIpV6) == QuotaVerdict::kGranted);
  CHECK(ledger.total() == 3);
  CHECK(ledger.for_user("bob") == 0);
  CHECK(ledger.for_ip(kIpA) == 1);
}

TEST_CASE("an IPv4 address and its IPv4-mapped IPv6 form count separately") {
  // The runtime hands the core unmapped addresses; the ledger compares as
  // given.
  LocalQuotaLedger ledger({.per_client_ip = 1});
  CHECK(ledger.TryAcquire("alice", kIpA) == QuotaVerdict::kGranted);
  CHECK(ledger.TryAcquire("alice", Ip("::ffff:192.0.2.1")) ==
        QuotaVerdict::kGranted);
}

TEST_CASE("capacity is checked before the user, the user before the address") {
  LocalQuotaLedger ledger({.total = 1, .per_user = 1, .per_client_ip = 1});
  REQUIRE(ledger.TryAcquire("alice", kIpA) == QuotaVerdict::kGranted);
  // Every limit is reached: capacity wins.
  CHECK(ledger.TryAcquire("alice", kIpA) == QuotaVerdict::kCapacity);

  ledger.SetLimits({.total = 0, .per_user = 1, .per_client_ip = 1});
  // User and address both reached: the user wins.
  CHECK(ledger.TryAcquire("alice", kIpA) == QuotaVerdict::kUserQuota);
  // Only the address.
  CHECK(ledger.TryAcquire("bob", kIpA) == QuotaVerdict::kClientIpQuota);
  // Only the user.
  CHECK(ledger.TryAcquire("alice", kIpB) == QuotaVerdict::kUserQuota);
  CHECK(ledger.total() == 1);
  CHECK(ledger.for_user("alice") == 1);
  CHECK(ledger.for_user("bob") == 0);
  CHECK(ledger.for_ip(kIpA) == 1);
  CHECK(ledger.for_ip(kIpB) == 0);
}

TEST_CASE("Release gives back and forgets holders at zero") {
  LocalQuotaLedger ledger({.per_user = 2});
  REQUIRE(ledger.TryAcquire("alice", kIpA) == QuotaVerdict::kGranted);
  REQUIRE(ledger.TryAcquire("alice", kIpB) == QuotaVerdict::kGranted);
  REQUIRE(ledger.TryAcquire("bob", kIpA) == QuotaVerdict::kGranted);
  CHECK(ledger.TryAcquire("alice", kIpV6) == QuotaVerdict::kUserQuota);

  ledger.Release("alice", kIpB);
  CHECK(ledger.total() == 2);
  CHECK(ledger.for_user("alice") == 1);
  CHECK(ledger.for_ip(kIpB) == 0);
  CHECK(ledger.ips_counted() == 1);  // kIpB forgotten
  CHECK(ledger.TryAcquire("alice", kIpV6) == QuotaVerdict::kGranted);

  ledger.Release("alice", kIpA);
  ledger.Release("alice", kIpV6);
  ledger.Release("bob", kIpA);
  CHECK(ledger.total() == 0);
  CHECK(ledger.for_user("alice") == 0);
  CHECK(ledger.users_counted() == 0);
  CHECK(ledger.ips_counted() == 0);
}

TEST_CASE("many short-lived holders leave the maps empty") {
  LocalQuotaLedger ledger;
  for (uint32_t i = 0; i < 1000; ++i) {
    const std::string user = "user" + std::to_string(i);
    const IpAddress ip = IpAddress::V4(0xC6120000u + i);  // 198.18.0.0/15
    REQUIRE(ledger.TryAcquire(user, ip) == QuotaVerdict::kGranted);
    ledger.Release(user, ip);
  }
  CHECK(ledger.total() == 0);
  CHECK(ledger.users_counted() == 0);
  CHECK(ledger.ips_counted() == 0);
}

TEST_CASE("lowering a limit never evicts: it refuses until below the limit") {
  LocalQuotaLedger ledger;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(ledger.TryAcquire("alice", kIpA) == QuotaVerdict::kGranted);
  }
  ledger.SetLimits({.total = 2});
  CHECK(ledger.limits().total == 2);
  CHECK(ledger.total() == 3);  // nothing evicted
  CHECK(ledger.TryAcquire("bob", kIpB) == QuotaVerdict::kCapacity);
  ledger.Release("alice", kIpA);
  CHECK(ledger.TryAcquire("bob", kIpB) == QuotaVerdict::kCapacity);  // 2 of 2
  ledger.Release("alice", kIpA);
  CHECK(ledger.TryAcquire("bob", kIpB) == QuotaVerdict::kGranted);  // 1 of 2

  // Raising it back to unlimited admits again at once.
  ledger.SetLimits({});
  CHECK(ledger.TryAcquire("bob", kIpB) == QuotaVerdict::kGranted);
  CHECK(ledger.total() == 3);
}

}  // namespace
}  // namespace turnpike::core
