// The process signals a loop watches: the supervisor's loop when there are
// workers, a lone Worker's own loop otherwise. One place sets them up so
// both watch the same set the same way.
#ifndef TURNPIKE_RUNTIME_SIGNAL_WATCH_H_
#define TURNPIKE_RUNTIME_SIGNAL_WATCH_H_

#include <uv.h>

#include <vector>

#include "absl/status/status.h"

namespace turnpike::runtime {

// "SIGHUP", "SIGINT", "SIGTERM", "SIGUSR1", else "signal".
const char* SignalName(int signum);

// Starts one uv_signal_t on `loop` for SIGINT, SIGTERM, SIGUSR1 and, when
// `with_reload`, SIGHUP, each calling `callback` with `data` in
// handle->data. The handles are heap-allocated and appended to `handles`,
// also when a later one fails: the caller closes and deletes them.
absl::Status WatchProcessSignals(uv_loop_t* loop, bool with_reload, void* data,
                                 uv_signal_cb callback,
                                 std::vector<uv_signal_t*>& handles);

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_SIGNAL_WATCH_H_
