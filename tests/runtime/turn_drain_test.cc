// The real turnpike binary in drain (issue 12, rolling upgrades): SIGUSR1
// sends new Allocates to the alternate server with 300 (RFC 8489 §10) or
// refuses them 508 (RFC 8656 §7.2); the allocations it has relay and
// refresh until they end, and then the process exits 0 — or at
// drain-timeout, deleting the rest. Every wait is bounded.
#include <doctest/doctest.h>
#include <signal.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/runtime/temp_files.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turn_test_support.h"
#include "tests/runtime/turnpike_process.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::testing {
namespace {

const std::string kIp = "127.0.0.1";

TurnReply AllocateOk(TurnClient& client) {
  std::optional<TurnReply> reply = client.Allocate();
  REQUIRE(reply.has_value());
  REQUIRE_MESSAGE(reply->ok(), "Allocate: " << reply->error_code);
  return *reply;
}

void ExpectExitZero(RunningTurnpike& server) {
  std::optional<ExitInfo> exit = server.process->WaitForExit(kExitTimeout);
  INFO("output:\n" << server.process->Output());
  REQUIRE_MESSAGE(exit.has_value(), "turnpike kept running after the drain");
  CHECK(exit->exited);
  CHECK(exit->code == 0);
}

TEST_CASE(
    "SIGUSR1 sends new Allocates to the alternate and exits 0 when the last "
    "allocation ends") {
  // Nothing listens there: the client is only told the address.
  const std::string alternate = "127.0.0.1:3479";
  std::optional<RunningTurnpike> server = StartTurnpike(
      kIp, {"--relay-ip", kIp, "--user", "alice:secret", "--alternate-server",
            "[::1]:3478", "--alternate-server", alternate});
  REQUIRE(server.has_value());
  TurnClient before = NewClient(kIp, *server, "alice", "secret");
  const TurnReply allocated = AllocateOk(before);
  std::optional<UdpSocket> peer = UdpSocket::Bind(kIp);
  REQUIRE(peer.has_value());

  server->process->Signal(SIGUSR1);
  REQUIRE_MESSAGE(WaitForOutput(*server->process, "draining: 1 allocation"),
                  server->process->Output());

  // A new client is sent on: the IPv4 alternate, protected (RFC 8489 §10).
  TurnClient after = NewClient(kIp, *server, "alice", "secret");
  std::optional<TurnReply> redirected = after.Allocate();
  REQUIRE(redirected.has_value());
  CHECK(redirected->error_code == 300);
  CHECK(redirected->alternate_server == TransportAddress::Parse(alternate));
  CHECK(redirected->integrity_valid);

  // The allocation made before relays both ways and refreshes.
  std::optional<TurnReply> permission =
      before.CreatePermission({AddressOf(*peer)});
  REQUIRE(permission.has_value());
  REQUIRE(permission->ok());
  REQUIRE(before.SendIndication(AddressOf(*peer), Bytes("during drain")));
  PeerExpectsAndAnswers(*peer, allocated.relayed.at(0), Bytes("during drain"),
                        Bytes("echo"));
  std::optional<RelayedData> back = before.ReceiveRelayed();
  REQUIRE(back.has_value());
  CHECK(back->data == Bytes("echo"));
  std::optional<TurnReply> refreshed = before.Refresh(600);
  REQUIRE(refreshed.has_value());
  CHECK(refreshed->ok());
  CHECK(server->process->Running());

  // Its end is the process's end.
  std::optional<TurnReply> deleted = before.Refresh(0);
  REQUIRE(deleted.has_value());
  CHECK(deleted->ok());
  ExpectExitZero(*server);
  CHECK(server->process->Output().find("drained: no allocation left") !=
        std::string::npos);
}

TEST_CASE(
    "SIGUSR1 without an alternate answers 508 and drain-timeout deletes what "
    "is left") {
  TempDir dir;
  const auto events = dir.path() / "events.jsonl";
  std::optional<RunningTurnpike> server = StartTurnpike(
      kIp, {"--relay-ip", kIp, "--user", "alice:secret", "--drain-timeout", "2",
            "--event-output", events.string()});
  REQUIRE(server.has_value());
  TurnClient before = NewClient(kIp, *server, "alice", "secret");
  const TurnReply allocated = AllocateOk(before);

  server->process->Signal(SIGUSR1);
  REQUIRE_MESSAGE(WaitForOutput(*server->process, "draining: 1 allocation"),
                  server->process->Output());
  TurnClient after = NewClient(kIp, *server, "alice", "secret");
  std::optional<TurnReply> refused = after.Allocate();
  REQUIRE(refused.has_value());
  CHECK(refused->error_code == 508);
  CHECK_FALSE(refused->alternate_server.has_value());

  // The allocation (600 s) outlives the 2 s drain: it is deleted, with its
  // event, and the process still exits 0.
  ExpectExitZero(*server);
  CHECK(server->process->Output().find("drain timeout") != std::string::npos);
  CHECK_MESSAGE(EventFileHasLine(events, {"\"event\":\"allocation_deleted\"",
                                          "\"reason\":\"shutdown\"",
                                          allocated.relayed.at(0).ToString()}),
                "events:\n"
                    << ReadWholeFile(events));
}

TEST_CASE(
    "with several workers the drain ends when no worker has an allocation "
    "left") {
  std::optional<RunningTurnpike> server = StartTurnpike(
      kIp, {"--relay-ip", kIp, "--user", "alice:secret", "--workers", "2"});
  REQUIRE(server.has_value());
  // Four clients on four source ports: the kernel spreads them over the
  // two workers (SO_REUSEPORT), so the allocations span both workers.
  std::vector<TurnClient> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(NewClient(kIp, *server, "alice", "secret"));
    AllocateOk(clients.back());
  }
  server->process->Signal(SIGUSR1);
  REQUIRE_MESSAGE(WaitForOutput(*server->process, "draining 2 workers"),
                  server->process->Output());
  // Each deletion but the last leaves the process serving, although one
  // worker empties along the way (or had nothing from the start): it must
  // not exit within the window, and the next client's Refresh is answered.
  for (size_t i = 0; i < clients.size(); ++i) {
    CAPTURE(i);
    std::optional<TurnReply> alive = clients[i].Refresh(600);
    REQUIRE_MESSAGE(alive.has_value(), server->process->Output());
    CHECK(alive->ok());
    std::optional<TurnReply> deleted = clients[i].Refresh(0);
    REQUIRE(deleted.has_value());
    CHECK(deleted->ok());
    if (i + 1 < clients.size()) {
      REQUIRE_MESSAGE(!server->process->WaitForExit(kSilenceWindow),
                      "exited with allocations left:\n"
                          << server->process->Output());
    }
  }
  ExpectExitZero(*server);
  CHECK(server->process->Output().find(
            "drained: no worker has an allocation left") != std::string::npos);
}

TEST_CASE("SIGUSR1 with no allocation exits 0 at once") {
  std::optional<RunningTurnpike> server =
      StartTurnpike(kIp, {"--relay-ip", kIp, "--user", "alice:secret"});
  REQUIRE(server.has_value());
  server->process->Signal(SIGUSR1);
  ExpectExitZero(*server);
  CHECK(server->process->Output().find("draining: 0 allocations") !=
        std::string::npos);
}

}  // namespace
}  // namespace turnpike::testing
