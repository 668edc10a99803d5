// restund-style status over plain UDP: one datagram with a keyword in, one
// datagram of text out (runtime/admin/status_text.h), for
// `echo status | nc -u -w1 127.0.0.1 PORT`. Only loopback sources are
// answered: the replies are larger than the requests, so an open status
// port would amplify spoofed traffic. Its own thread; blocking socket.
#ifndef TURNPIKE_RUNTIME_ADMIN_STATUS_UDP_H_
#define TURNPIKE_RUNTIME_ADMIN_STATUS_UDP_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "core/net/transport_address.h"

namespace turnpike::runtime::admin {

// Largest reply: one datagram that passes loopback and most paths whole.
inline constexpr size_t kMaxUdpStatusReply = 8192;

class StatusUdp {
 public:
  // Answers each keyword with reply(keyword) (at most kMaxUdpStatusReply
  // bytes are sent). `address` must be a loopback address.
  using Reply = std::function<std::string(std::string_view keyword)>;
  static absl::StatusOr<std::unique_ptr<StatusUdp>> Start(
      const TransportAddress& address, Reply reply);
  ~StatusUdp();
  StatusUdp(const StatusUdp&) = delete;
  StatusUdp& operator=(const StatusUdp&) = delete;

  const TransportAddress& address() const { return address_; }
  uint64_t refused() const { return refused_; }

 private:
  StatusUdp() = default;
  void Serve();

  int socket_ = -1;
  int stop_fd_ = -1;  // an eventfd; written once to stop Serve()
  Reply reply_;
  TransportAddress address_;
  std::atomic<uint64_t> refused_{0};
  std::thread thread_;
};

}  // namespace turnpike::runtime::admin

#endif  // TURNPIKE_RUNTIME_ADMIN_STATUS_UDP_H_
