// JsonEventWriter (runtime/json_event_writer.h): the exact line of every event
// kind at a fixed time, and the file behaviour the event-output option needs
// (append, a line visible as soon as it is written, a clear open error).
#include "runtime/json_event_writer.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "absl/time/time.h"
#include "core/events.h"
#include "tests/runtime/temp_files.h"

namespace turnpike::runtime {
namespace {

using testing::ReadWholeFile;
using testing::StderrCapture;
using testing::TempDir;

const absl::Time kWall = absl::FromUnixMillis(1764689927123);

TransportAddress Addr(const char* text) {
  auto parsed = TransportAddress::Parse(text);
  REQUIRE(parsed.has_value());
  return *parsed;
}
IpAddress Ip(const char* text) {
  auto parsed = IpAddress::Parse(text);
  REQUIRE(parsed.has_value());
  return *parsed;
}

core::EventSubject Subject() {
  core::EventSubject subject;
  subject.five_tuple.transport = core::Transport::kUdp;
  subject.five_tuple.client = Addr("192.0.2.1:50000");
  subject.five_tuple.server = Addr("[2001:db8::1]:3478");
  subject.username = "alice";
  subject.realm = "example.org";
  return subject;
}

// What every line starts with for Subject(), after the event name.
std::string Head(const char* event) {
  return std::string(R"({"ts":"2025-12-02T15:38:47.123Z","event":")") + event +
         R"(","transport":"udp","client":"192.0.2.1:50000",)"
         R"("server":"[2001:db8::1]:3478","username":"alice",)"
         R"("realm":"example.org")";
}

core::Event Created() {
  core::AllocationCreated e;
  e.subject = Subject();
  e.relayed = {Addr("203.0.113.5:49152"), Addr("[2001:db8::5]:49153")};
  e.requested_port = 0;
  e.lifetime = std::chrono::seconds(600);
  return e;
}

TEST_CASE("event json: auth_verdict names the method when it can") {
  core::AuthVerdict e;
  e.subject = Subject();
  e.method = 0x003;
  e.outcome = core::AuthOutcome::kStaleNonce;
  CHECK(JsonEventWriter::Format(kWall, e) ==
        Head("auth_verdict") +
            R"(,"method":3,"method_name":"Allocate","verdict":"stale_nonce"})");
  e.method = 0x0FF;  // no registered name: the number alone
  e.outcome = core::AuthOutcome::kAccepted;
  CHECK(JsonEventWriter::Format(kWall, e) ==
        Head("auth_verdict") + R"(,"method":255,"verdict":"accepted"})");
}

TEST_CASE("event json: allocation_created") {
  CHECK(JsonEventWriter::Format(kWall, Created()) ==
        Head("allocation_created") +
            R"(,"relayed":["203.0.113.5:49152","[2001:db8::5]:49153"],)"
            R"("requested_port":0,"lifetime_s":600})");
}

TEST_CASE("event json: allocation_deleted with its counters") {
  core::AllocationDeleted e;
  e.subject = Subject();
  e.relayed = {Addr("203.0.113.5:49152")};
  e.reason = core::DeleteReason::kClientDeleted;
  e.counters = {1, 2, 3, 4, 18446744073709551615u};
  CHECK(JsonEventWriter::Format(kWall, e) ==
        Head("allocation_deleted") +
            R"(,"relayed":["203.0.113.5:49152"],"reason":"client_deleted",)"
            R"("counters":{"packets_to_peer":1,"bytes_to_peer":2,)"
            R"("packets_to_client":3,"bytes_to_client":4,)"
            R"("dropped_over_bandwidth":18446744073709551615}})");
}

TEST_CASE("event json: allocation_error") {
  core::AllocationError e;
  e.subject = Subject();
  e.error_code = 486;
  CHECK(JsonEventWriter::Format(kWall, e) ==
        Head("allocation_error") + R"(,"error_code":486})");
}

TEST_CASE("event json: permission_created and permission_deleted") {
  core::PermissionCreated created;
  created.subject = Subject();
  created.relayed = Addr("203.0.113.5:49152");
  created.peer = Ip("198.51.100.7");
  CHECK(JsonEventWriter::Format(kWall, created) ==
        Head("permission_created") +
            R"(,"relayed":"203.0.113.5:49152","peer":"198.51.100.7"})");
  core::PermissionDeleted deleted;
  deleted.subject = Subject();
  deleted.relayed = Addr("[2001:db8::5]:49153");
  deleted.peer = Ip("2001:db8::7");
  CHECK(JsonEventWriter::Format(kWall, deleted) ==
        Head("permission_deleted") +
            R"(,"relayed":"[2001:db8::5]:49153","peer":"2001:db8::7"})");
}

TEST_CASE("event json: channel_created and channel_deleted") {
  core::ChannelCreated created;
  created.subject = Subject();
  created.relayed = Addr("203.0.113.5:49152");
  created.peer = Addr("198.51.100.7:5000");
  created.channel = 0x4000;
  CHECK(JsonEventWriter::Format(kWall, created) ==
        Head("channel_created") +
            R"(,"relayed":"203.0.113.5:49152","peer":"198.51.100.7:5000",)"
            R"("channel":16384})");
  core::ChannelDeleted deleted;
  deleted.subject = Subject();
  deleted.relayed = Addr("203.0.113.5:49152");
  deleted.peer = Addr("198.51.100.7:5000");
  deleted.channel = 0x7FFF;
  CHECK(JsonEventWriter::Format(kWall, deleted) ==
        Head("channel_deleted") +
            R"(,"relayed":"203.0.113.5:49152","peer":"198.51.100.7:5000",)"
            R"("channel":32767})");
}

TEST_CASE("event json: a hostile username and realm stay one valid line") {
  core::AllocationError e;
  e.subject = Subject();
  e.subject.username = std::string("a\"b\\\n\x01\xff\xc3\xa9", 9);
  e.subject.realm = "r\te";
  e.subject.five_tuple.transport = core::Transport::kTcp;
  CHECK(JsonEventWriter::Format(kWall, e) ==
        R"({"ts":"2025-12-02T15:38:47.123Z","event":"allocation_error",)"
        R"("transport":"tcp","client":"192.0.2.1:50000",)"
        R"("server":"[2001:db8::1]:3478",)"
        R"("username":"a\"b\\\n\u0001)"
        "\xef\xbf\xbd\xc3\xa9"
        R"(","realm":"r\te","error_code":0})");
}

