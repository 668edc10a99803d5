// One accepted TCP (or TLS-over-TCP) client connection: the stream
// Endpoint. Bytes read go through the optional SecureSession (TLS), then
// through core/stun/stream_framer, and up to the MessageSink one whole STUN
// message or ChannelData at a time (RFC 8656 §12.5). Sends go through the
// bounded WriteQueue, so a reader that does not keep up costs at most its
// bound and never sees a partial frame.
//
// The socket is a non-blocking fd watched by a uv_poll_t rather than a
// uv_tcp_t: the write queue needs "the socket is writable again", which
// libuv's stream API does not report, and it writes with writev(2) itself.
//
// Timers (one uv_timer_t): the idle timeout while the connection has no
// allocation (TransportSettings.idle_timeout), the TLS handshake timeout,
// and the bound on flushing before a requested close.
//
// No protocol logic lives here: frames go to the sink uninspected.
#ifndef TURNPIKE_RUNTIME_TRANSPORT_STREAM_CONNECTION_H_
#define TURNPIKE_RUNTIME_TRANSPORT_STREAM_CONNECTION_H_

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/net/transport_address.h"
#include "core/stun/stream_framer.h"
#include "core/types.h"
#include "runtime/receive_slab.h"
#include "runtime/runtime_stats.h"
#include "runtime/transport/connection_limiter.h"
#include "runtime/transport/endpoint.h"
#include "runtime/transport/secure_session.h"
#include "runtime/transport/stream_stats.h"
#include "runtime/transport/write_queue.h"

namespace turnpike::runtime {

// Makes the TLS session of a new connection; the session sends its records
// to `sink` (the connection). Empty for plain TCP.
using SecureSessionFactory =
    std::function<std::unique_ptr<SecureSession>(RecordSink& sink)>;

class StreamConnection;

// Hears of connections that closed on their own (the client went away, a
// timer, bad bytes) and of requested closes once they have flushed.
class ConnectionObserver {
 public:
  virtual void OnConnectionClosed(StreamConnection& connection) = 0;

