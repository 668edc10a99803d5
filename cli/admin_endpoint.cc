#include "cli/admin_endpoint.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/admin/status_text.h"
#include "runtime/log.h"

namespace turnpike::cli {

absl::StatusOr<std::unique_ptr<AdminEndpoint>> AdminEndpoint::Start(
    const AdminSettings& settings, std::vector<runtime::StatsSlot*> slots,
    AdminHooks hooks) {
  if (!AdminWanted(settings)) return nullptr;
  std::unique_ptr<AdminEndpoint> endpoint(new AdminEndpoint());
  const runtime::admin::ProcessInfo process{hooks.version, hooks.started};
  const runtime::admin::MetricsOptions metrics{settings.metrics_per_user};
  if (settings.listen) {
    runtime::admin::AdminOptions options;
    options.token = settings.token;
    options.max_requests_per_ip = settings.max_requests_per_ip;
    options.metrics = metrics;
    options.process = process;
    options.on_reload = std::move(hooks.reload);
    options.on_drain = std::move(hooks.drain);
    endpoint->handler_ = std::make_unique<runtime::admin::AdminHandler>(
        std::move(options), slots);
    absl::StatusOr<std::unique_ptr<runtime::admin::AdminServer>> server =
        runtime::admin::AdminServer::Start(*settings.listen,
                                           endpoint->handler_.get());
    if (!server.ok()) return server.status();
    endpoint->server_ = *std::move(server);
    runtime::LogInfo(absl::StrCat(
        "admin: listening on http://", endpoint->server_->address().ToString(),
        settings.token.empty() ? " (no token: loopback only)"
                               : " (bearer token required)"));
  }
  if (settings.status_udp) {
    auto reply = [slots, process, metrics](std::string_view keyword) {
      return runtime::admin::RenderStatusText(
          keyword, runtime::ReadAll(slots), process, absl::Now(), metrics,
          runtime::admin::kMaxUdpStatusReply);
    };
    absl::StatusOr<std::unique_ptr<runtime::admin::StatusUdp>> udp =
        runtime::admin::StatusUdp::Start(*settings.status_udp,
                                         std::move(reply));
    if (!udp.ok()) return udp.status();
    endpoint->status_udp_ = *std::move(udp);
    runtime::LogInfo(absl::StrCat("status-udp: answering on ",
                                  endpoint->status_udp_->address().ToString()));
  }
  return endpoint;
}

}  // namespace turnpike::cli
