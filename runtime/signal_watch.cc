#include "runtime/signal_watch.h"

#include <csignal>

#include "absl/strings/str_cat.h"

namespace turnpike::runtime {

const char* SignalName(int signum) {
  switch (signum) {
    case SIGHUP:
      return "SIGHUP";
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGUSR1:
      return "SIGUSR1";
    default:
      return "signal";
  }
}

absl::Status WatchProcessSignals(uv_loop_t* loop, bool with_reload, void* data,
                                 uv_signal_cb callback,
                                 std::vector<uv_signal_t*>& handles) {
  std::vector<int> watched = {SIGINT, SIGTERM, SIGUSR1};
  if (with_reload) watched.push_back(SIGHUP);
  for (int signum : watched) {
    auto* handle = new uv_signal_t;
    if (int err = uv_signal_init(loop, handle); err != 0) {
      delete handle;  // never registered with the loop
      return absl::InternalError(
          absl::StrCat("signals: uv_signal_init failed: ", uv_strerror(err)));
    }
    handle->data = data;
    handles.push_back(handle);
    if (int err = uv_signal_start(handle, callback, signum); err != 0) {
      return absl::InternalError(absl::StrCat("signals: watching ",
                                              SignalName(signum),
                                              " failed: ", uv_strerror(err)));
    }
  }
  return absl::OkStatus();
}

}  // namespace turnpike::runtime