 protected:
  ~ConnectionObserver() = default;
};

struct StreamConnectionOptions {
  core::ConnectionId id;
  core::ListenerId listener;
  core::Transport transport = core::Transport::kTcp;
  TransportAddress local;
  TransportAddress remote;
  stun::FramerLimits framer{0};
  size_t write_queue_bytes = 256 * 1024;
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds handshake_timeout{10000};
  // How long a requested close (CloseAfterFlush) waits for the client to
  // take what is queued.
  std::chrono::milliseconds flush_timeout{2000};
};

enum class CloseReason : uint8_t {
  kRequested,  // CloseAfterFlush finished (or gave up)
  kClient,     // EOF, reset or another socket error
  kIdle,
  kFraming,
  kHandshakeTimeout,
  kSecureSession,
};

class StreamConnection final : public Endpoint,
                               private StreamWriter,
                               private RecordSink {
 public:
  // Takes `fd` (accepted, non-blocking) and the limiter slot of
  // `options.remote.ip`, both given back when the connection closes, also
  // when this fails. `session_factory` may be nullptr (plain TCP).
  // Everything borrowed must outlive the connection.
  static absl::StatusOr<std::unique_ptr<StreamConnection>> Create(
      uv_loop_t* loop, int fd, const StreamConnectionOptions& options,
      const SecureSessionFactory* session_factory, ReceiveSlab* slab,
      MessageSink* sink, ConnectionObserver* observer, StreamStats* stats,
      RuntimeStats* runtime_stats, ConnectionLimiter* limiter);

  ~StreamConnection() override;
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  // Endpoint.
  core::SocketRef id() const override { return options_.id; }
  core::Transport transport() const override { return options_.transport; }
  const TransportAddress& local_address() const override {
    return options_.local;
  }
  std::pair<int, int> buffer_bytes() const override;
  // Ignores `to` (a connection has one remote). With a SecureSession the
  // message is dropped unless the queue has room for its sealed size.
  SendResult Send(const TransportAddress& to,
                  const OutboundMessage& message) override;
  // Closes at once, dropping what is queued; no observer call.
  void Close() override;

  // The core's CloseConnection: stop reading, send what is queued, then
  // close (after options.flush_timeout at the latest) and tell the
  // observer. Closes at once when nothing waits.
  void CloseAfterFlush();
  // RFC 6062 §5.4: after ConnectionBind, a splice takes the socket over.
  // Called from the sink while it handles that request: stops this
  // connection without closing the fd and hands over the fd (non-blocking)
  // with the bytes read past the request, which the client sent to the
  // peer. The limiter slot goes with them (the taker releases it). nullopt,
  // with nothing changed, for a TLS connection (its bytes are records, not
  // the client's data), when replies still wait in the queue, or when
  // closed. No observer call; the object only waits to be destroyed.
  struct Handover {
    int fd = -1;
    std::vector<uint8_t> unread;
  };
  std::optional<Handover> TakeForSplice();
  // RFC 6062 §5.4 across workers (core::HandOffConnection): called from the
  // sink while it handles a ConnectionBind, like TakeForSplice, but the
  // request goes too: `unread` is that frame followed by every byte read
  // past it, for the worker that adopts the fd to Feed(). The limiter slot
  // goes with them. nullopt, with nothing changed, in the same cases.
  std::optional<Handover> TakeForHandOff();
  // An adopted connection (plain TCP only): handles `bytes` as if they had
  // just been read from the socket.
  void Feed(absl::Span<const uint8_t> bytes);

  // Whether the core asked for the close (it then needs no notice).
  bool close_requested() const { return close_requested_; }
  bool closed() const { return poll_ == nullptr; }
  std::optional<CloseReason> close_reason() const { return close_reason_; }

  // The worker learns this from AllocationCreated / AllocationDeleted: the
  // idle timer runs only while the connection has no allocation.
  void SetHasAllocation(bool has);

  core::FiveTuple five_tuple() const {
    return {options_.transport, options_.remote, options_.local,
            options_.listener, options_.id};
  }
  std::optional<core::FiveTuple> client_tuple() const override {
    return five_tuple();
  }
  const TransportAddress& remote_address() const { return options_.remote; }
  size_t queued_bytes() const { return queue_.queued_bytes(); }
  bool reading() const { return reading_; }

 private:
  StreamConnection(const StreamConnectionOptions& options, ReceiveSlab* slab,
                   MessageSink* sink, ConnectionObserver* observer,
                   StreamStats* stats, RuntimeStats* runtime_stats,
                   ConnectionLimiter* limiter);

  absl::Status Open(uv_loop_t* loop, int fd,
                    const SecureSessionFactory* session_factory);

  // StreamWriter: writev(2) on the socket, without SIGPIPE.
  int64_t TryWrite(absl::Span<const uv_buf_t> parts) override;
  // RecordSink: TLS records go through the write queue like messages.
  void OnRecords(absl::Span<const uint8_t> records) override;

  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnTimer(uv_timer_t* handle);
  void HandleReadable();
  // Cuts `input` (plaintext) into frames for the sink until it is used up,
  // the connection stops reading, or the framing breaks (then closes).
  void HandleInput(absl::Span<const uint8_t> input);
  void HandleWritable();
  void HandleTimer();
  // Re-arms the poll for what is wanted now: reading unless paused, and
  // writability while the queue holds bytes.
  void UpdatePoll();
  void ArmTimer();
  // Closes for `reason`, counts it and tells the observer.
  void CloseSelf(CloseReason reason);
  uint64_t NowMs() const;

  StreamConnectionOptions options_;
  ReceiveSlab* slab_;
  MessageSink* sink_;
  ConnectionObserver* observer_;
  StreamStats* stats_;
  RuntimeStats* runtime_stats_;
  ConnectionLimiter* limiter_;
  bool holds_slot_ = true;

  // Heap-allocated and freed by their close callbacks; nullptr once closed.
  uv_poll_t* poll_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  int fd_ = -1;

  std::unique_ptr<SecureSession> session_;
  std::vector<uint8_t> plaintext_;  // the session's output of one read
  stun::StreamFramer framer_;
  WriteQueue queue_;
  // A record the queue could not take, or a failed write: the stream is
  // broken and the connection closes on its next callback.
  bool broken_ = false;
  // While a frame is with the sink: the bytes of the current read after it
  // (TakeForSplice hands them over).
  absl::Span<const uint8_t> unread_input_;
  // ... and that frame itself (TakeForHandOff hands it over too).
  absl::Span<const uint8_t> current_frame_;
  bool reading_ = true;
  // What the poll watches now (UV_READABLE | UV_WRITABLE bits).
  int polled_events_ = -1;
  bool close_requested_ = false;
  std::optional<CloseReason> close_reason_;

  // Deadlines in uv_now() milliseconds; nullopt when not running.
  std::optional<uint64_t> idle_deadline_;
  std::optional<uint64_t> handshake_deadline_;
  std::optional<uint64_t> flush_deadline_;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_STREAM_CONNECTION_H_
