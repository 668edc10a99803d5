// What the process tells systemd over its life (Type=notify, WatchdogSec):
// ready once serving, reloading and ready again around each reload,
// stopping at shutdown, and watchdog pings while the serving loops answer.
// A thin layer over runtime/systemd_notify.h and runtime/loop_watchdog.h
// so that main (or a supervisor over several workers) calls one object at
// the four points of the lifecycle. Outside systemd everything is a no-op.
#ifndef TURNPIKE_CLI_SYSTEMD_SERVICE_H_
#define TURNPIKE_CLI_SYSTEMD_SERVICE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/loop_watchdog.h"
#include "runtime/systemd_notify.h"
#include "runtime/worker.h"

namespace turnpike::cli {

class SystemdService {
 public:
  SystemdService();
  // Stops the watchdog (see Stopping).
  ~SystemdService();
  SystemdService(const SystemdService&) = delete;
  SystemdService& operator=(const SystemdService&) = delete;

  // Every listener is bound and the loops are about to run: READY=1 with
  // `status`, and, when systemd set WATCHDOG_USEC, the watchdog over
  // `loops` starts (one PostToLoop per serving loop; see PostTo).
  void Serving(std::string_view status, std::vector<runtime::PostToLoop> loops);
  // Around a reload (any thread): RELOADING=1, then READY=1 with the
  // outcome as STATUS=.
  void Reloading() const;
  void Reloaded(const absl::StatusOr<std::string>& outcome) const;
  // STOPPING=1, and the watchdog stops. Call once the loops stop serving,
  // and before they are destroyed (the watchdog posts to them).
  void Stopping();

 private:
  runtime::SystemdNotifier notifier_;
  std::unique_ptr<runtime::LoopWatchdog> watchdog_;
};

// Posts a watchdog probe to `worker`'s loop. `worker` must outlive the
// watchdog's use of it (SystemdService::Stopping before it is destroyed).
runtime::PostToLoop PostTo(runtime::Worker& worker);

// "serving on udp 0.0.0.0:3478, tcp 0.0.0.0:3478": the STATUS= line.
std::string ServingStatus(const runtime::Worker& worker);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_SYSTEMD_SERVICE_H_
