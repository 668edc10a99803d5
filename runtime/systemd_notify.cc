#include "runtime/systemd_notify.h"

#include <systemd/sd-daemon.h>
#include <uv.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "runtime/log.h"

namespace turnpike::runtime {
namespace {

// A STATUS= value ends at the first newline of the datagram: keep it one
// line so the text cannot smuggle in another assignment (READY=1...).
std::string OneLine(std::string_view text) {
  return absl::StrReplaceAll(absl::string_view(text.data(), text.size()),
                             {{"\n", " "}, {"\r", " "}});
}

}  // namespace

SystemdNotifier SystemdNotifier::FromEnvironment() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  const bool enabled = socket != nullptr && socket[0] != '\0';
  std::optional<absl::Duration> interval;
  uint64_t usec = 0;
  // > 0 when WATCHDOG_USEC is set and WATCHDOG_PID (if set) is this
  // process, so a child that inherited the variables does not ping.
  if (enabled && sd_watchdog_enabled(/*unset_environment=*/0, &usec) > 0 &&
      usec > 0) {
    interval = absl::Microseconds(static_cast<int64_t>(usec / 2));
  }
  return SystemdNotifier(enabled, interval);
}

void SystemdNotifier::Send(std::string_view state) const {
  if (!enabled_) return;
  const std::string text(state);
  const int result = sd_notify(/*unset_environment=*/0, text.c_str());
  if (result < 0) {
    static std::atomic<bool> logged{false};
    if (!logged.exchange(true)) {
      LogWarning(absl::StrCat("systemd notification failed (",
                              std::strerror(-result),
                              "); the service keeps running, but systemd "
                              "may consider it not ready or hung"));
    }
  }
}

void SystemdNotifier::Ready(std::string_view status) const {
  Send(absl::StrCat("READY=1\nSTATUS=", OneLine(status)));
}

void SystemdNotifier::Reloading() const {
  // MONOTONIC_USEC lets systemd 253+ match the reload to its READY=1;
  // older managers ignore it. uv_hrtime() reads CLOCK_MONOTONIC, the
  // clock systemd means.
  Send(absl::StrCat("RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=",
                    uv_hrtime() / 1000));
}

void SystemdNotifier::Stopping() const { Send("STOPPING=1\nSTATUS=stopping"); }

void SystemdNotifier::Status(std::string_view status) const {
  Send(absl::StrCat("STATUS=", OneLine(status)));
}

void SystemdNotifier::WatchdogPing() const { Send("WATCHDOG=1"); }

}  // namespace turnpike::runtime
