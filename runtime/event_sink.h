// Where the runtime delivers the core's lifecycle events (core/events.h):
// the JSON-lines writer of the event-output option, and test recorders.
// Called on the worker's loop thread, after the core emitted the event and
// before the next input; an implementation must not block for long (it is
// on the loop) and must not call back into the worker.
#ifndef TURNPIKE_RUNTIME_EVENT_SINK_H_
#define TURNPIKE_RUNTIME_EVENT_SINK_H_

#include "core/events.h"
#include "core/types.h"

namespace turnpike::runtime {

class EventSink {
 public:
  virtual ~EventSink() = default;
  // `wall` is the worker's wall-clock stamp of the input that caused the
  // event.
  virtual void OnEvent(absl::Time wall, const core::Event& event) = 0;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_EVENT_SINK_H_
