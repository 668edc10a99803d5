#include "runtime/transport/stream_connection.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/util/absl_compat.h"
#include "runtime/clock.h"

namespace turnpike::runtime {
namespace {

// One read per readable event, at most this much: a busy client cannot
// starve the others (the poll is level-triggered, so the rest is read on
// the next turn of the loop), and the framer never sees more at once.
constexpr size_t kReadBytes = 64 * 1024;

uv_handle_t* AsHandle(uv_poll_t* poll) {
  return reinterpret_cast<uv_handle_t*>(poll);
}
uv_handle_t* AsHandle(uv_timer_t* timer) {
  return reinterpret_cast<uv_handle_t*>(timer);
}

// The fd travels with the poll handle so the close callback can close it
// after libuv has stopped watching it (uv_poll_t does not own its fd).
struct PollWithFd {
  uv_poll_t poll;
  int fd;
};

}  // namespace

StreamConnection::StreamConnection(const StreamConnectionOptions& options,
                                   ReceiveSlab* slab, MessageSink* sink,
                                   ConnectionObserver* observer,
                                   StreamStats* stats,
                                   RuntimeStats* runtime_stats,
                                   ConnectionLimiter* limiter)
    : options_(options),
      slab_(slab),
      sink_(sink),
      observer_(observer),
      stats_(stats),
      runtime_stats_(runtime_stats),
      limiter_(limiter),
      framer_(options.framer),
      queue_(options.write_queue_bytes) {}

StreamConnection::~StreamConnection() { Close(); }

absl::StatusOr<std::unique_ptr<StreamConnection>> StreamConnection::Create(
    uv_loop_t* loop, int fd, const StreamConnectionOptions& options,
    const SecureSessionFactory* session_factory, ReceiveSlab* slab,
    MessageSink* sink, ConnectionObserver* observer, StreamStats* stats,
    RuntimeStats* runtime_stats, ConnectionLimiter* limiter) {
  std::unique_ptr<StreamConnection> connection(new StreamConnection(
      options, slab, sink, observer, stats, runtime_stats, limiter));
  absl::Status status = connection->Open(loop, fd, session_factory);
  if (!status.ok()) return status;  // the destructor gives fd and slot back
  return connection;
}

absl::Status StreamConnection::Open(
    uv_loop_t* loop, int fd, const SecureSessionFactory* session_factory) {
  auto* poll = new PollWithFd;
  poll->fd = fd;
  if (int err = uv_poll_init(loop, &poll->poll, fd); err != 0) {
    ::close(fd);
    delete poll;  // never registered with the loop
    return absl::InternalError(
        absl::StrCat(ToAbsl(core::TransportName(options_.transport)), " ",
                     options_.remote.ToString(),
                     ": uv_poll_init failed: ", uv_strerror(err)));
  }
  poll->poll.data = this;
  poll_ = &poll->poll;
  fd_ = fd;
  // Linux grows a TCP send buffer towards net.ipv4.tcp_wmem's maximum
  // (4 MiB by default) for a client that does not read: a fixed one the
  // size of the write queue keeps a stalled reader's kernel memory bounded
  // like its queue, and still carries ~20 Mbit/s at 100 ms RTT.
  const int send_buffer = static_cast<int>(std::min<size_t>(
      options_.write_queue_bytes, std::numeric_limits<int>::max()));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof(send_buffer));

  auto* timer = new uv_timer_t;
  if (int err = uv_timer_init(loop, timer); err != 0) {
    delete timer;
    return absl::InternalError(absl::StrCat(
        "connection timer: uv_timer_init failed: ", uv_strerror(err)));
  }
  timer->data = this;
  timer_ = timer;

  if (session_factory != nullptr && *session_factory) {
    session_ = (*session_factory)(*this);
    if (session_ == nullptr) {
      return absl::InternalError("the TLS engine made no session");
    }
    handshake_deadline_ =
        NowMs() + static_cast<uint64_t>(options_.handshake_timeout.count());
  }
  idle_deadline_ =
      NowMs() + static_cast<uint64_t>(options_.idle_timeout.count());
  UpdatePoll();
  ArmTimer();
  return absl::OkStatus();
}

