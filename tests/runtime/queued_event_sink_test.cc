// QueuedEventSink (runtime/queued_event_sink.h): events of authenticated
// activity are all written, in order; the queue is bounded and what it
// drops is counted and reported; unauthenticated verdicts become one
// summary line per interval; the thread writes without the loop waiting.
#include "runtime/queued_event_sink.h"

#include <doctest/doctest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "tests/runtime/temp_files.h"

namespace turnpike::runtime {
namespace {

using testing::ReadWholeFile;
using testing::TempDir;

const absl::Time kWall = absl::FromUnixMillis(1764689927123);

core::EventSubject Subject(uint16_t port) {
  core::EventSubject subject;
  subject.five_tuple.client = *TransportAddress::Parse("192.0.2.1:1");
  subject.five_tuple.client.port = port;
  subject.five_tuple.server = *TransportAddress::Parse("192.0.2.9:3478");
  subject.username = "alice";
  subject.realm = "example.org";
  return subject;
}

core::Event Permission(uint16_t port) {
  core::PermissionCreated e;
  e.subject = Subject(port);
  e.relayed = *TransportAddress::Parse("203.0.113.5:49152");
  e.peer = *IpAddress::Parse("198.51.100.7");
  return e;
}

core::Event Verdict(core::AuthOutcome outcome, uint16_t port = 7) {
  return core::AuthVerdict{Subject(port), 0x003, outcome};
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::unique_ptr<JsonEventWriter> OpenIn(const TempDir& dir) {
  auto writer = JsonEventWriter::Open((dir.path() / "events.jsonl").string());
  REQUIRE(writer.ok());
  return *std::move(writer);
}

TEST_CASE("queued events: authenticated events all written, in order") {
  TempDir dir;
  {
    QueuedEventSink sink(OpenIn(dir), {});
    sink.Start();
    for (uint16_t i = 1; i <= 500; ++i) sink.OnEvent(kWall, Permission(i));
    sink.OnEvent(kWall, Verdict(core::AuthOutcome::kAccepted));
    sink.OnEvent(kWall, Verdict(core::AuthOutcome::kWrongCredentials));
  }
  const std::vector<std::string> lines =
      Lines(ReadWholeFile(dir.path() / "events.jsonl"));
  REQUIRE(lines.size() == 502);
  for (uint16_t i = 1; i <= 500; ++i) {
    CHECK(lines[i - 1] == JsonEventWriter::Format(kWall, Permission(i)));
  }
  CHECK(lines[500].find(R"("verdict":"accepted")") != std::string::npos);
  CHECK(lines[501].find(R"("verdict":"wrong_credentials")") !=
        std::string::npos);
}

TEST_CASE("queued events: a full queue drops, counts and reports the drop") {
  TempDir dir;
  uint64_t dropped = 0;
  {
    QueuedEventSink sink(OpenIn(dir), {/*capacity=*/10, absl::Seconds(1)});
    // Not started: nothing drains the queue, as with a stalled disk.
    for (uint16_t i = 1; i <= 25; ++i) sink.OnEvent(kWall, Permission(i));
    dropped = sink.dropped();
  }
  CHECK(dropped == 15);
  const std::vector<std::string> lines =
      Lines(ReadWholeFile(dir.path() / "events.jsonl"));
  REQUIRE(lines.size() == 11);
  // The first ten, in order; the rest is reported, not silently lost.
  for (uint16_t i = 1; i <= 10; ++i) {
    CHECK(lines[i - 1] == JsonEventWriter::Format(kWall, Permission(i)));
  }
  CHECK(lines[10].find(R"("event":"events_dropped","count":15})") !=
        std::string::npos);
}

TEST_CASE("queued events: unauthenticated verdicts become one summary line") {
  TempDir dir;
  uint64_t aggregated = 0;
  {
    QueuedEventSink sink(OpenIn(dir), {/*capacity=*/10, absl::Hours(1)});
    sink.OnEvent(kWall, Verdict(core::AuthOutcome::kChallenged, 1));
    for (int i = 0; i < 10'000; ++i) {
      sink.OnEvent(kWall, Verdict(core::AuthOutcome::kChallenged));
      sink.OnEvent(kWall, Verdict(core::AuthOutcome::kBadIntegrity));
    }
    sink.OnEvent(kWall, Verdict(core::AuthOutcome::kStaleNonce));
    sink.OnEvent(kWall, Permission(5));  // interleaved: still written whole
    aggregated = sink.aggregated();
    // The summed-up verdicts take no room in the queue.
    CHECK(sink.dropped() == 0);
  }
  CHECK(aggregated == 20'002);
  const std::vector<std::string> lines =
      Lines(ReadWholeFile(dir.path() / "events.jsonl"));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == JsonEventWriter::Format(kWall, Permission(5)));
  const std::string& summary = lines[1];
  CHECK(summary.find(R"("event":"auth_failures","since":"2025-12-02T15:38:47.123Z","total":20002,)") !=
        std::string::npos);
  CHECK(summary.find(
            R"("verdicts":{"challenged":10001,"stale_nonce":1,"bad_integrity":10000})") !=
        std::string::npos);
  // The first verdict of the interval is the sample, as its own line
  // would have been.
  CHECK(summary.find(
            R"("sample":)" +
            JsonEventWriter::Format(
                kWall, Verdict(core::AuthOutcome::kChallenged, 1)) +
            "}") != std::string::npos);
}

TEST_CASE("queued events: the writer thread writes a summary per interval") {
  TempDir dir;
  const auto path = dir.path() / "events.jsonl";
  QueuedEventSink sink(OpenIn(dir), {16, absl::Milliseconds(50)});
  sink.Start();
  sink.OnEvent(kWall, Verdict(core::AuthOutcome::kChallenged));
  // Written by the thread once the interval ends, while the sink lives:
  // wait for it (bounded), never a fixed sleep.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ReadWholeFile(path).find("auth_failures") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(Lines(ReadWholeFile(path)).size() == 1);
  CHECK(ReadWholeFile(path).find(R"("total":1,)") != std::string::npos);
}

}  // namespace
}  // namespace turnpike::runtime
