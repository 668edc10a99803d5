#include "cli/event_output.h"

#include <cstdio>
#include <utility>

#include "runtime/json_event_writer.h"

namespace turnpike::cli {

absl::StatusOr<std::unique_ptr<runtime::QueuedEventSink>> OpenEventOutput(
    const std::string& output) {
  std::unique_ptr<runtime::JsonEventWriter> writer;
  if (output == "-") {
    writer = std::make_unique<runtime::JsonEventWriter>(stdout);
  } else {
    absl::StatusOr<std::unique_ptr<runtime::JsonEventWriter>> opened =
        runtime::JsonEventWriter::Open(output);
    if (!opened.ok()) return opened.status();
    writer = *std::move(opened);
  }
  auto events = std::make_unique<runtime::QueuedEventSink>(
      std::move(writer), runtime::QueuedEventSink::Options{});
  events->Start();
  return events;
}

}  // namespace turnpike::cli
