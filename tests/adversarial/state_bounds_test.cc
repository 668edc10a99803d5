// One authenticated user against the real binary, trying to make it hold
// more than the limits allow (issue 13 items 2 and 3, docs/security.md):
// permissions, channels and refreshes flooded on every allocation the
// user-quota allows, with the server's RSS checked against the documented
// worst case; and EVEN-PORT R=1 reservations churned (Allocate, delete,
// again), with the server's open file descriptors checked against the
// quota. Loopback only; every loop is bounded in count and every wait in
// time. Peers are documentation addresses (RFC 5737) that are only named
// in permissions: nothing is ever sent to them.
#include <doctest/doctest.h>
#include <signal.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/stun/constants.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turnpike_process.h"

namespace turnpike::testing {
namespace {

namespace ec = stun::error_code;
using stun::AttributeType;
using stun::MessageBuilder;
using stun::Method;

const std::string kIp = "127.0.0.1";

// docs/security.md "One user's worst case": what one quota slot may cost
// the server's RSS, per allocation (its relay sockets included), per
// permission and per channel binding; rounded up from what this test
// measures in the sanitizer build, the heaviest.
constexpr uint64_t kAllocationBytes = 256 * 1024;
constexpr uint64_t kPermissionBytes = 1024;
constexpr uint64_t kChannelBytes = 1536;
// The documented defaults of the caps.
constexpr uint64_t kPermissionCap = 256;
constexpr uint64_t kChannelCap = 256;
// RSS moves by whole pages and allocator regions whatever is held.
constexpr uint64_t kPageNoiseBytes = 512 * 1024;

// VmRSS of `pid` in bytes, or 0 when it cannot be read.
uint64_t ResidentBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stoull(line.substr(6)) * 1024;  // "VmRSS:   1234 kB"
    }
  }
  return 0;
}

size_t OpenDescriptors(pid_t pid) {
  size_t count = 0;
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator(
           absl::StrCat("/proc/", pid, "/fd"), error);
       !error && it != std::filesystem::directory_iterator();
       it.increment(error)) {
    ++count;
  }
  return count;
}

// The child's allocator should give back what the server frees, so that
// RSS follows what the server holds: no ASan quarantine of freed blocks
// (it would hold every freed response for a while) and no fake stacks.
void QuietAllocatorForChildren() {
  const char* inherited = getenv("ASAN_OPTIONS");
  const std::string options =
      absl::StrCat(inherited ? inherited : "", inherited ? ":" : "",
                   "quarantine_size_mb=0:detect_stack_use_after_return=0");
  setenv("ASAN_OPTIONS", options.c_str(), 1);
}

TurnClient ClientFor(const RunningTurnpike& server) {
  std::optional<TurnClient> client = TurnClient::Create(kIp, server.address);
  REQUIRE(client.has_value());
  client->SetCredentials("alice", "secret");
  return std::move(*client);
}

// Documentation peers: 198.51.100.0-255 (RFC 5737), nothing sent to them.
TransportAddress Peer(int index, uint16_t port = 9000) {
  return TransportAddress{
      *IpAddress::Parse(absl::StrCat("198.51.100.", index % 256)), port};
}

void ExpectCleanExit(RunningTurnpike& server) {
  std::optional<ExitInfo> exit = StopWith(*server.process, SIGTERM);
  REQUIRE_MESSAGE(exit.has_value(), "turnpike did not exit after SIGTERM");
  CHECK(exit->exited);
  CHECK(exit->code == 0);
}

