// The event-output option: every lifecycle event (core/events.h) as one JSON
// object per line, to stdout or to a file opened for append. On its own
// (OnEvent) each line is flushed as it is written; the relay feeds it from
// the writer thread of runtime/queued_event_sink.h instead, which writes
// batches with WriteLine and flushes once per batch, off the loop thread.
//
// Fields, in this order: "ts" (RFC 3339 UTC, milliseconds), "event"
// (auth_verdict, allocation_created, allocation_deleted, allocation_error,
// permission_created, permission_deleted, channel_created, channel_deleted),
// "transport", "client" and "server" ("ip:port", "[v6]:port"), "username",
// "realm", then the event's own fields:
//   auth_verdict        "method" (number), "method_name" (when known),
//                       "verdict"
//   allocation_created  "relayed" (array), "requested_port", "lifetime_s"
//   allocation_deleted  "relayed" (array), "reason", "counters" (object:
//                       packets_to_peer, bytes_to_peer, packets_to_client,
//                       bytes_to_client, dropped_over_bandwidth)
//   allocation_error    "error_code"
//   permission_*        "relayed" ("ip:port"), "peer" ("ip")
//   channel_*           "relayed", "peer" (both "ip:port"), "channel"
// Lines are written with nlohmann-json (DumpJson, runtime/json_text.h): a
// username that is not valid UTF-8 has each invalid sequence replaced by
// U+FFFD, so every line is valid JSON.
#ifndef TURNPIKE_RUNTIME_JSON_EVENT_WRITER_H_
#define TURNPIKE_RUNTIME_JSON_EVENT_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/events.h"
#include "runtime/json_text.h"
#include "runtime/event_sink.h"

namespace turnpike::runtime {

class JsonEventWriter final : public EventSink {
 public:
  // Writes to `stream` (stdout), which stays the caller's to close. `name`
  // says where it goes in the warning about a failed write.
  explicit JsonEventWriter(std::FILE* stream,
                           std::string name = "standard output");
  // Opens `path` for append, creating it (mode 0666 & ~umask) if missing. The
  // error names the path and the reason.
  static absl::StatusOr<std::unique_ptr<JsonEventWriter>> Open(
      const std::string& path);
  ~JsonEventWriter() override;

  JsonEventWriter(const JsonEventWriter&) = delete;
  JsonEventWriter& operator=(const JsonEventWriter&) = delete;

  void OnEvent(absl::Time wall, const core::Event& event) override;

  // One line (a newline is added), buffered: Flush() pushes it out. A
  // failed write is counted like OnEvent's.
  void WriteLine(std::string_view line);
  void Flush();

  // Lines that could not be written in full (disk full, closed pipe). The
  // first failure is also logged as a warning.
  uint64_t failed_writes() const { return failed_writes_; }

  // The line for `event`, without the newline. Exposed for tests.
  static std::string Format(absl::Time wall, const core::Event& event);
  // The same as a JSON value, to embed in another line.
  static Json ToJson(absl::Time wall, const core::Event& event);

 private:
  JsonEventWriter(std::FILE* stream, std::string path, bool owned);
  void CountFailure(int error);

  std::FILE* stream_;
  std::string name_;  // the path or "standard output", for the warning
  bool owned_;
  uint64_t failed_writes_ = 0;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_JSON_EVENT_WRITER_H_
