// The worker's one sending seam for UDP: every datagram a UdpSocket sends is
// copied here and leaves in a sendmmsg(2) batch, and a run of same-size
// datagrams from one socket to one destination leaves as a single UDP GSO
// send (a UDP_SEGMENT control message, udp(7)) when the kernel has it.
// libuv 1.44 has no batched send, so the batch writes to the sockets'
// descriptors directly; libuv still owns readiness and receives.
//
// Flushed when the loop has run the I/O callbacks of one poll (a uv_check_t),
// before it blocks (a uv_prepare_t: what timers and wake-ups queued), when
// the batch is full, and when a socket closes (UdpSocket::Close). Order per
// socket is kept: a flush sends each socket's datagrams in the order they
// were queued.
//
// No allocation per datagram: the bytes go into a fixed arena and the
// message headers into fixed arrays, all made once per worker.
#ifndef TURNPIKE_RUNTIME_TRANSPORT_SEND_BATCH_H_
#define TURNPIKE_RUNTIME_TRANSPORT_SEND_BATCH_H_

#include <sys/socket.h>
#include <uv.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "core/net/transport_address.h"
#include "runtime/runtime_stats.h"
#include "runtime/transport/message.h"

namespace turnpike::runtime {

struct SendBatchOptions {
  // Use UDP GSO where the kernel supports it (probed once per process). Off
  // sends every datagram as its own message of the sendmmsg batch; tests
  // turn it off to cover that path on kernels that have GSO.
  bool gso = true;
};

class SendBatch {
 public:
  // Datagrams held before a flush is forced (sendmmsg's vector length).
  static constexpr size_t kMaxDatagrams = 64;
  // Bytes held before a flush is forced: room for a few maximal datagrams.
  static constexpr size_t kArenaBytes = 256 * 1024;

  // Starts the flush hooks on `loop`; they do not keep the loop alive.
  // `stats` counts what each flush sent and dropped; it must outlive this.
  static absl::StatusOr<std::unique_ptr<SendBatch>> Create(
      uv_loop_t* loop, RuntimeStats* stats, SendBatchOptions options = {});
  // Flushes and closes the hooks (the loop must run once more to free them).
  ~SendBatch();
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;

  // Whether this kernel accepts UDP_SEGMENT (probed once per process).
  static bool KernelSupportsGso();
  // Whether this batch sends runs with GSO (KernelSupportsGso() and the
  // option, until a send shows the device cannot).
  bool gso() const { return gso_; }

  // Copies `message` in, for `fd` to `to`; flushes first when it would not
  // fit. Returns kBatched (the flush counts the outcome in the stats), or
  // kFailed for a message larger than the arena.
  SendResult Queue(int fd, const TransportAddress& to,
                   const OutboundMessage& message);
  // Sends everything queued.
  void Flush();
  // Sends everything queued, then stops the hooks; idempotent.
  void Close();

  size_t queued() const { return count_; }

 private:
  struct Entry {
    int fd;
    socklen_t address_length;
    uint32_t offset;  // into arena_
    uint32_t size;
    sockaddr_storage address;
  };

  SendBatch(RuntimeStats* stats, bool gso) : stats_(stats), gso_(gso) {}

  static void OnHook(uv_handle_t* handle);
  // Sends order_[begin, end), all for one descriptor, in sendmmsg calls.
  void SendRun(size_t begin, size_t end);
  // How many of order_[at, end) can go as one GSO message (1 = plain).
  size_t GsoRunLength(size_t at, size_t end) const;
  // Counts `entries` datagrams dropped by `err` (errno).
  void CountDropped(size_t entries, int err);

  RuntimeStats* stats_;
  bool gso_;
  uv_prepare_t* prepare_ = nullptr;
  uv_check_t* check_ = nullptr;

  std::array<Entry, kMaxDatagrams> entries_;
  size_t count_ = 0;
  size_t arena_used_ = 0;
  // Flush scratch: entry indexes grouped by descriptor, queue order kept.
  std::array<uint8_t, kMaxDatagrams> order_;
  std::array<mmsghdr, kMaxDatagrams> messages_;
  std::array<iovec, kMaxDatagrams> parts_;
  // One UDP_SEGMENT control message per GSO message.
  struct alignas(cmsghdr) Control {
    uint8_t bytes[CMSG_SPACE(sizeof(uint16_t))];
  };
  std::array<Control, kMaxDatagrams> controls_;
  // How many entries each message of a sendmmsg call carries.
  std::array<uint8_t, kMaxDatagrams> carried_;
  std::unique_ptr<uint8_t[]> arena_;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_SEND_BATCH_H_