uint64_t StreamConnection::NowMs() const {
  return timer_ != nullptr ? uv_now(timer_->loop) : 0;
}

std::pair<int, int> StreamConnection::buffer_bytes() const {
  if (poll_ == nullptr) return {0, 0};
  int receive = 0;
  int send = 0;
  socklen_t length = sizeof(int);
  getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive, &length);
  length = sizeof(int);
  getsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &send, &length);
  return {receive / 2, send / 2};  // socket(7): the kernel reports double
}

int64_t StreamConnection::TryWrite(absl::Span<const uv_buf_t> parts) {
  // uv_buf_t has struct iovec's layout on Unix (message.h).
  msghdr header{};
  header.msg_iov =
      reinterpret_cast<iovec*>(const_cast<uv_buf_t*>(parts.data()));
  header.msg_iovlen = parts.size();
  // MSG_NOSIGNAL: a client that reset the connection is an error to count,
  // not a SIGPIPE that ends the process.
  ssize_t sent;
  do {
    sent = ::sendmsg(fd_, &header, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent >= 0) return sent;
  if (errno == EAGAIN || errno == EWOULDBLOCK) return UV_EAGAIN;
  return -errno;  // libuv's error codes are negated errno on Unix
}

void StreamConnection::OnRecords(absl::Span<const uint8_t> records) {
  if (broken_ || poll_ == nullptr) return;
  const SendResult result = queue_.Write(*this, OutboundMessage::Of(records));
  // A record cannot be dropped once made (the TLS sequence numbers would
  // break): Send checked the room first, so this is a handshake flight or
  // alert that did not fit, and the stream is done.
  if (result.outcome == SendResult::Outcome::kQueueFull ||
      result.outcome == SendResult::Outcome::kFailed) {
    broken_ = true;
  }
}

SendResult StreamConnection::Send(const TransportAddress& /*to*/,
                                  const OutboundMessage& message) {
  if (poll_ == nullptr || close_requested_ || broken_) {
    return {SendResult::Outcome::kFailed, 0, UV_EBADF};
  }
  const bool was_empty = queue_.empty();
  SendResult result;
  if (session_ != nullptr) {
    if (!session_->handshake_complete()) {
      return {SendResult::Outcome::kFailed, 0, UV_ENOTCONN};
    }
    // Room first: once Send has sealed the message, its records must go.
    const size_t sealed = session_->SealedSize(message.size());
    if (queue_.max_bytes() - queue_.queued_bytes() < sealed) {
      ++stats_->queue_drops;
      return {SendResult::Outcome::kQueueFull, 0, 0};
    }
    if (!session_->Send(message).ok()) broken_ = true;
    result = {queue_.empty() ? SendResult::Outcome::kSent
                             : SendResult::Outcome::kQueued,
              message.size(), 0};
    if (broken_) result = {SendResult::Outcome::kFailed, 0, UV_EPROTO};
  } else {
    result = queue_.Write(*this, message);
    if (result.outcome == SendResult::Outcome::kQueueFull) {
      ++stats_->queue_drops;
    } else if (result.outcome == SendResult::Outcome::kFailed) {
      broken_ = true;
    }
  }
  // Closing here would call back into the worker while it executes the
  // core's commands; the timer closes on the next turn of the loop.
  if (broken_) {
    ArmTimer();
  } else if (was_empty != queue_.empty() || !queue_.empty()) {
    UpdatePoll();  // writability wanted, or reading paused past half
  }
  return result;
}

void StreamConnection::UpdatePoll() {
  if (poll_ == nullptr) return;
  // A client that sends requests but does not read the answers is not read
  // from while more than half of its queue waits: TCP pushes back on it
  // instead of the queue dropping its answers.
  const bool paused = queue_.queued_bytes() > queue_.max_bytes() / 2;
  int events = 0;
  if (reading_ && !paused && !broken_) events |= UV_READABLE;
  if (!queue_.empty()) events |= UV_WRITABLE;
  if (events == polled_events_) return;  // no syscall on the send path
  polled_events_ = events;
  if (events == 0) {
    uv_poll_stop(poll_);
  } else {
    uv_poll_start(poll_, events, &StreamConnection::OnPoll);
  }
}

void StreamConnection::ArmTimer() {
  if (timer_ == nullptr) return;
  std::optional<uint64_t> due;
  for (const std::optional<uint64_t>& deadline :
       {idle_deadline_, handshake_deadline_, flush_deadline_}) {
    if (deadline && (!due || *deadline < *due)) due = deadline;
  }
  if (broken_) due = NowMs();
  if (!due) {
    uv_timer_stop(timer_);
    return;
  }
  const uint64_t now = NowMs();
  uv_timer_start(timer_, &StreamConnection::OnTimer,
                 *due > now ? *due - now : 0, 0);
}

void StreamConnection::SetHasAllocation(bool has) {
  if (poll_ == nullptr) return;
  if (has) {
    idle_deadline_.reset();
  } else {
    // RFC 8656 §3.2 ties the allocation to the connection, not the other
    // way round: a connection left without one gets the idle timeout again.
    idle_deadline_ =
        NowMs() + static_cast<uint64_t>(options_.idle_timeout.count());
  }
  ArmTimer();
}

void StreamConnection::CloseAfterFlush() {
  if (poll_ == nullptr || close_requested_) return;
  close_requested_ = true;
  reading_ = false;
  if (queue_.empty() || broken_) {
    close_reason_ = CloseReason::kRequested;
    Close();
    return;
  }
  idle_deadline_.reset();
  handshake_deadline_.reset();
  flush_deadline_ =
      NowMs() + static_cast<uint64_t>(options_.flush_timeout.count());
  UpdatePoll();
  ArmTimer();
}

void StreamConnection::Close() {
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    poll_->data = nullptr;
    uv_close(AsHandle(poll_), [](uv_handle_t* handle) {
      auto* poll = reinterpret_cast<PollWithFd*>(handle);
      if (poll->fd >= 0) ::close(poll->fd);  // -1: handed to a splice
      delete poll;
    });
    poll_ = nullptr;
    fd_ = -1;
  } else if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (timer_ != nullptr) {
    uv_timer_stop(timer_);
    uv_close(AsHandle(timer_), [](uv_handle_t* handle) {
      delete reinterpret_cast<uv_timer_t*>(handle);
    });
    timer_ = nullptr;
  }
  if (holds_slot_) {
    holds_slot_ = false;
    limiter_->Release(options_.remote.ip);
  }
}

