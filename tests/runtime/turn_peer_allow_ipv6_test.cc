// `--peer-allow ::1/128` alone lets a relay reach ::1: the peer filter once
// read ::1 as the IPv4-compatible ::0.0.0.1 and denied it as 0.0.0.0/8.
#include <doctest/doctest.h>
#include <signal.h>

#include "core/stun/constants.h"
#include "tests/runtime/skip.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turn_test_support.h"
#include "tests/runtime/turnpike_process.h"

namespace turnpike::testing {
namespace {

TEST_CASE("--peer-allow ::1/128 alone lets a ::1 peer be permitted") {
  if (!HostHasIpv6Loopback()) {
    MESSAGE("SKIPPED: this host has no IPv6 loopback (::1)");
    MarkSkipped();
    return;
  }
  std::optional<RunningTurnpike> server =
      StartTurnpike("::1", {"--relay-ip", "::1", "--user", "alice:secret",
                            "--peer-allow", "::1/128"});
  REQUIRE(server.has_value());
  std::optional<TurnClient> client = TurnClient::Create("::1", server->address);
  REQUIRE(client.has_value());
  client->SetCredentials("alice", "secret");
  AllocateOptions ipv6;
  ipv6.requested_family = 0x02;
  std::optional<TurnReply> allocated = client->Allocate(ipv6);
  REQUIRE(allocated.has_value());
  REQUIRE(allocated->ok());
  std::optional<UdpSocket> peer = UdpSocket::Bind("::1");
  REQUIRE(peer.has_value());
  std::optional<TurnReply> permission =
      client->CreatePermission({AddressOf(*peer)});
  REQUIRE(permission.has_value());
  CHECK_MESSAGE(permission->ok(),
                "CreatePermission: " << permission->error_code);
  server->process->Signal(SIGTERM);
  CHECK(server->process->WaitForExit(kExitTimeout).has_value());
}

}  // namespace
}  // namespace turnpike::testing
