// Tells systemd how the service is doing (sd_notify(3), Type=notify):
// READY=1 once every listener is bound, RELOADING=1 then READY=1 around a
// reload, STOPPING=1 on shutdown, STATUS= lines for `systemctl status`,
// and WATCHDOG=1 keep-alives (runtime/loop_watchdog.h sends them only
// while the serving loops answer). Outside systemd (NOTIFY_SOCKET unset)
// every call does nothing, so the binary behaves the same by hand.
//
// Thread-safe: each call is one datagram on a socket opened for it
// (libsystemd's sd_notify), so the reload thread, the loops and main may
// all notify.
#ifndef TURNPIKE_RUNTIME_SYSTEMD_NOTIFY_H_
#define TURNPIKE_RUNTIME_SYSTEMD_NOTIFY_H_

#include <optional>
#include <string_view>

#include "absl/time/time.h"

namespace turnpike::runtime {

class SystemdNotifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID once.
  static SystemdNotifier FromEnvironment();

  // False when not started by systemd with Type=notify: every call below
  // is then a no-op.
  bool enabled() const { return enabled_; }
  // How often to send WATCHDOG=1: half of WATCHDOG_USEC (systemd.service(5)
  // recommends pinging at half the timeout), or nullopt when systemd set
  // no watchdog for this process.
  std::optional<absl::Duration> watchdog_interval() const {
    return watchdog_interval_;
  }

  // Every listener is bound: systemd starts the units ordered after us.
  void Ready(std::string_view status) const;
  // A reload begins; Ready() ends it (systemd.service(5), Type=notify).
  void Reloading() const;
  // Shutdown begins: systemd stops waiting for pings and readiness.
  void Stopping() const;
  // A line for `systemctl status` (STATUS=).
  void Status(std::string_view status) const;
  // WATCHDOG=1: the service is alive. Call at watchdog_interval().
  void WatchdogPing() const;

 private:
  SystemdNotifier(bool enabled, std::optional<absl::Duration> interval)
      : enabled_(enabled), watchdog_interval_(interval) {}
  // Sends `state` (newline-separated KEY=VALUE lines); a failure is logged
  // once and otherwise ignored: systemd is advisory to the relay.
  void Send(std::string_view state) const;

  bool enabled_;
  std::optional<absl::Duration> watchdog_interval_;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_SYSTEMD_NOTIFY_H_
