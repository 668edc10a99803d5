#include "tests/runtime/turnpike_process.h"

#include <doctest/doctest.h>

#include <thread>

#include "tests/runtime/temp_files.h"

namespace turnpike::testing {
namespace {

constexpr std::string_view kListeningPrefix = "listening on udp ";
constexpr std::chrono::milliseconds kPollInterval{20};

// The address after the first "listening on udp ", up to the end of its line.
std::optional<TransportAddress> ListeningAddress(const std::string& output) {
  const size_t start = output.find(kListeningPrefix);
  if (start == std::string::npos) return std::nullopt;
  const size_t from = start + kListeningPrefix.size();
  const size_t end = output.find_first_of(", \n", from);
  if (end == std::string::npos) return std::nullopt;  // line not complete yet
  return TransportAddress::Parse(
      std::string_view(output).substr(from, end - from));
}

template <typename Poll>
bool PollUntil(std::chrono::milliseconds timeout, Poll poll) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (poll()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace

std::optional<TransportAddress> ListeningAddressOf(const std::string& output,
                                                   std::string_view transport) {
  const size_t line = output.find("listening on ");
  if (line == std::string::npos) return std::nullopt;
  const size_t line_end = output.find('\n', line);
  if (line_end == std::string::npos) return std::nullopt;
  // "listening on udp A, tcp B, ...": each entry is "TRANSPORT ADDRESS".
  const std::string needle = std::string(transport) + " ";
  size_t at = output.find(needle, line);
  while (at != std::string::npos && at < line_end) {
    const char before = output[at - 1];
    if (before == ' ') {
      const size_t from = at + needle.size();
      const size_t end = output.find_first_of(", \n", from);
      return TransportAddress::Parse(
          std::string_view(output).substr(from, end - from));
    }
    at = output.find(needle, at + 1);
  }
  return std::nullopt;
}

std::optional<RunningTurnpike> StartTurnpike(
    const std::string& ip, const std::vector<std::string>& extra) {
  const std::string host =
      ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
  // The relay reaches its own addresses (all of loopback among them) only
  // on relay ports (docs/security.md), and these tests' loopback peers bind
  // ephemeral ports: so every unprivileged port is a relay port here,
  // unless `extra` says otherwise (a later value wins).
  std::vector<std::string> args = {"--listen", host + ":0", "--min-port",
                                   "1024"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::unique_ptr<Subprocess> process =
      Subprocess::Start(TURNPIKE_BINARY, args);
  if (!process) return std::nullopt;
  std::optional<TransportAddress> address;
  const bool reported = PollUntil(kStartTimeout, [&] {
    address = ListeningAddress(process->Output());
    return address.has_value() || !process->Running();
  });
  if (!reported || !address) {
    MESSAGE("turnpike did not report a listening port; output:\n"
            << process->Output());
    return std::nullopt;  // ~Subprocess kills and reaps it
  }
  return RunningTurnpike{std::move(process), *address};
}

bool WaitForOutput(Subprocess& process, std::string_view needle,
                   std::chrono::milliseconds timeout) {
  return PollUntil(timeout, [&] {
    return process.Output().find(needle) != std::string::npos;
  });
}

bool WaitForFileText(const std::filesystem::path& file, std::string_view needle,
                     std::chrono::milliseconds timeout) {
  return PollUntil(timeout, [&] {
    return ReadWholeFile(file).find(needle) != std::string::npos;
  });
}

std::optional<ExitInfo> StopWith(Subprocess& process, int signum) {
  process.Signal(signum);
  return process.WaitForExit(kExitTimeout);
}

}  // namespace turnpike::testing
