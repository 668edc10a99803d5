// The event-output setting made into the sink every worker writes its
// lifecycle events to: JSON lines on stdout ("-") or appended to a file,
// written by a thread of its own (runtime/queued_event_sink.h), which is
// safe to feed from every worker at once.
#ifndef TURNPIKE_CLI_EVENT_OUTPUT_H_
#define TURNPIKE_CLI_EVENT_OUTPUT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/queued_event_sink.h"

namespace turnpike::cli {

// Opens `output` and starts the writer; fails with the file's error.
absl::StatusOr<std::unique_ptr<runtime::QueuedEventSink>> OpenEventOutput(
    const std::string& output);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_EVENT_OUTPUT_H_
