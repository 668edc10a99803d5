// The real binary with `--workers 2` (runtime/supervisor.h): a SIGHUP
// reaches every worker and a SIGTERM stops them all while each holds
// allocations, every one deleted with its event, exit 0. Which worker a
// client landed on cannot be read from outside the process while it runs,
// so the case uses enough clients (24: all on one worker has odds of
// 2^-23) and checks the stop summary's allocations per worker at the end.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "core/stun/constants.h"
#include "tests/runtime/temp_files.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turn_test_support.h"
#include "tests/runtime/turnpike_process.h"
#include "tests/runtime/udp_socket.h"
#include "tests/transport/dtls_client_hello_sample.h"
#include "tests/transport/test_certificate.h"

namespace turnpike::testing {
namespace {

constexpr char kIp[] = "127.0.0.1";
constexpr int kClients = 24;

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path aside = path.string() + ".new";
  {
    std::ofstream out(aside, std::ios::binary | std::ios::trunc);
    out << text;
    REQUIRE(out.good());
  }
  std::filesystem::rename(aside, path);
}

// The numbers of the "allocations granted per worker: A, B" log line.
std::vector<uint64_t> AllocationsPerWorker(const std::string& output) {
  constexpr std::string_view kPrefix = "allocations granted per worker: ";
  const size_t at = output.find(kPrefix);
  if (at == std::string::npos) return {};
  const size_t start = at + kPrefix.size();
  const std::string line =
      output.substr(start, output.find('\n', start) - start);
  std::vector<uint64_t> out;
  for (absl::string_view part : absl::StrSplit(line, ", ")) {
    uint64_t n = 0;
    if (!absl::SimpleAtoi(part, &n)) return {};
    out.push_back(n);
  }
  return out;
}

int CountLines(const std::filesystem::path& file,
               std::initializer_list<std::string_view> parts) {
  std::istringstream lines(ReadWholeFile(file));
  int count = 0;
  for (std::string line; std::getline(lines, line);) {
    bool all = true;
    for (std::string_view part : parts) {
      all = all && line.find(part) != std::string::npos;
    }
    count += all ? 1 : 0;
  }
  return count;
}

TEST_CASE("turnpike with two workers reloads and stops every busy worker") {
  TempDir dir;
  const auto config = dir.path() / "turnpike.conf";
  const auto events = dir.path() / "events.jsonl";
  WriteFile(config, "user = alice:secret\npeer-allow = 127.0.0.0/8\n");
  std::optional<RunningTurnpike> server =
      StartTurnpike(kIp, {"--workers", "2", "--relay-ip", kIp, "--config",
                          config.string(), "--event-output", events.string()});
  REQUIRE(server.has_value());
  std::optional<UdpSocket> peer = UdpSocket::Bind(kIp);
  REQUIRE(peer.has_value());
  const TransportAddress peer_address = AddressOf(*peer);

  std::vector<TurnClient> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(NewClient(kIp, *server, "alice", "secret"));
    std::optional<TurnReply> reply = clients.back().Allocate();
    REQUIRE(reply.has_value());
    REQUIRE_MESSAGE(reply->ok(), "Allocate: " << reply->error_code);
    reply = clients.back().CreatePermission({peer_address});
    REQUIRE(reply.has_value());
    REQUIRE_MESSAGE(reply->ok(), "CreatePermission: " << reply->error_code);
  }

  // Without peer-allow, loopback peers are refused again: on every worker.
  // (A new peer IP: the rules decide when a permission is made.)
  WriteFile(config, "user = alice:secret\n");
  server->process->Signal(SIGHUP);
  REQUIRE_MESSAGE(WaitForOutput(*server->process, "reloaded: "),
                  "no reload log line; output:\n"
                      << server->process->Output());
  const TransportAddress other_peer{*IpAddress::Parse("127.0.0.3"),
                                    peer_address.port};
  for (TurnClient& client : clients) {
    const std::optional<TurnReply> reply =
        client.CreatePermission({other_peer});
    REQUIRE(reply.has_value());
    CHECK(reply->error_code == stun::error_code::kForbidden);
  }

  ExpectCleanExit(*server);
  const std::string output = server->process->Output();
  INFO("output:\n" << output);
  const std::vector<uint64_t> per_worker = AllocationsPerWorker(output);
  REQUIRE(per_worker.size() == 2);
  CHECK(per_worker[0] > 0);
  CHECK(per_worker[1] > 0);
  CHECK(per_worker[0] + per_worker[1] == kClients);
  CHECK(CountLines(events, {"\"event\":\"allocation_deleted\"",
                            "\"reason\":\"shutdown\""}) == kClients);
}

TEST_CASE("max-dtls-handshakes holds across two workers exactly") {
  TempDir dir;
  const TestCertificate cert = MakeSelfSigned("turnpike.test");
  WriteFile(dir.path() / "cert.pem", cert.certificate_pem);
  WriteFile(dir.path() / "key.pem", cert.key_pem);
  // Handshakes that never finish hold their slots for the whole case.
  std::optional<RunningTurnpike> server = StartTurnpike(
      kIp, {"--workers", "2", "--listen", "dtls://127.0.0.1:0", "--tls-cert",
            (dir.path() / "cert.pem").string(), "--tls-key",
            (dir.path() / "key.pem").string(), "--relay-ip", kIp, "--user",
            "alice:secret", "--max-dtls-handshakes", "2",
            "--tls-handshake-timeout", "60"});
  REQUIRE(server.has_value());
  const std::optional<TransportAddress> dtls =
      ListeningAddressOf(server->process->Output(), "dtls");
  REQUIRE(dtls.has_value());
  // 12 clients, spread by the kernel: a cap per worker would answer up to
  // 4 of them (all but one on one worker has odds of 13 in 2^11).
  constexpr int kHellos = 12;
  std::vector<UdpSocket> clients;
  for (int i = 0; i < kHellos; ++i) {
    std::optional<UdpSocket> client = UdpSocket::Bind(kIp);
    REQUIRE(client.has_value());
    REQUIRE(client->SendTo(kIp, dtls->port, DtlsClientHelloSample()));
    clients.push_back(std::move(*client));
  }
  // Every client is polled until 3 s have passed: the refused ones get no
  // answer at all, so only time can tell them from slow ones.
  std::vector<bool> answered(kHellos, false);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < kHellos; ++i) {
      if (answered[i]) continue;
      answered[i] =
          clients[i].ReceiveFrom(std::chrono::milliseconds(20)).has_value();
    }
  }
  int count = 0;
  for (bool a : answered) count += a ? 1 : 0;
  CHECK(count == 2);
  ExpectCleanExit(*server);
}

}  // namespace
}  // namespace turnpike::testing
