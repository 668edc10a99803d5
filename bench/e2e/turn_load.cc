// turn_load: the load client of the end-to-end benchmark (bench/e2e/run.sh).
// It drives one TURN server over UDP on loopback and, given the server's
// PID, reads the server's CPU time and memory from /proc around the work.
// It prints one "RESULT key=value ..." line and exits 0 only when all of the
// work was done: every allocation opened, answers checked, packets came back.
//
//   turn_load --server 127.0.0.1:3478 --user alice:secret --server-pid PID
//             --mode relay --clients 50 --rate 20000 --seconds 10
//             [--threads 2 --peer-threads 2 --burst 4]
//   turn_load ... --mode allocate --allocations 10000
#include <arpa/inet.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "allocator.h"
#include "echo_peer.h"
#include "flags.h"
#include "proc_sample.h"
#include "relay_load.h"

namespace turnpike::e2e {
namespace {

constexpr const char* kUsage =
    "usage: turn_load --server IP:PORT --user NAME:PASSWORD --server-pid PID\n"
    "         --mode relay [--clients N] [--rate PPS|0] [--seconds S]\n"
    "                      [--payload BYTES] [--window N] [--threads N]\n"
    "                      [--peer-threads N] [--burst N] [--drain S]\n"
    "         --mode allocate [--allocations N] [--window N]\n";

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr, "turn_load: %s\n%s", why.c_str(), kUsage);
  std::exit(2);
}

struct Options {
  sockaddr_in server{};
  Credentials credentials;
  pid_t server_pid = 0;
  std::string mode;
  size_t clients = 50;
  size_t allocations = 1000;
  size_t window = 0;  // 0: the mode's default
  size_t peer_threads = 1;
  RelayOptions relay;
};

double Number(const Flags& flags, const std::string& name, double fallback) {
  const auto found = flags.find(name);
  if (found == flags.end()) return fallback;
  char* end = nullptr;
  const double value = std::strtod(found->second.c_str(), &end);
  if (end == found->second.c_str() || *end != '\0' || value < 0) {
    Usage("--" + name + ": '" + found->second + "' is not a number >= 0");
  }
  return value;
}

Options Parse(int argc, char** argv) {
  std::string bad;
  const std::optional<Flags> parsed = ParseFlagPairs(argc, argv, bad);
  if (!parsed) Usage("expected --name VALUE pairs, got '" + bad + "'");
  const Flags& flags = *parsed;
  Options options;
  const std::string server = FlagOr(flags, "server", "");
  const std::optional<sockaddr_in> endpoint = ParseIpv4Endpoint(server);
  if (!endpoint) Usage("--server: '" + server + "' is not IPv4:PORT");
  options.server = *endpoint;
  const auto user = ParseUser(FlagOr(flags, "user", ""));
  if (!user) Usage("--user: expected NAME:PASSWORD");
  options.credentials = {user->first, user->second};
  options.server_pid = static_cast<pid_t>(Number(flags, "server-pid", 0));
  if (options.server_pid <= 0) Usage("--server-pid is required");
  options.mode = FlagOr(flags, "mode", "");
  if (options.mode != "relay" && options.mode != "allocate") {
    Usage("--mode: expected relay or allocate");
  }
  options.clients = static_cast<size_t>(Number(flags, "clients", 50));
  options.allocations = static_cast<size_t>(Number(flags, "allocations", 1000));
  options.window = static_cast<size_t>(Number(flags, "window", 0));
  options.relay.seconds = Number(flags, "seconds", 10);
  options.relay.rate = Number(flags, "rate", 0);
  options.relay.payload = static_cast<size_t>(Number(flags, "payload", 200));
  if (options.relay.payload < kMinPayload || options.relay.payload > 1200) {
    Usage("--payload: expected " + std::to_string(kMinPayload) +
          " to 1200 bytes");
  }
  options.relay.threads = static_cast<size_t>(Number(flags, "threads", 1));
  options.relay.burst = static_cast<size_t>(Number(flags, "burst", 1));
  options.relay.drain_quiet = Number(flags, "drain", 0.3);
  options.peer_threads = static_cast<size_t>(Number(flags, "peer-threads", 1));
  if (options.relay.threads == 0 || options.peer_threads == 0 ||
      options.relay.burst == 0 || options.relay.burst > kMaxBurst) {
    Usage("--threads and --peer-threads must be at least 1, --burst 1 to " +
          std::to_string(kMaxBurst));
  }
  if (options.clients == 0 || options.allocations == 0) {
    Usage("--clients and --allocations must be at least 1");
  }
  return options;
}

// One socket per allocation: 10,000 allocations need more than the usual
// 1,024 descriptors.
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
      limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// CPU seconds of this process (the clients and the echo peer): shows when
// the load client, not the server, is what limits the maximum rate.
double OwnCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

ProcSample Sample(pid_t pid) {
  const std::optional<ProcSample> sample = SampleProcess(pid);
  if (!sample) {
    std::fprintf(stderr,
                 "turn_load: cannot read /proc/%d: is the server "
                 "still running?\n",
                 static_cast<int>(pid));
    std::exit(1);
  }
  return *sample;
}