TEST_CASE("event file: lines are appended and readable before close") {
  TempDir dir;
  const std::string path = (dir.path() / "events.jsonl").string();
  const std::string line = JsonEventWriter::Format(kWall, Created()) + "\n";
  {
    auto writer = JsonEventWriter::Open(path);
    REQUIRE(writer.ok());
    (*writer)->OnEvent(kWall, Created());
    // Flushed per line: the file holds it while the writer is still open.
    CHECK(ReadWholeFile(path) == line);
    (*writer)->OnEvent(kWall, Created());
    CHECK((*writer)->failed_writes() == 0);
  }
  {
    auto writer = JsonEventWriter::Open(path);  // a restart appends
    REQUIRE(writer.ok());
    (*writer)->OnEvent(kWall, Created());
  }
  CHECK(ReadWholeFile(path) == line + line + line);
}

TEST_CASE("event stream: a borrowed FILE* is flushed per line, not closed") {
  TempDir dir;
  const auto path = dir.path() / "stream.jsonl";
  std::FILE* stream = std::fopen(path.c_str(), "w");
  REQUIRE(stream != nullptr);
  {
    JsonEventWriter writer(stream);
    writer.OnEvent(kWall, Created());
    CHECK(ReadWholeFile(path) ==
          JsonEventWriter::Format(kWall, Created()) + "\n");
  }
  // Still open after the writer is gone: the caller closes it.
  CHECK(std::fputs("x", stream) >= 0);
  CHECK(std::fclose(stream) == 0);
}

TEST_CASE("event file: the open error names the path and the reason") {
  TempDir dir;
  const std::string path = (dir.path() / "missing" / "events.jsonl").string();
  auto writer = JsonEventWriter::Open(path);
  REQUIRE_FALSE(writer.ok());
  CHECK(absl::IsInvalidArgument(writer.status()));
  CHECK(std::string(writer.status().message()) ==
        "cannot open event output file \"" + path +
            "\" for append: No such file or directory");
}

TEST_CASE("event file: write failures are counted and warned about once") {
  // Linux always has /dev/full; without it this case would test nothing,
  // so its absence fails rather than passes silently.
  std::FILE* full = std::fopen("/dev/full", "w");
  REQUIRE_MESSAGE(full != nullptr, "cannot open /dev/full for writing");
  TempDir dir;
  StderrCapture capture(dir);
  {
    JsonEventWriter writer(full, "/dev/full");
    writer.OnEvent(kWall, Created());
    writer.OnEvent(kWall, Created());
    CHECK(writer.failed_writes() == 2);
  }
  std::fclose(full);
  CHECK(capture.Take() ==
        "turnpike: warning: event output to /dev/full: write failed: "
        "No space left on device; events are being lost\n");
}

}  // namespace
}  // namespace turnpike::runtime
