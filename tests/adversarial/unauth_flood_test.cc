// A flood of unauthenticated Allocates from many loopback sources against
// the real binary: the 401s each source receives stay within the
// per-source budget (unauthenticated-rate), the event file gets one summary
// line per second instead of one line per request, and a client with the
// password allocates while the flood runs. Every loop is bounded in count
// and time; the server is stopped by the test.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/types/span.h"
#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"
#include "tests/runtime/temp_files.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turnpike_process.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::testing {
namespace {

constexpr int kSources = 8;               // 127.0.0.2 .. 127.0.0.9
constexpr int kRequestsPerSource = 500;   // 4000 requests in all
constexpr uint32_t kRate = 5;             // --unauthenticated-rate
constexpr uint32_t kBurst = kRate * 5;    // five seconds' worth
constexpr std::chrono::milliseconds kDrainSilence{300};

// The smallest request that earns a 401: a bare Allocate, 20 bytes.
std::vector<uint8_t> BareAllocate(std::mt19937_64& random) {
  stun::TransactionId id;
  for (uint8_t& b : id) b = static_cast<uint8_t>(random());
  std::array<uint8_t, 64> buffer;
  stun::MessageBuilder builder(absl::MakeSpan(buffer),
                               stun::MessageClass::kRequest,
                               stun::Method::kAllocate, id);
  auto bytes = builder.Finish();
  REQUIRE(bytes.ok());
  return {bytes->begin(), bytes->end()};
}

bool Is401(const std::vector<uint8_t>& bytes) {
  auto parsed = stun::MessageView::Parse(absl::MakeConstSpan(bytes));
  return parsed.ok() && parsed->ErrorCode() && parsed->ErrorCode()->code == 401;
}

std::vector<std::string> LinesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_CASE("an unauthenticated flood is answered within budget and logged in summary") {
  TempDir dir;
  const auto events = dir.path() / "events.jsonl";
  std::optional<RunningTurnpike> server = StartTurnpike(
      "127.0.0.1",
      {"--relay-ip", "127.0.0.1", "--user", "alice:secret",
       "--unauthenticated-rate", std::to_string(kRate), "--event-output",
       events.string()});
  REQUIRE(server.has_value());
  const std::string server_ip = server->address.ip.ToString();

  std::vector<UdpSocket> flooders;
  for (int i = 0; i < kSources; ++i) {
    std::optional<UdpSocket> socket =
        UdpSocket::Bind("127.0.0." + std::to_string(2 + i));
    REQUIRE_MESSAGE(socket.has_value(), "cannot bind 127.0.0.x");
    flooders.push_back(std::move(*socket));
  }

  // The flood runs on its own thread, round robin over the sources, while
  // a client with the password allocates from 127.0.0.10.
  const auto start = std::chrono::steady_clock::now();
  std::atomic<int> sent{0};
  std::thread flood([&] {
    std::mt19937_64 random(42);
    for (int round = 0; round < kRequestsPerSource; ++round) {
      for (UdpSocket& socket : flooders) {
        if (socket.SendTo(server_ip, server->address.port,
                          BareAllocate(random))) {
          ++sent;
        }
      }
    }
  });
  // Start the legitimate client once the flood is under way (bounded).
  while (sent.load() < kSources * 50 &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(10)) {
    std::this_thread::yield();
  }
  std::optional<TurnClient> alice =
      TurnClient::Create("127.0.0.10", server->address);
  REQUIRE(alice.has_value());
  alice->SetCredentials("alice", "secret");
  // Like any client over UDP (RFC 8489 §6.2.1), alice tries again when a
  // datagram is lost: a loaded host may drop some of the flood and hers
  // with it in the listener's socket buffer. Three tries at most.
  std::optional<TurnReply> allocated;
  for (int attempt = 0; attempt < 3 && !(allocated && allocated->ok());
       ++attempt) {
    allocated = alice->Allocate();
  }
  flood.join();
  REQUIRE(allocated.has_value());
  CHECK(allocated->ok());

  // What each source got back: drained until the socket is quiet, at most
  // one datagram per request sent.
  int total_401 = 0;
  std::vector<int> per_source;
  for (UdpSocket& socket : flooders) {
    int got = 0;
    for (int i = 0; i < kRequestsPerSource; ++i) {
      std::optional<std::vector<uint8_t>> reply = socket.Receive(kDrainSilence);
      if (!reply) break;
      if (Is401(*reply)) ++got;
    }
    per_source.push_back(got);
    total_401 += got;
  }
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  // GCRA: at most the burst at once plus one answer per 1/rate since.
  const int bound = static_cast<int>(kBurst + kRate * elapsed_s) + 1;
  for (int got : per_source) {
    CHECK(got >= 1);  // limited, not silenced
    CHECK(got <= bound);
  }
  MESSAGE("sent ", sent.load(), " unauthenticated Allocates in ", elapsed_s,
          " s; 401s received ", total_401, " (per source at most ", bound,
          ")");
  CHECK(sent.load() == kSources * kRequestsPerSource);

  // Stopping flushes the event writer; the stop line counts what the
  // limiter withheld.
  std::optional<ExitInfo> exit = StopWith(*server->process, SIGTERM);
  REQUIRE(exit.has_value());
  const std::string output = server->process->Output();
  CHECK(output.find(" unauthenticated answers withheld") != std::string::npos);
  CHECK(output.find(", 0 unauthenticated answers withheld") ==
        std::string::npos);

  const std::string text = ReadWholeFile(events);
  const std::vector<std::string> lines = LinesOf(text);
  int summaries = 0;
  int created = 0;
  for (const std::string& line : lines) {
    // No unauthenticated verdict is written on its own (a summary line
    // carries one as its sample).
    const bool summary = line.find(R"("event":"auth_failures")") != std::string::npos;
    const bool unauthenticated_verdict =
        !summary &&
        line.find(R"("event":"auth_verdict")") != std::string::npos &&
        line.find(R"("verdict":"accepted")") == std::string::npos;
    CHECK_FALSE(unauthenticated_verdict);
    if (summary) ++summaries;
    if (line.find(R"("event":"allocation_created")") != std::string::npos &&
        line.find(R"("username":"alice")") != std::string::npos) {
      ++created;
    }
  }
  CHECK(created == 1);
  CHECK(summaries >= 1);
  // One summary per second of flood (plus the last at stop), not 4000
  // lines: a few KiB where per-request lines would be ~1 MB.
  CHECK(summaries <= static_cast<int>(elapsed_s) + 3);
  MESSAGE("event file: ", lines.size(), " lines, ", text.size(), " bytes");
  CHECK(text.size() < 16 * 1024);
}

}  // namespace
}  // namespace turnpike::testing
