// RFC 6062 §5.4: a client data connection and a peer connection joined
// byte for byte, without the core. Each direction reads into one buffer of
// `buffer_bytes` and writes it to the other side; while that write waits
// (the other side reads slowly), the direction stops reading, so TCP's own
// flow control pushes back on the sender and a slow reader costs at most
// one buffer per direction, never more.
//
// When either side ends (EOF or an error), both stop reading, what is
// already read is written out (for at most `flush_timeout`), both sockets
// close and `on_closed` runs once. Close() ends it at once, without
// `on_closed` (the core asked for it and needs no report).
#ifndef TURNPIKE_RUNTIME_TRANSPORT_SPLICE_H_
#define TURNPIKE_RUNTIME_TRANSPORT_SPLICE_H_

#include <uv.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "runtime/runtime_stats.h"

namespace turnpike::runtime {

struct SpliceOptions {
  // One direction's buffer: the most that waits in user space.
  size_t buffer_bytes = 64 * 1024;
  // How long a closing splice may wait for its last bytes to be taken.
  std::chrono::milliseconds flush_timeout{5000};
};

class Splice {
 public:
  // Takes both connected sockets (heap-allocated uv_tcp_t, freed when
  // closed) and starts moving bytes. `client_unread` are bytes already read
  // from the client (past its ConnectionBind request): they go to the peer
  // before anything else. Bytes moved are counted in `stats`
  // (spliced_bytes_*), which must outlive the splice.
  Splice(uv_loop_t* loop, uv_tcp_t* client,
         absl::Span<const uint8_t> client_unread, uv_tcp_t* peer,
         const SpliceOptions& options, RuntimeStats* stats,
         std::function<void()> on_closed);
  // Closes whatever is still open (as Close()).
  ~Splice();
  Splice(const Splice&) = delete;
  Splice& operator=(const Splice&) = delete;

  // Closes both sockets now, dropping what waits; no on_closed. Idempotent.
  void Close();
  bool closed() const { return closed_; }
  // User-space bytes waiting to be written, both directions.
  size_t buffered_bytes() const;

 private:
  struct Direction {
    Splice* splice = nullptr;
    uv_tcp_t* from = nullptr;
    uv_tcp_t* to = nullptr;
    std::vector<uint8_t> buffer;
    // The unwritten part of `buffer` while a write waits.
    size_t pending_offset = 0;
    size_t pending_size = 0;
    // Heap-allocated: a close cancels it and its callback runs later.
    uv_write_t* write = nullptr;
    uint64_t* counter = nullptr;
  };

  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* request, int status);
  static void OnFlushTimeout(uv_timer_t* timer);

  void StartReading(Direction& direction);
  // Sends `size` bytes at `buffer`'s start to the other side: at once when
  // the socket takes them, else as a queued write with reading stopped.
  void Forward(Direction& direction, size_t size);
  // A side ended: flush, then finish.
  void End();
  void Finish(bool notify);

  uv_loop_t* loop_;
  SpliceOptions options_;
  Direction client_to_peer_;
  Direction peer_to_client_;
  std::function<void()> on_closed_;
  uv_timer_t* flush_timer_ = nullptr;
  bool ending_ = false;
  bool closed_ = false;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_SPLICE_H_
