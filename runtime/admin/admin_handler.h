// What the admin endpoint answers, apart from HTTP itself: the per-client-IP
// gate (429), the bearer-token check (401), the request size limit (413),
// the routes (404) and their methods (405), and the pages. Independent of
// the HTTP library (runtime/admin/admin_server.h feeds it), so every answer
// can be tested without a socket.
#ifndef TURNPIKE_RUNTIME_ADMIN_ADMIN_HANDLER_H_
#define TURNPIKE_RUNTIME_ADMIN_ADMIN_HANDLER_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/net/transport_address.h"
#include "runtime/admin/metrics_text.h"
#include "runtime/admin/status_json.h"
#include "runtime/stats_board.h"
#include "runtime/transport/connection_limiter.h"

namespace turnpike::runtime::admin {

struct AdminRequest {
  std::string_view method;
  std::string_view path;
  std::string_view query;
  IpAddress remote;
  // The Authorization header; nullopt when absent.
  std::optional<std::string_view> authorization;
  // -1 when the request gave none.
  int64_t content_length = -1;
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct AdminOptions {
  // Requests must carry "Authorization: Bearer <token>" when not empty.
  std::string token;
  // Requests in progress per client IP; over it: 429. 0 = no limit.
  uint32_t max_requests_per_ip = 0;
  // Largest request body accepted (413 above it); the pages need none.
  int64_t max_body_bytes = 1024;
  MetricsOptions metrics;
  ProcessInfo process;
  // POST /reload and POST /drain; 501 while empty.
  std::function<absl::Status()> on_reload;
  std::function<absl::Status()> on_drain;
};

std::string_view StatusText(int status);

class AdminHandler {
 public:
  // `slots` are borrowed and must outlive the handler (one per worker).
  AdminHandler(AdminOptions options, std::vector<StatsSlot*> slots);

  // A place in the per-IP gate, given back when destroyed.
  class Ticket {
   public:
    Ticket(AdminHandler* owner, IpAddress ip) : owner_(owner), ip_(ip) {}
    Ticket(Ticket&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)), ip_(other.ip_) {}
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket();

   private:
    AdminHandler* owner_;
    IpAddress ip_;
  };
  // nullopt (counted) when `ip` holds max_requests_per_ip already.
  std::optional<Ticket> Admit(const IpAddress& ip);

  // The gate, then Handle. Thread-safe: the HTTP library calls it from
  // several threads.
  AdminResponse Serve(const AdminRequest& request);
  // Everything but the gate.
  AdminResponse Handle(const AdminRequest& request) const;

  uint64_t refused() const;

 private:
  bool Authorized(const AdminRequest& request) const;

  const AdminOptions options_;
  const std::vector<StatsSlot*> slots_;
  mutable std::mutex gate_mutex_;
  ConnectionLimiter gate_;
};

// Compares without an early exit, so the time taken says nothing about
// how much of a guessed token was right.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace turnpike::runtime::admin

#endif  // TURNPIKE_RUNTIME_ADMIN_ADMIN_HANDLER_H_
