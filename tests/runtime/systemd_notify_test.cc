// The real binary under a stand-in for systemd (Type=notify, WatchdogSec):
// the test binds the AF_UNIX datagram socket that NOTIFY_SOCKET names and
// reads what turnpike sends it — READY=1 once it listens, WATCHDOG=1 at
// half of WATCHDOG_USEC, RELOADING=1 then READY=1 around a SIGHUP reload,
// STOPPING=1 at SIGTERM — in that order. Every wait is bounded.
#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "tests/runtime/temp_files.h"
#include "tests/runtime/turnpike_process.h"

namespace turnpike::testing {
namespace {

// What the service manager would see: one message per datagram.
class FakeNotifySocket {
 public:
  explicit FakeNotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof(address.sun_path));
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&address),
                   sizeof(address)) == 0);
  }
  ~FakeNotifySocket() { ::close(fd_); }

  // The next datagram, or nullopt after `timeout`.
  std::optional<std::string> Receive(std::chrono::milliseconds timeout) {
    pollfd waiting{fd_, POLLIN, 0};
    if (::poll(&waiting, 1, static_cast<int>(timeout.count())) != 1) {
      return std::nullopt;
    }
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<size_t>(n));
  }

  // Reads datagrams until one holds `line` as a whole line, for at most
  // `timeout`; every datagram read is appended to `seen`.
  std::optional<std::string> WaitFor(std::string_view line,
                                     std::vector<std::string>& seen,
                                     std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      std::optional<std::string> message = Receive(left);
      if (!message) return std::nullopt;
      seen.push_back(*message);
      if (HasLine(*message, line)) return message;
    }
    return std::nullopt;
  }

  static bool HasLine(const std::string& message, std::string_view line) {
    return ("\n" + message + "\n").find("\n" + std::string(line) + "\n") !=
           std::string::npos;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// Sets a variable of this process for the children it starts, and takes it
// away again.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

std::string Joined(const std::vector<std::string>& seen) {
  std::string text;
  for (const std::string& message : seen) text += "[" + message + "] ";
  return text;
}

TEST_CASE(
    "turnpike tells a service manager it is ready, alive, reloading and "
    "stopping") {
  TempDir dir;
  const std::string socket_path = (dir.path() / "notify").string();
  FakeNotifySocket manager(socket_path);
  std::optional<RunningTurnpike> server;
  {
    ScopedEnv notify("NOTIFY_SOCKET", socket_path);
    // 400 ms: a ping every 200 ms, a few within the test's waits.
    ScopedEnv watchdog("WATCHDOG_USEC", "400000");
    server = StartTurnpike("127.0.0.1", {"--user", "alice:secret"});
  }
  REQUIRE(server);
  std::vector<std::string> seen;

  // READY=1 after every listener is bound: its STATUS names the port the
  // log reported.
  const std::optional<std::string> ready =
      manager.WaitFor("READY=1", seen, kStartTimeout);
  REQUIRE_MESSAGE(ready, "no READY=1; received " << Joined(seen));
  CHECK(ready->find("STATUS=serving on udp " + server->address.ToString()) !=
        std::string::npos);

  // Two pings, so they repeat.
  for (int i = 0; i < 2; ++i) {
    CHECK_MESSAGE(manager.WaitFor("WATCHDOG=1", seen, kLogTimeout),
                  "no WATCHDOG=1; received " << Joined(seen));
  }

  // A reload is bracketed: RELOADING=1, then READY=1 again.
  server->process->Signal(SIGHUP);
  CHECK_MESSAGE(manager.WaitFor("RELOADING=1", seen, kLogTimeout),
                "no RELOADING=1; received " << Joined(seen));
  const std::optional<std::string> reloaded =
      manager.WaitFor("READY=1", seen, kLogTimeout);
  REQUIRE_MESSAGE(reloaded,
                  "no READY=1 after the reload; received " << Joined(seen));
  CHECK(reloaded->find("STATUS=serving; last reload applied") !=
        std::string::npos);

  server->process->Signal(SIGTERM);
  CHECK_MESSAGE(manager.WaitFor("STOPPING=1", seen, kExitTimeout),
                "no STOPPING=1; received " << Joined(seen));
  const std::optional<ExitInfo> exit =
      server->process->WaitForExit(kExitTimeout);
  REQUIRE(exit);
  CHECK(exit->exited);
  CHECK(exit->code == 0);
}

TEST_CASE("without WATCHDOG_USEC turnpike says ready but sends no pings") {
  TempDir dir;
  const std::string socket_path = (dir.path() / "notify").string();
  FakeNotifySocket manager(socket_path);
  std::optional<RunningTurnpike> server;
  {
    ScopedEnv notify("NOTIFY_SOCKET", socket_path);
    server = StartTurnpike("127.0.0.1", {"--user", "alice:secret"});
  }
  REQUIRE(server);
  std::vector<std::string> seen;
  REQUIRE_MESSAGE(manager.WaitFor("READY=1", seen, kStartTimeout),
                  "no READY=1; received " << Joined(seen));
  // Everything up to STOPPING=1 is in `seen`: no ping among it.
  server->process->Signal(SIGTERM);
  CHECK_MESSAGE(manager.WaitFor("STOPPING=1", seen, kExitTimeout),
                "no STOPPING=1; received " << Joined(seen));
  for (const std::string& message : seen) {
    CHECK_FALSE(FakeNotifySocket::HasLine(message, "WATCHDOG=1"));
  }
  const std::optional<ExitInfo> exit =
      server->process->WaitForExit(kExitTimeout);
  REQUIRE(exit);
  CHECK(exit->code == 0);
}

}  // namespace
}  // namespace turnpike::testing