std::optional<StreamConnection::Handover> StreamConnection::TakeForSplice() {
  // The framer holds nothing here: it just returned the ConnectionBind,
  // so whatever followed it is still in the current read.
  if (poll_ == nullptr || session_ != nullptr || !queue_.empty() ||
      framer_.buffered() != 0) {
    return std::nullopt;
  }
  Handover handover{fd_, {unread_input_.begin(), unread_input_.end()}};
  unread_input_ = {};
  // The poll handle goes without the fd, and so does the slot.
  reinterpret_cast<PollWithFd*>(poll_)->fd = -1;
  fd_ = -1;
  holds_slot_ = false;
  Close();
  return handover;
}

std::optional<StreamConnection::Handover> StreamConnection::TakeForHandOff() {
  if (poll_ == nullptr || session_ != nullptr || !queue_.empty() ||
      framer_.buffered() != 0 || current_frame_.empty()) {
    return std::nullopt;
  }
  std::vector<uint8_t> bytes(current_frame_.begin(), current_frame_.end());
  bytes.insert(bytes.end(), unread_input_.begin(), unread_input_.end());
  std::optional<Handover> handover = TakeForSplice();
  if (handover) handover->unread = std::move(bytes);
  return handover;
}

void StreamConnection::Feed(absl::Span<const uint8_t> bytes) {
  if (poll_ == nullptr || session_ != nullptr) return;
  HandleInput(bytes);
}

void StreamConnection::CloseSelf(CloseReason reason) {
  if (poll_ == nullptr) return;
  close_reason_ = reason;
  switch (reason) {
    case CloseReason::kRequested:
      break;
    case CloseReason::kClient:
      ++stats_->closed_by_client;
      break;
    case CloseReason::kIdle:
      ++stats_->closed_idle;
      break;
    case CloseReason::kFraming:
      ++stats_->closed_framing_error;
      break;
    case CloseReason::kHandshakeTimeout:
      ++stats_->closed_handshake_timeout;
      break;
    case CloseReason::kSecureSession:
      ++stats_->closed_secure_session;
      break;
  }
  Close();
  observer_->OnConnectionClosed(*this);
}

