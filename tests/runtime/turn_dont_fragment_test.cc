// DONT-FRAGMENT (RFC 8656 §7.2, §18.9) on the real binary: the relay
// socket of an allocation that asked for it sends with DF set
// (IP_MTU_DISCOVER = IP_PMTUDISC_DO for IPv4, IPV6_DONTFRAG = 1 for IPv6),
// and one that did not ask keeps the system's default. The socket options
// are read back from turnpike's own sockets with pidfd_getfd(2)
// (process_sockets.h); where the host does not allow that, the case says so
// and is reported skipped.
#include <doctest/doctest.h>
#include <netinet/in.h>

#include <optional>
#include <string>
#include <variant>

#include "tests/runtime/process_sockets.h"
#include "tests/runtime/skip.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turn_test_support.h"
#include "tests/runtime/turnpike_process.h"

namespace turnpike::testing {
namespace {

constexpr uint8_t kFamilyIpv4 = 0x01;  // RFC 8656 §18.8
constexpr uint8_t kFamilyIpv6 = 0x02;

// What DF means to the kernel, per family.
struct DfOption {
  int level;
  int name;
  int set;  // the value with DF on
};

// The relayed port of a fresh allocation (kept alive in `clients`).
uint16_t AllocatePort(const RunningTurnpike& server, const std::string& ip,
                      std::vector<TurnClient>& clients,
                      const AllocateOptions& options) {
  clients.push_back(NewClient(ip, server, "alice", "secret"));
  std::optional<TurnReply> reply = clients.back().Allocate(options);
  REQUIRE(reply.has_value());
  REQUIRE_MESSAGE(reply->ok(), "Allocate: " << reply->error_code);
  REQUIRE(reply->relayed.size() == 1);
  return reply->relayed.front().port;
}

// The option of turnpike's socket on `port`; nullopt (and the case marked
// skipped) when the host does not let this test look.
std::optional<int> SocketOption(const RunningTurnpike& server, uint16_t port,
                                const DfOption& df) {
  std::variant<BorrowedSocket, BorrowFailure> socket =
      BorrowUdpSocket(server.process->pid(), port);
  if (const auto* failure = std::get_if<BorrowFailure>(&socket)) {
    if (failure->unsupported) {
      MESSAGE("SKIPPED: cannot read turnpike's socket options on this host ("
              << failure->reason << ")");
      MarkSkipped();
      return std::nullopt;
    }
    FAIL(failure->reason);
  }
  return std::get<BorrowedSocket>(socket).IntOption(df.level, df.name);
}

void CheckDontFragment(const std::string& ip, uint8_t family,
                       const DfOption& df) {
  std::optional<RunningTurnpike> server =
      StartTurnpike(ip, {"--relay-ip", ip, "--user", "alice:secret"});
  REQUIRE(server.has_value());
  std::vector<TurnClient> clients;
  AllocateOptions plain;
  plain.requested_family = family;
  AllocateOptions with_df = plain;
  with_df.dont_fragment = true;
  // EVEN-PORT R=1 too: the reserved port+1 socket is a relay socket of its
  // own and gets DF as well.
  AllocateOptions with_df_pair = with_df;
  with_df_pair.even_port_reserve_next = true;

  const uint16_t without = AllocatePort(*server, ip, clients, plain);
  const uint16_t with = AllocatePort(*server, ip, clients, with_df);
  const uint16_t pair = AllocatePort(*server, ip, clients, with_df_pair);

  std::optional<int> value = SocketOption(*server, without, df);
  if (!value) return;
  CHECK(*value != df.set);
  CHECK(*value != -1);
  value = SocketOption(*server, with, df);
  REQUIRE(value.has_value());
  CHECK(*value == df.set);
  value = SocketOption(*server, pair, df);
  REQUIRE(value.has_value());
  CHECK(*value == df.set);
  value = SocketOption(*server, static_cast<uint16_t>(pair + 1), df);
  REQUIRE(value.has_value());
  CHECK(*value == df.set);
  ExpectCleanExit(*server);
}

TEST_CASE("IPv4: DONT-FRAGMENT sets IP_PMTUDISC_DO on the relay sockets") {
  CheckDontFragment("127.0.0.1", kFamilyIpv4,
                    {IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO});
}

TEST_CASE("IPv6: DONT-FRAGMENT sets IPV6_DONTFRAG on the relay sockets") {
  if (!HostHasIpv6Loopback()) {
    MESSAGE("SKIPPED: this host has no IPv6 loopback (::1)");
    MarkSkipped();
    return;
  }
  CheckDontFragment("::1", kFamilyIpv6, {IPPROTO_IPV6, IPV6_DONTFRAG, 1});
}

}  // namespace
}  // namespace turnpike::testing
