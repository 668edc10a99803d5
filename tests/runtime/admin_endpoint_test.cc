// The admin endpoint of the real binary on 127.0.0.1: a live allocation
// shows in /metrics (which promtool accepts), in /status, on the /turn page
// as headless Chromium renders it, and in the UDP status; the token and
// the refusal of an open non-loopback endpoint. Every wait is bounded.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/runtime/skip.h"
#include "tests/runtime/temp_files.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turnpike_process.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::testing {
namespace {

const std::string kIp = "127.0.0.1";

// One HTTP/1.1 exchange over a fresh connection; the whole response, or
// "" when the connection fails. `extra` lines end in \r\n.
std::string Http(uint16_t port, const std::string& method,
                 const std::string& target, const std::string& extra = "") {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, kIp.c_str(), &address.sin_addr);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
      0) {
    const std::string request = method + " " + target +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra +
                                "Connection: close\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t n;
      while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) {
        response.append(buffer, static_cast<size_t>(n));
      }
    }
  }
  close(fd);
  return response;
}

int StatusOf(const std::string& response) {
  // "HTTP/1.1 200 OK"
  if (response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

std::string BodyOf(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

// The port of the "admin: listening on http://127.0.0.1:PORT" line.
std::optional<uint16_t> AdminPort(Subprocess& process,
                                  const std::string& prefix) {
  if (!WaitForOutput(process, prefix)) return std::nullopt;
  const std::string output = process.Output();
  const size_t at = output.find(prefix) + prefix.size();
  return static_cast<uint16_t>(std::stoi(output.substr(at)));
}

// Runs `command` through sh; its exit code, output in `output`.
int Shell(const std::string& command, std::string* output) {
  std::unique_ptr<Subprocess> process =
      Subprocess::Start("/bin/sh", {"-c", command});
  REQUIRE(process != nullptr);
  const std::optional<ExitInfo> exit =
      process->WaitForExit(std::chrono::seconds(60));
  if (!exit) {
    process->Signal(SIGKILL);
    process->WaitForExit(kExitTimeout);
    FAIL("timed out: " << command);
  }
  *output = process->Output();
  return exit->exited ? exit->code : 128 + exit->signal;
}

bool Executable(const char* path) { return access(path, X_OK) == 0; }

TEST_CASE(
    "the admin endpoint shows a live allocation to Prometheus and Chromium") {
  if (!Executable("/usr/bin/promtool") || !Executable("/usr/bin/chromium")) {
    MESSAGE(
        "SKIPPED: needs promtool and chromium (Debian packages "
        "prometheus and chromium; scripts/install-deps.sh)");
    MarkSkipped();
    return;
  }
  TempDir dir;
  std::optional<RunningTurnpike> server = StartTurnpike(
      kIp, {"--relay-ip", kIp, "--user", "alice:secret", "--admin-listen",
            "127.0.0.1:0", "--status-udp", "127.0.0.1:0"});
  REQUIRE(server.has_value());
  Subprocess& process = *server->process;
  const std::optional<uint16_t> port =
      AdminPort(process, "admin: listening on http://127.0.0.1:");
  REQUIRE(port.has_value());
  const std::optional<uint16_t> udp_port =
      AdminPort(process, "status-udp: answering on 127.0.0.1:");
  REQUIRE(udp_port.has_value());

  std::optional<TurnClient> client = TurnClient::Create(kIp, server->address);
  REQUIRE(client.has_value());
  client->SetCredentials("alice", "secret");
  std::optional<TurnReply> allocated = client->Allocate();
  REQUIRE(allocated.has_value());
  REQUIRE(allocated->ok());

  // Snapshots are published about once a second: poll, bounded.
  std::string metrics;
  const auto deadline = std::chrono::steady_clock::now() + kLogTimeout;
  while (true) {
    metrics = BodyOf(Http(*port, "GET", "/metrics"));
    if (metrics.find("\nturnpike_allocations{transport=\"udp\"} 1\n") !=
        std::string::npos) {
      break;
    }
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                    "no live allocation in /metrics:\n"
                        << metrics);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(metrics.find("\nturnpike_allocations_created_total 1\n") !=
        std::string::npos);
  CHECK(metrics.find("turnpike_auth_verdicts_total{outcome=\"accepted\"} ") !=
        std::string::npos);

  const std::filesystem::path scraped = dir.path() / "metrics.txt";
  std::ofstream(scraped) << metrics;
  std::string promtool;
  CHECK_MESSAGE(Shell("promtool check metrics < " + scraped.string() + " 2>&1",
                      &promtool) == 0,
                promtool);

  const std::string status = BodyOf(Http(*port, "GET", "/status"));
  CHECK(status.find("\"username\": \"alice\"") != std::string::npos);

  // Chromium renders /turn?r=2: the allocation's username and the refresh.
  std::string dom;
  const std::string chromium =
      "timeout -k 5 60 /usr/bin/chromium --headless --no-sandbox "
      "--disable-gpu --no-first-run --disable-background-networking "
      "--disable-component-update --disable-sync --user-data-dir=" +
      (dir.path() / "profile").string() +
      " --host-resolver-rules='MAP * ~NOTFOUND , EXCLUDE 127.0.0.1' "
      "--dump-dom 'http://127.0.0.1:" +
      std::to_string(*port) + "/turn?r=2' 2>/dev/null";
  REQUIRE(Shell(chromium, &dom) == 0);
  CHECK_MESSAGE(
      dom.find("<td class=\"username\">alice</td>") != std::string::npos, dom);
  CHECK(dom.find("<meta http-equiv=\"refresh\" content=\"2\">") !=
        std::string::npos);
  CHECK(dom.find("refreshing every 2 s") != std::string::npos);

  // restund-style UDP status.
  std::optional<UdpSocket> udp = UdpSocket::Bind(kIp);
  REQUIRE(udp.has_value());
  const std::string keyword = "status\n";
  REQUIRE(udp->SendTo(kIp, *udp_port,
                      std::vector<uint8_t>(keyword.begin(), keyword.end())));
  std::optional<std::vector<uint8_t>> reply =
      udp->Receive(std::chrono::seconds(5));
  REQUIRE(reply.has_value());
  const std::string text(reply->begin(), reply->end());
  CHECK_MESSAGE(text.find("\nallocations 1 (udp 1,") != std::string::npos,
                text);

  // civetweb was started without TLS: no OpenSSL library in the process
  // (BoringSSL, ours, is libssl.so.0 under android/).
  std::ifstream maps("/proc/" + std::to_string(process.pid()) + "/maps");
  std::stringstream mapped;
  mapped << maps.rdbuf();
  CHECK(mapped.str().find("libssl.so.3") == std::string::npos);
  CHECK(mapped.str().find("libcrypto.so.3") == std::string::npos);

  const std::optional<ExitInfo> exit = StopWith(process, SIGTERM);
  REQUIRE(exit.has_value());
  CHECK(exit->exited);
}

TEST_CASE("the admin endpoint checks the bearer token and bounds requests") {
  TempDir dir;
  const std::filesystem::path token = dir.path() / "token";
  std::ofstream(token) << "  t0ken-from-file\n";
  std::optional<RunningTurnpike> server = StartTurnpike(
      kIp, {"--relay-ip", kIp, "--user", "alice:secret", "--admin-listen",
            "127.0.0.1:0", "--admin-token-file", token.string()});
  REQUIRE(server.has_value());
  const std::optional<uint16_t> port =
      AdminPort(*server->process, "admin: listening on http://127.0.0.1:");
  REQUIRE(port.has_value());
  CHECK(StatusOf(Http(*port, "GET", "/metrics")) == 401);
  CHECK(StatusOf(Http(*port, "GET", "/metrics",
                      "Authorization: Bearer wrong\r\n")) == 401);
  const std::string auth = "Authorization: Bearer t0ken-from-file\r\n";
  CHECK(StatusOf(Http(*port, "GET", "/metrics", auth)) == 200);
  CHECK(StatusOf(Http(*port, "GET", "/nothing", auth)) == 404);
  CHECK(StatusOf(Http(*port, "DELETE", "/metrics", auth)) == 405);
  CHECK(StatusOf(Http(*port, "POST", "/reload",
                      auth + "Content-Length: 100000\r\n")) == 413);
  // Headers beyond the limit are refused by civetweb itself.
  const std::string huge = "X-Padding: " + std::string(10000, 'a') + "\r\n";
  const std::string refused = Http(*port, "GET", "/metrics", auth + huge);
  CHECK_MESSAGE(
      (refused.empty() || StatusOf(refused) == 413 || StatusOf(refused) == 400),
      refused);
  CHECK(StatusOf(Http(*port, "POST", "/reload", auth)) == 202);
  CHECK(WaitForOutput(*server->process, "turnpike: reloaded: 1 users"));
  // POST /drain is SIGUSR1: with no allocation left the process exits 0.
  CHECK(StatusOf(Http(*port, "POST", "/drain", auth)) == 202);
  CHECK(WaitForOutput(*server->process,
                      "drained: no worker has an allocation left"));
  const std::optional<ExitInfo> exit =
      server->process->WaitForExit(std::chrono::seconds(10));
  REQUIRE(exit.has_value());
  CHECK(exit->exited);
  CHECK(exit->code == 0);
}

TEST_CASE("an admin endpoint open to other hosts without a token is refused") {
  std::unique_ptr<Subprocess> process = Subprocess::Start(
      TURNPIKE_BINARY,
      {"--listen", "127.0.0.1:0", "--relay-ip", kIp, "--min-port", "1024",
       "--user", "alice:secret", "--admin-listen", "0.0.0.0:0"});
  REQUIRE(process != nullptr);
  const std::optional<ExitInfo> exit = process->WaitForExit(kExitTimeout);
  if (!exit) StopWith(*process, SIGKILL);
  REQUIRE(exit.has_value());
  CHECK(exit->exited);
  CHECK(exit->code != 0);
  CHECK_MESSAGE(
      process->Output().find("set admin-token-file") != std::string::npos,
      process->Output());
}

}  // namespace
}  // namespace turnpike::testing