void StreamConnection::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<StreamConnection*>(handle->data);
  if (self == nullptr) return;
  if (status < 0) {
    self->CloseSelf(CloseReason::kClient);
    return;
  }
  if ((events & UV_WRITABLE) != 0) self->HandleWritable();
  if (self->poll_ != nullptr && (events & UV_READABLE) != 0) {
    self->HandleReadable();
  }
}

void StreamConnection::OnTimer(uv_timer_t* handle) {
  static_cast<StreamConnection*>(handle->data)->HandleTimer();
}

void StreamConnection::HandleTimer() {
  const uint64_t now = NowMs();
  if (broken_) {
    CloseSelf(close_requested_ ? CloseReason::kRequested
                               : CloseReason::kClient);
  } else if (flush_deadline_ && *flush_deadline_ <= now) {
    CloseSelf(CloseReason::kRequested);  // the client did not read in time
  } else if (handshake_deadline_ && *handshake_deadline_ <= now) {
    CloseSelf(CloseReason::kHandshakeTimeout);
  } else if (idle_deadline_ && *idle_deadline_ <= now) {
    CloseSelf(CloseReason::kIdle);
  } else {
    ArmTimer();  // woken early (libuv rounds); wait for the rest
  }
}

void StreamConnection::HandleWritable() {
  if (queue_.empty()) {
    UpdatePoll();
    return;
  }
  if (queue_.Drain(*this) != 0) {
    CloseSelf(close_requested_ ? CloseReason::kRequested
                               : CloseReason::kClient);
    return;
  }
  if (close_requested_ && queue_.empty()) {
    CloseSelf(CloseReason::kRequested);
    return;
  }
  UpdatePoll();
}

void StreamConnection::HandleReadable() {
  uv_buf_t buffer = slab_->Lend();
  if (buffer.base == nullptr) {
    ++runtime_stats_->receive_no_buffer;
    return;
  }
  ssize_t got;
  do {
    got = ::recv(fd_, buffer.base, std::min(buffer.len, kReadBytes), 0);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {
    slab_->Return();
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (got < 0) ++runtime_stats_->receive_errors;
    CloseSelf(CloseReason::kClient);  // EOF or reset
    return;
  }
  runtime_stats_->bytes_received += static_cast<uint64_t>(got);
  absl::Span<const uint8_t> input(reinterpret_cast<uint8_t*>(buffer.base),
                                  static_cast<size_t>(got));
  if (session_ != nullptr) {
    plaintext_.clear();
    const absl::Status status = session_->Receive(input, plaintext_);
    if (!status.ok() || broken_) {
      slab_->Return();
      CloseSelf(CloseReason::kSecureSession);
      return;
    }
    if (handshake_deadline_ && session_->handshake_complete()) {
      handshake_deadline_.reset();
      ArmTimer();
    }
    input = absl::MakeConstSpan(plaintext_);
  }
  HandleInput(input);
  slab_->Return();
}

void StreamConnection::HandleInput(absl::Span<const uint8_t> input) {
  const core::Now now = StampNow();
  bool framing_error = false;
  while (poll_ != nullptr && reading_) {
    auto frame = framer_.Next(&input);
    if (!frame.ok()) {
      framing_error = true;
      break;
    }
    if (!frame.value().has_value()) break;
    ++runtime_stats_->datagrams_received;
    // The sink may close this connection; it stays alive until we return.
    unread_input_ = input;
    current_frame_ = frame.value()->bytes;
    sink_->OnMessage(now, *this, options_.remote, frame.value()->bytes);
    unread_input_ = {};
    current_frame_ = {};
  }
  // A stream that lost its framing cannot be resynchronised (RFC 8656
  // §12.5 gives no way to find the next message's start).
  if (framing_error) CloseSelf(CloseReason::kFraming);
}

}  // namespace turnpike::runtime