TEST_CASE("a user flooding every cap stays within the memory bound") {
  constexpr int kQuota = 2;
  // Refreshes of the allocation and of a channel, each, per allocation: an
  // append-only timer queue grew by 56 bytes with each one.
  constexpr int kRefreshes = 20000;
  QuietAllocatorForChildren();
  std::optional<RunningTurnpike> server = StartTurnpike(
      kIp, {"--relay-ip", kIp, "--user", "alice:secret", "--user", "bob:secret",
            "--user-quota", std::to_string(kQuota),
            // The documentation peers below are special-purpose addresses
            // the filter refuses by default (docs/security.md).
            "--peer-allow", "198.51.100.0/24", "--peer-allow",
            "203.0.113.0/24"});
  REQUIRE(server.has_value());
  const pid_t pid = server->process->pid();

  // Warm the code paths (allocator pools, libuv buffers) with another user
  // before the baseline.
  {
    std::optional<TurnClient> bob = TurnClient::Create(kIp, server->address);
    REQUIRE(bob.has_value());
    bob->SetCredentials("bob", "secret");
    std::optional<TurnReply> allocated = bob->Allocate();
    REQUIRE(allocated.has_value());
    REQUIRE(allocated->ok());
    CHECK(bob->Burst(Method::kRefresh, {}, 2000, 32) == 2000);
    REQUIRE(bob->Refresh(0).has_value());
  }
  const uint64_t baseline = ResidentBytes(pid);
  REQUIRE(baseline > 0);

  // Every allocation the quota allows, each with every permission and
  // channel its caps allow.
  std::vector<TurnClient> clients;
  for (int k = 0; k < kQuota; ++k) {
    clients.push_back(ClientFor(*server));
    TurnClient& client = clients.back();
    AllocateOptions options;
    options.lifetime = 3600;
    std::optional<TurnReply> allocated = client.Allocate(options);
    REQUIRE(allocated.has_value());
    REQUIRE_MESSAGE(allocated->ok(), "Allocate: " << allocated->error_code);

    int next_peer = 0;  // 32 peers a request
    CHECK(client.Burst(
              Method::kCreatePermission,
              [&](MessageBuilder& b) {
                for (int i = 0; i < 32; ++i) {
                  b.AddXorAddress(AttributeType::kXorPeerAddress,
                                  Peer(next_peer++));
                }
              },
              kPermissionCap / 32, 8) == kPermissionCap / 32);
    std::optional<TurnReply> one_more = client.CreatePermission(
        {TransportAddress{*IpAddress::Parse("203.0.113.1"), 9000}});
    REQUIRE(one_more.has_value());
    CHECK(one_more->error_code == ec::kInsufficientCapacity);

    int next_channel = 0;  // one peer of a permitted IP each
    CHECK(client.Burst(
              Method::kChannelBind,
              [&](MessageBuilder& b) {
                b.AddChannelNumber(
                    static_cast<uint16_t>(0x4000 + next_channel));
                b.AddXorAddress(AttributeType::kXorPeerAddress,
                                Peer(next_channel++));
              },
              kChannelCap, 32) == kChannelCap);
    std::optional<TurnReply> one_more_channel =
        client.ChannelBind(0x4000 + kChannelCap, Peer(0, 9001));
    REQUIRE(one_more_channel.has_value());
    CHECK(one_more_channel->error_code == ec::kInsufficientCapacity);
  }
  // The quota holds: one more allocation is refused.
  TurnClient third = ClientFor(*server);
  std::optional<TurnReply> refused = third.Allocate();
  REQUIRE(refused.has_value());
  CHECK(refused->error_code == ec::kAllocationQuotaReached);
  const uint64_t full = ResidentBytes(pid);

  // Then refresh everything over and over: nothing new is held.
  for (TurnClient& client : clients) {
    CHECK(client.Burst(
              Method::kRefresh, [](MessageBuilder& b) { b.AddLifetime(3600); },
              kRefreshes, 32) == kRefreshes);
    CHECK(client.Burst(
              Method::kChannelBind,
              [](MessageBuilder& b) {
                b.AddChannelNumber(0x4000);
                b.AddXorAddress(AttributeType::kXorPeerAddress, Peer(0));
              },
              kRefreshes, 32) == kRefreshes);
    CHECK(client.Burst(
              Method::kCreatePermission,
              [](MessageBuilder& b) {
                b.AddXorAddress(AttributeType::kXorPeerAddress, Peer(1));
              },
              kRefreshes / 10, 32) == kRefreshes / 10);
  }
  const uint64_t refreshed = ResidentBytes(pid);

  auto growth = [](uint64_t from, uint64_t to) {
    return to > from ? to - from : 0;
  };
  const uint64_t bound =
      kQuota * (kAllocationBytes + kPermissionCap * kPermissionBytes +
                kChannelCap * kChannelBytes);
  MESSAGE("RSS " << baseline / 1024 << " KiB at start; +"
                 << growth(baseline, full) / 1024
                 << " KiB with every cap filled (documented bound "
                 << bound / 1024 << " KiB); +" << growth(full, refreshed) / 1024
                 << " KiB more after " << 2 * kQuota * kRefreshes
                 << " refreshes");
  CHECK(growth(baseline, full) <= bound + kPageNoiseBytes);
  CHECK(growth(full, refreshed) <= kPageNoiseBytes);
  ExpectCleanExit(*server);
}

TEST_CASE("EVEN-PORT reservation churn holds no more sockets than the quota") {
  constexpr int kQuota = 3;
  constexpr int kCycles = 200;
  std::optional<RunningTurnpike> server =
      StartTurnpike(kIp, {"--relay-ip", kIp, "--user", "alice:secret",
                          "--user-quota", std::to_string(kQuota)});
  REQUIRE(server.has_value());
  const pid_t pid = server->process->pid();
  const size_t baseline = OpenDescriptors(pid);
  REQUIRE(baseline > 0);

  TurnClient client = ClientFor(*server);
  AllocateOptions reserve;
  reserve.even_port_reserve_next = true;
  int granted = 0;
  int refused = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    std::optional<TurnReply> allocated = client.Allocate(reserve);
    REQUIRE(allocated.has_value());
    if (!allocated->ok()) {
      CHECK(allocated->error_code == ec::kAllocationQuotaReached);
      ++refused;
      continue;
    }
    ++granted;
    std::optional<TurnReply> deleted = client.Refresh(0);
    REQUIRE(deleted.has_value());
    REQUIRE(deleted->ok());
  }
  const size_t open = OpenDescriptors(pid);
  MESSAGE(granted << " of " << kCycles << " R=1 Allocates granted; "
                  << open - baseline << " descriptors more than at start");
  // RFC 8656 §7.2: each reservation holds port+1 for 30 s; the quota now
  // counts them, so only kQuota cycles get through in that time.
  CHECK(granted == kQuota);
  CHECK(refused == kCycles - kQuota);
  // Each quota slot holds at most two sockets (an allocation's relay and
  // its reservation, or the two families of a dual allocation).
  CHECK(open <= baseline + 2 * kQuota);
  ExpectCleanExit(*server);
}

}  // namespace
}  // namespace turnpike::testing