int RunAllocate(const Options& options) {
  EchoPeer peer;
  const ProcSample before = Sample(options.server_pid);
  AllocationRun run = OpenAllocations(
      options.server, options.credentials, peer.address(), options.allocations,
      options.window == 0 ? 64 : options.window);
  // Let the server finish what it was doing before reading its memory.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const ProcSample after = Sample(options.server_pid);
  const double n = static_cast<double>(run.ready);
  std::printf(
      "RESULT mode=allocate requested=%zu ready=%zu seconds=%.3f "
      "allocs_per_s=%.0f retransmissions=%llu rss_before_kib=%ld "
      "rss_after_kib=%ld bytes_per_alloc=%.0f cpu_s=%.3f "
      "cpu_us_per_alloc=%.1f\n",
      options.allocations, run.ready, run.seconds,
      run.seconds > 0 ? n / run.seconds : 0,
      static_cast<unsigned long long>(run.retransmissions), before.rss_kib,
      after.rss_kib,
      n > 0 ? static_cast<double>(after.rss_kib - before.rss_kib) * 1024 / n
            : 0,
      after.cpu_seconds - before.cpu_seconds,
      n > 0 ? (after.cpu_seconds - before.cpu_seconds) * 1e6 / n : 0);
  CloseSessions(run.sessions);
  if (run.ready != options.allocations) {
    std::fprintf(stderr,
                 "turn_load: only %zu of %zu allocations opened; "
                 "first error: %s\n",
                 run.ready, options.allocations, run.first_error.c_str());
    return 1;
  }
  return 0;
}

int RunRelay(const Options& options) {
  EchoPeer peer;
  peer.Start(options.peer_threads);
  AllocationRun run = OpenAllocations(options.server, options.credentials,
                                      peer.address(), options.clients, 64);
  if (run.ready != options.clients) {
    std::fprintf(stderr,
                 "turn_load: only %zu of %zu allocations opened; "
                 "first error: %s\n",
                 run.ready, options.clients, run.first_error.c_str());
    CloseSessions(run.sessions);
    return 1;
  }
  RelayOptions relay = options.relay;
  if (options.window != 0) relay.window = options.window;
  const ProcSample before = Sample(options.server_pid);
  const double own_before = OwnCpuSeconds();
  const RelayResult result = RunRelayLoad(run.sessions, relay);
  const ProcSample after = Sample(options.server_pid);
  const double own_cpu = OwnCpuSeconds() - own_before;
  peer.Stop();
  CloseSessions(run.sessions);
  // What the server relayed: leg 1 (client -> relay -> peer), as counted
  // by the peer, plus leg 2 (peer -> relay -> client), as counted by the
  // clients.
  const uint64_t relayed = peer.received() + result.received;
  const double cpu = after.cpu_seconds - before.cpu_seconds;
  const double seconds = result.send_seconds;
  std::printf(
      "RESULT mode=relay clients=%zu offered_pps=%.0f payload=%zu "
      "seconds=%.2f sent=%llu peer_received=%llu received=%llu "
      "malformed=%llu send_failures=%llu sent_pps=%.0f round_trips_per_s=%.0f "
      "relayed_per_s=%.0f loss_pct=%.3f rtt_p50_us=%.1f rtt_p99_us=%.1f "
      "cpu_s=%.3f cpu_us_per_relayed=%.3f rss_kib=%ld peak_rss_kib=%ld "
      "load_client_cpu_s=%.3f load_threads=%zu\n",
      options.clients, relay.rate, relay.payload, seconds,
      static_cast<unsigned long long>(result.sent),
      static_cast<unsigned long long>(peer.received()),
      static_cast<unsigned long long>(result.received),
      static_cast<unsigned long long>(result.malformed),
      static_cast<unsigned long long>(result.send_failures),
      static_cast<double>(result.sent) / seconds,
      static_cast<double>(result.received) / seconds,
      static_cast<double>(relayed) / seconds,
      result.sent > 0
          ? 100.0 * static_cast<double>(result.sent - result.received) /
                static_cast<double>(result.sent)
          : 100.0,
      result.round_trip.PercentileMicros(0.50),
      result.round_trip.PercentileMicros(0.99), cpu,
      relayed > 0 ? cpu * 1e6 / static_cast<double>(relayed) : 0, after.rss_kib,
      after.peak_rss_kib, own_cpu, relay.threads);
  if (result.received == 0 || result.malformed != 0) {
    std::fprintf(stderr, "turn_load: %llu packets came back, %llu malformed\n",
                 static_cast<unsigned long long>(result.received),
                 static_cast<unsigned long long>(result.malformed));
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace turnpike::e2e

int main(int argc, char** argv) {
  using namespace turnpike::e2e;
  const Options options = Parse(argc, argv);
  RaiseFileLimit();
  return options.mode == "allocate" ? RunAllocate(options) : RunRelay(options);
}
