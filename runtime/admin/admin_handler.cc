#include "runtime/admin/admin_handler.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "core/util/absl_compat.h"
#include "runtime/admin/status_page.h"

namespace turnpike::runtime::admin {
namespace {

AdminResponse Text(int status, std::string body) {
  AdminResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

AdminResponse Error(int status, std::string_view why) {
  return Text(status, absl::StrCat(status, " ", ToAbsl(StatusText(status)),
                                   ": ", ToAbsl(why), "\n"));
}

struct Route {
  std::string_view path;
  std::string_view method;  // the one method it answers
};
constexpr Route kRoutes[] = {
    {"/", "GET"},       {"/turn", "GET"},    {"/metrics", "GET"},
    {"/status", "GET"}, {"/reload", "POST"}, {"/drain", "POST"},
};

AdminResponse Callback(const std::function<absl::Status()>& callback,
                       std::string_view what) {
  if (!callback) {
    return Error(
        501, absl::StrCat(ToAbsl(what), " is not available until it is wired"));
  }
  absl::Status status = callback();
  if (!status.ok()) return Error(500, status.ToString());
  return Text(202, absl::StrCat(ToAbsl(what), " started\n"));
}

}  // namespace

std::string_view StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
  }
  return "Unknown";
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // The length of the configured token is not a secret worth hiding.
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

AdminHandler::Ticket::~Ticket() {
  if (owner_ == nullptr) return;
  std::lock_guard<std::mutex> lock(owner_->gate_mutex_);
  owner_->gate_.Release(ip_);
}

AdminHandler::AdminHandler(AdminOptions options, std::vector<StatsSlot*> slots)
    : options_(std::move(options)),
      slots_(std::move(slots)),
      gate_(options_.max_requests_per_ip) {}

std::optional<AdminHandler::Ticket> AdminHandler::Admit(const IpAddress& ip) {
  std::lock_guard<std::mutex> lock(gate_mutex_);
  if (!gate_.TryAcquire(ip)) return std::nullopt;
  return Ticket(this, ip);
}

uint64_t AdminHandler::refused() const {
  std::lock_guard<std::mutex> lock(gate_mutex_);
  return gate_.refused();
}

AdminResponse AdminHandler::Serve(const AdminRequest& request) {
  std::optional<Ticket> ticket = Admit(request.remote);
  if (!ticket) {
    AdminResponse response =
        Error(429, "too many requests in progress from this address");
    response.headers.emplace_back("Retry-After", "1");
    return response;
  }
  return Handle(request);
}

bool AdminHandler::Authorized(const AdminRequest& request) const {
  if (options_.token.empty()) return true;
  if (!request.authorization) return false;
  std::string_view value = *request.authorization;
  // RFC 6750 §2.1: the scheme is case-insensitive.
  if (value.size() < 7 ||
      !absl::EqualsIgnoreCase(ToAbsl(value.substr(0, 7)), "Bearer ")) {
    return false;
  }
  value.remove_prefix(7);
  return ConstantTimeEquals(FromAbsl(absl::StripAsciiWhitespace(ToAbsl(value))),
                            options_.token);
}

AdminResponse AdminHandler::Handle(const AdminRequest& request) const {
  if (request.content_length > options_.max_body_bytes) {
    return Error(413, absl::StrCat("bodies over ", options_.max_body_bytes,
                                   " bytes are refused"));
  }
  if (!Authorized(request)) {
    AdminResponse response = Error(401, "a bearer token is required");
    response.headers.emplace_back("WWW-Authenticate",
                                  "Bearer realm=\"turnpike\"");
    return response;
  }
  const Route* route = nullptr;
  for (const Route& r : kRoutes) {
    if (r.path == request.path) route = &r;
  }
  if (route == nullptr) return Error(404, "no such page");
  if (request.method != route->method) {
    AdminResponse response = Error(
        405,
        absl::StrCat(ToAbsl(route->path), " answers ", ToAbsl(route->method)));
    response.headers.emplace_back("Allow", std::string(route->method));
    return response;
  }
  if (route->path == "/reload") return Callback(options_.on_reload, "reload");
  if (route->path == "/drain") return Callback(options_.on_drain, "drain");

  const Snapshots snapshots = ReadAll(slots_);
  const absl::Time now = absl::Now();
  AdminResponse response;
  if (route->path == "/metrics") {
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = RenderMetrics(snapshots, options_.metrics);
  } else if (route->path == "/status") {
    response.content_type = "application/json";
    response.body = RenderStatusJson(snapshots, options_.process, now);
  } else {
    const std::optional<int> refresh = RefreshFromQuery(request.query);
    response.content_type = "text/html; charset=utf-8";
    // The page needs no script and loads nothing: say so to the browser.
    response.headers.emplace_back(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'");
    response.body =
        route->path == "/turn"
            ? RenderTurnPage(snapshots, refresh)
            : RenderIndexPage(snapshots, options_.process, now, refresh);
  }
  return response;
}

}  // namespace turnpike::runtime::admin
