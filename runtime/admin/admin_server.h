// The admin HTTP endpoint: civetweb (Debian's libcivetweb, built without
// linking OpenSSL; no TLS port is configured, so it never loads one) on its
// own threads, every request handed to an AdminHandler. No file is served.
// Requests are bounded: headers to kMaxHeaderBytes (civetweb answers 413
// above it), bodies by the handler, no keep-alive, a request timeout.
#ifndef TURNPIKE_RUNTIME_ADMIN_ADMIN_SERVER_H_
#define TURNPIKE_RUNTIME_ADMIN_ADMIN_SERVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "core/net/transport_address.h"
#include "runtime/admin/admin_handler.h"

struct mg_context;
struct mg_connection;

namespace turnpike::runtime::admin {

inline constexpr int kMaxHeaderBytes = 8192;

class AdminServer {
 public:
  // Listens on `address` (port 0: a free port, see address()). `handler`
  // is borrowed and must outlive the server.
  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(
      const TransportAddress& address, AdminHandler* handler);
  // Stops accepting and waits for requests in progress.
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // The address bound, with the port the kernel chose for port 0.
  const TransportAddress& address() const { return address_; }

 private:
  AdminServer() = default;
  static int OnRequest(struct mg_connection* connection);
  static int OnLog(const struct mg_connection* connection, const char* message);

  mg_context* context_ = nullptr;
  AdminHandler* handler_ = nullptr;
  TransportAddress address_;
};

}  // namespace turnpike::runtime::admin

#endif  // TURNPIKE_RUNTIME_ADMIN_ADMIN_SERVER_H_
