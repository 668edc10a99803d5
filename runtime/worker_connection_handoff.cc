// Worker: RFC 6062 ConnectionBind across workers. The kernel hashes the
// client's new data connection (§5.4) to any worker; when its
// CONNECTION-ID names another one (core/turn/connection_number.h), the
// core says so (core::HandOffConnection) and the connection moves there:
// this worker stops watching the fd and posts it, with the ConnectionBind
// and every byte read after it, to that worker's loop, which adopts it as
// a new connection and feeds it those bytes, so its core handles the
// request as if it had arrived there and splices as usual. Only the
// hand-off crosses threads; the spliced bytes never do.
#include <unistd.h>

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/util/absl_compat.h"
#include "core/util/check.h"
#include "runtime/log.h"
#include "runtime/worker.h"

namespace turnpike::runtime {

// A client connection between two workers. Owns the fd and the limiter
// slot until a worker adopts them; a posted task that is dropped (the
// receiving worker is stopping) closes the fd and gives the slot back.
struct Worker::MovingConnection {
  int fd = -1;
  ConnectionLimiter* limiter = nullptr;  // the process's, shared
  core::ListenerId listener;
  TransportAddress local;
  TransportAddress remote;
  std::vector<uint8_t> bytes;  // the ConnectionBind and what followed it

  MovingConnection() = default;
  MovingConnection(const MovingConnection&) = delete;
  MovingConnection& operator=(const MovingConnection&) = delete;
  ~MovingConnection() {
    if (fd < 0) return;
    ::close(fd);
    limiter->Release(remote.ip);
  }
};

void Worker::Execute(const core::HandOffConnection& hand_off) {
  auto it = connections_.find(hand_off.connection);
  if (it == connections_.end()) return;  // already gone
  StreamConnection& connection = *it->second;
  std::optional<StreamConnection::Handover> taken;
  // A TLS session cannot change threads mid-stream (TakeForHandOff refuses
  // it, as TakeForSplice does: docs/rfc-matrix.md).
  if (post_connection_handoff_) taken = connection.TakeForHandOff();
  if (!taken) {
    // Closed unanswered; the peer connection on the other worker waits for
    // a bind until connection_bind_timeout. The core wants no report.
    ++stats_.connection_handoffs_refused;
    connection.CloseAfterFlush();
    if (connection.closed()) {
      closed_connections_.push_back(std::move(it->second));
      connections_.erase(it);
    }
    return;
  }
  auto moving = std::make_shared<MovingConnection>();
  moving->fd = taken->fd;
  moving->limiter = &limiter_;
  const core::FiveTuple tuple = connection.five_tuple();
  moving->listener = tuple.listener;
  moving->local = tuple.server;
  moving->remote = tuple.client;
  moving->bytes = std::move(taken->unread);
  // Its request is still being handled (we run inside its read callback):
  // destroyed from the next input on.
  closed_connections_.push_back(std::move(it->second));
  connections_.erase(it);
  ++stats_.connections_handed_off;
  // std::function must be copyable, so the connection travels in a
  // shared_ptr; whoever drops the last copy unadopted closes it.
  post_connection_handoff_(hand_off.worker, [moving](Worker& worker) {
    worker.AdoptConnection(*moving);
  });
}

void Worker::AdoptConnection(MovingConnection& moving) {
  if (stopping_ || moving.fd < 0) return;  // `moving` closes it
  // One limiter for the process (Supervisor): the slot is already counted.
  TURNPIKE_CHECK(moving.limiter == &limiter_,
                 "a connection handed between workers that do not share "
                 "their connection limiter");
  ReleaseClosed();
  StreamConnectionOptions options;
  options.id = NextConnectionId();
  options.listener = moving.listener;
  options.transport = core::Transport::kTcp;
  options.local = moving.local;
  options.remote = moving.remote;
  options.framer = stun::FramerLimits{max_channel_number_};
  options.write_queue_bytes = transport_settings_.write_queue_bytes;
  options.idle_timeout = transport_settings_.idle_timeout;
  options.handshake_timeout = transport_settings_.handshake_timeout;
  const int fd = moving.fd;
  moving.fd = -1;  // the connection owns fd and slot now, even on failure
  absl::StatusOr<std::unique_ptr<StreamConnection>> made =
      StreamConnection::Create(&loop_, fd, options, nullptr, &slab_, this,
                               this, &stats_.stream(options.transport),
                               &stats_, &limiter_);
  if (!made.ok()) {
    LogWarning(FromAbsl(made.status().message()));
    return;
  }
  ++stats_.connections_adopted;
  StreamConnection* connection = made->get();
  connections_.emplace(options.id, *std::move(made));
  // As if just read: the ConnectionBind reaches this worker's core, which
  // holds its CONNECTION-ID.
  connection->Feed(moving.bytes);
}

}  // namespace turnpike::runtime
