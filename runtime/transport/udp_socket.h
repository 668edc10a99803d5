// One bound UDP socket on a worker's loop, a listener or a relay socket: the
// datagram Endpoint. Receives datagrams in recvmmsg(2) batches into the
// worker's slab and hands each one to a MessageSink with the batch's
// timestamp; sends without blocking or queueing (a full socket buffer drops
// the datagram, which UDP may do).
//
// No protocol logic lives here: bytes go to the sink uninspected.
#ifndef TURNPIKE_RUNTIME_TRANSPORT_UDP_SOCKET_H_
#define TURNPIKE_RUNTIME_TRANSPORT_UDP_SOCKET_H_

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/forward.h"
#include "core/net/transport_address.h"
#include "core/types.h"
#include "runtime/receive_slab.h"
#include "runtime/runtime_stats.h"
#include "runtime/transport/endpoint.h"
#include "runtime/transport/send_batch.h"

namespace turnpike::runtime {

struct UdpSocketOptions {
  // SO_RCVBUF / SO_SNDBUF request in bytes; nullopt keeps the system default
  // (net.core.rmem_default / wmem_default). The kernel caps requests at
  // net.core.rmem_max / wmem_max; a capped request is logged.
  std::optional<int> receive_buffer_bytes;
  std::optional<int> send_buffer_bytes;
  // SO_REUSEPORT before bind: the workers' listeners share one address and
  // the kernel spreads clients over them by 5-tuple (runtime/supervisor.h).
  // Relay sockets never set it.
  bool reuse_port = false;
  // The worker's sending seam: sends are copied there and leave in
  // sendmmsg batches. nullptr sends each datagram at once (uv_udp_try_send).
  SendBatch* send_batch = nullptr;
};

class UdpSocket final : public Endpoint {
 public:
  // Opens a socket on `loop` bound to `address` and starts receiving.
  // IPv6 sockets are IPV6_V6ONLY, so a wildcard IPv4 socket and a wildcard
  // IPv6 socket on the same port each see only their own family.
  // SO_REUSEADDR is not set: a second server on the same port fails loudly.
  // Error codes: Unavailable when the host cannot use the address (no IPv6,
  // address not local), AlreadyExists when it is in use, PermissionDenied for
  // privileged ports, Internal otherwise; each message names the address.
  // `slab`, `sink` and `stats` must outlive the listener.
  static absl::StatusOr<std::unique_ptr<UdpSocket>> Bind(
      uv_loop_t* loop, core::SocketRef id, const TransportAddress& address,
      const UdpSocketOptions& options, ReceiveSlab* slab, MessageSink* sink,
      RuntimeStats* stats);

  // RFC 8656 §7.2 across workers (runtime/shared_reservation_registry.h):
  // takes over `fd`, a bound UDP socket another worker's loop let go of,
  // and starts receiving on `loop`. `fd` is the socket's from the call on,
  // closed on failure too. Errors as Bind's.
  static absl::StatusOr<std::unique_ptr<UdpSocket>> Adopt(
      uv_loop_t* loop, core::SocketRef id, int fd,
      const UdpSocketOptions& options, ReceiveSlab* slab, MessageSink* sink,
      RuntimeStats* stats);
  // A close-on-exec duplicate of the descriptor, so the socket outlives
  // Close() for whoever takes it; -1 (errno set) when there is none.
  int DuplicateDescriptor() const;

  // Closes the socket. The loop must run once more before uv_loop_close()
  // so libuv can finish the close; the listener object itself may be
  // destroyed right away.
  ~UdpSocket() override;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  core::SocketRef id() const override { return id_; }
  core::Transport transport() const override { return core::Transport::kUdp; }
  // RFC 8656 §7.2 DONT-FRAGMENT: datagrams leave with DF set
  // (IP_PMTUDISC_DO / IPV6_DONTFRAG). Returns the failure to log.
  absl::Status SetDontFragment();
  // The address actually bound (the kernel's port when 0 was asked).
  const TransportAddress& local_address() const override {
    return local_address_;
  }
  // SO_RCVBUF and SO_SNDBUF as granted (the kernel reports twice what it
  // grants, socket(7); this is halved back); {0, 0} once closed.
  std::pair<int, int> buffer_bytes() const override;

  // Sends `message` as one datagram: into the send batch when there is one
  // (kBatched; the flush counts it), otherwise at once, gathered by
  // sendmsg(2) so a frame prefix and a borrowed payload need no copy. Never
  // blocks: a full socket buffer drops the datagram (kWouldBlock, or
  // counted by the batch).
  SendResult Send(const TransportAddress& to,
                  const OutboundMessage& message) override;

  void Close() override;

 private:
  UdpSocket(core::SocketRef id, ReceiveSlab* slab, MessageSink* sink,
            RuntimeStats* stats);

  absl::Status Open(uv_loop_t* loop, const TransportAddress& address,
                    const UdpSocketOptions& options);
  absl::Status OpenDescriptor(uv_loop_t* loop, int fd,
                              const UdpSocketOptions& options);
  void ApplyBufferSizes(const UdpSocketOptions& options);

  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnReceive(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf,
                        const sockaddr* addr, unsigned flags);
  void HandleReceive(ssize_t nread, const uv_buf_t* buf, const sockaddr* addr,
                     unsigned flags);
  void ReturnSlab();

  core::SocketRef id_;
  ReceiveSlab* slab_;
  MessageSink* sink_;
  RuntimeStats* stats_;
  // Heap-allocated and freed by the close callback, because libuv touches
  // the handle after uv_close() returns; nullptr once closed.
  uv_udp_t* handle_ = nullptr;
  TransportAddress local_address_;
  SendBatch* send_batch_ = nullptr;
  int fd_ = -1;  // the descriptor the batch writes to
  // One stamp per recvmmsg(2) batch: taken at the batch's first datagram
  // and carried by every datagram of the batch.
  core::Now batch_now_{};
  bool batch_stamped_ = false;
  bool holds_slab_ = false;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_UDP_SOCKET_H_
