// The real turnpike binary for the TURN integration tests: started on
// `ip`:0, its port read from its own "listening on udp ADDR:PORT" log line
// (no free-port race), and every wait on it bounded.
#ifndef TURNPIKE_TESTS_RUNTIME_TURNPIKE_PROCESS_H_
#define TURNPIKE_TESTS_RUNTIME_TURNPIKE_PROCESS_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/transport_address.h"
#include "tests/runtime/subprocess.h"

namespace turnpike::testing {

// Generous for a sanitizer build on a machine shared with other builds.
inline constexpr std::chrono::milliseconds kStartTimeout{15000};
inline constexpr std::chrono::milliseconds kExitTimeout{10000};
// How long to wait for a log line or an event that must come.
inline constexpr std::chrono::milliseconds kLogTimeout{10000};

struct RunningTurnpike {
  std::unique_ptr<Subprocess> process;
  TransportAddress address;  // where it answers
};

// Starts turnpike with `--listen ip:0 --min-port 1024` followed by `extra`; nullopt when it
// exits or names no listening port within kStartTimeout (its output is
// then in a doctest MESSAGE).
std::optional<RunningTurnpike> StartTurnpike(
    const std::string& ip, const std::vector<std::string>& extra);

// The address turnpike reported for its first `transport` listener ("udp",
// "tcp") in `output`'s "listening on" line; nullopt when there is none.
std::optional<TransportAddress> ListeningAddressOf(const std::string& output,
                                                   std::string_view transport);

// Polls every 20 ms until `needle` appears in the process's output (or in
// `file`), or `timeout` passes.
bool WaitForOutput(Subprocess& process, std::string_view needle,
                   std::chrono::milliseconds timeout = kLogTimeout);
bool WaitForFileText(const std::filesystem::path& file, std::string_view needle,
                     std::chrono::milliseconds timeout = kLogTimeout);

// Sends `signum` and waits up to kExitTimeout; nullopt when it kept running.
std::optional<ExitInfo> StopWith(Subprocess& process, int signum);

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_RUNTIME_TURNPIKE_PROCESS_H_
