#include "runtime/admin/admin_server.h"

#include <civetweb.h>

#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/util/absl_compat.h"
#include "runtime/log.h"

namespace turnpike::runtime::admin {
namespace {

// civetweb's process-wide set-up, once, with no optional feature (no TLS,
// so it never looks for an OpenSSL library).
void InitLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { mg_init_library(0); });
}

std::string ListeningPort(const TransportAddress& address) {
  // civetweb's syntax: "1.2.3.4:80", "[::1]:80".
  return address.ToString();
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(
    const TransportAddress& address, AdminHandler* handler) {
  InitLibrary();
  std::unique_ptr<AdminServer> server(new AdminServer());
  server->handler_ = handler;
  const std::string port = ListeningPort(address);
  const std::string header_bytes = absl::StrCat(kMaxHeaderBytes);
  const char* options[] = {
      "listening_ports",
      port.c_str(),
      // A few threads: scrapes and a status page, not a web site.
      "num_threads",
      "4",
      "max_request_size",
      header_bytes.c_str(),
      "request_timeout_ms",
      "5000",
      "enable_keep_alive",
      "no",
      nullptr,
  };
  mg_callbacks callbacks{};
  callbacks.begin_request = &AdminServer::OnRequest;
  callbacks.log_message = &AdminServer::OnLog;
  char error[256] = {};
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = server.get();
  init.configuration_options = options;
  mg_error_data error_data{};
  error_data.text = error;
  error_data.text_buffer_size = sizeof(error);
  server->context_ = mg_start2(&init, &error_data);
  if (server->context_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("admin-listen ", address.ToString(), ": cannot listen (",
                     error, "); pick a free port and an address of this host"));
  }
  server->address_ = address;
  mg_server_port ports[1] = {};
  if (mg_get_server_ports(server->context_, 1, ports) == 1) {
    server->address_.port = static_cast<uint16_t>(ports[0].port);
  }
  return server;
}

AdminServer::~AdminServer() {
  if (context_ != nullptr) mg_stop(context_);
}

int AdminServer::OnRequest(struct mg_connection* connection) {
  const mg_request_info* info = mg_get_request_info(connection);
  auto* self = static_cast<AdminServer*>(info->user_data);
  AdminRequest request;
  request.method = info->request_method ? info->request_method : "";
  request.path = info->local_uri ? info->local_uri : "";
  request.query = info->query_string ? info->query_string : "";
  request.remote = IpAddress::Parse(info->remote_addr).value_or(IpAddress());
  if (const char* auth = mg_get_header(connection, "Authorization")) {
    request.authorization = auth;
  }
  request.content_length = info->content_length;
  const AdminResponse response = self->handler_->Serve(request);
  std::string head = absl::StrCat(
      "HTTP/1.1 ", response.status, " ", ToAbsl(StatusText(response.status)),
      "\r\nContent-Type: ", response.content_type,
      "\r\nContent-Length: ", response.body.size(),
      "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff"
      "\r\nConnection: close\r\n");
  for (const auto& [name, value] : response.headers) {
    absl::StrAppend(&head, name, ": ", value, "\r\n");
  }
  head += "\r\n";
  mg_write(connection, head.data(), head.size());
  mg_write(connection, response.body.data(), response.body.size());
  return 1;  // handled: civetweb adds nothing
}

int AdminServer::OnLog(const struct mg_connection*, const char* message) {
  LogWarning(absl::StrCat("admin: ", message));
  return 1;  // logged here; civetweb prints nothing itself
}

}  // namespace turnpike::runtime::admin
