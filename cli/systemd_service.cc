#include "cli/systemd_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/util/absl_compat.h"
#include "runtime/log.h"

namespace turnpike::cli {

SystemdService::SystemdService()
    : notifier_(runtime::SystemdNotifier::FromEnvironment()) {}

SystemdService::~SystemdService() {
  if (watchdog_ != nullptr) watchdog_->Stop();
}

void SystemdService::Serving(std::string_view status,
                             std::vector<runtime::PostToLoop> loops) {
  notifier_.Ready(status);
  if (!notifier_.watchdog_interval() || watchdog_ != nullptr) return;
  const absl::Duration interval = *notifier_.watchdog_interval();
  runtime::LoopWatchdog::Options options;
  options.interval = interval;
  options.loops = std::move(loops);
  options.ping = [notifier = notifier_] { notifier.WatchdogPing(); };
  options.on_stall = [](absl::Duration waited) {
    runtime::LogWarning(absl::StrCat(
        "a serving loop has not answered for ", absl::FormatDuration(waited),
        "; systemd watchdog pings are withheld until it does"));
  };
  watchdog_ = std::make_unique<runtime::LoopWatchdog>(std::move(options));
  watchdog_->Start();
  runtime::LogInfo(absl::StrCat("systemd watchdog: pinging every ",
                                absl::FormatDuration(interval),
                                " while the loop answers"));
}

void SystemdService::Reloading() const { notifier_.Reloading(); }

void SystemdService::Reloaded(
    const absl::StatusOr<std::string>& outcome) const {
  notifier_.Ready(outcome.ok() ? "serving; last reload applied"
                               : "serving; last reload refused, the running "
                                 "configuration stays");
}

void SystemdService::Stopping() {
  notifier_.Stopping();
  if (watchdog_ != nullptr) watchdog_->Stop();
}

runtime::PostToLoop PostTo(runtime::Worker& worker) {
  return [&worker](std::function<void()> task) {
    worker.Post([task = std::move(task)](runtime::Worker&) { task(); });
  };
}

std::string ServingStatus(const runtime::Worker& worker) {
  const std::vector<TransportAddress> addresses = worker.listening_addresses();
  const std::vector<core::Transport> transports = worker.listening_transports();
  std::vector<std::string> parts;
  for (size_t i = 0; i < addresses.size() && i < transports.size(); ++i) {
    parts.push_back(absl::StrCat(ToAbsl(core::TransportName(transports[i])),
                                 " ", addresses[i].ToString()));
  }
  return absl::StrCat("serving on ", absl::StrJoin(parts, ", "));
}

}  // namespace turnpike::cli
