// The receive memory of one worker, shared by all of its UDP sockets
// (DESIGN.md "Threads and scale": buffers belong to the worker, so a socket
// costs no user-space receive memory of its own).
#ifndef TURNPIKE_RUNTIME_RECEIVE_SLAB_H_
#define TURNPIKE_RUNTIME_RECEIVE_SLAB_H_

#include <uv.h>

#include <cstddef>
#include <memory>

namespace turnpike::runtime {

class ReceiveSlab {
 public:
  // With UV_UDP_RECVMMSG, libuv lays datagram k of a batch at
  // base + k * 64 KiB (its maximum datagram size) and reads as many as fit.
  static constexpr size_t kSlotBytes = size_t{64} * 1024;
  // libuv 1.44 reads at most 20 datagrams per recvmmsg(2) call; 16 slots
  // (1 MiB) keeps most of that batching at a round size.
  static constexpr size_t kDefaultSlots = 16;

  explicit ReceiveSlab(size_t slots = kDefaultSlots);
  ReceiveSlab(const ReceiveSlab&) = delete;
  ReceiveSlab& operator=(const ReceiveSlab&) = delete;

  // The whole slab, or an empty buffer while it is already lent (libuv then
  // reports UV_ENOBUFS instead of reading). One loop thread receives at a
  // time, so the slab is lent to one socket per batch.
  uv_buf_t Lend();
  // Ends the loan started by Lend().
  void Return();
  bool lent() const { return lent_; }
  size_t size() const { return size_; }

 private:
  size_t size_;
  std::unique_ptr<char[]> storage_;
  bool lent_ = false;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_RECEIVE_SLAB_H_
