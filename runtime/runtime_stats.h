// Counters for what happens between the sockets and the core: receive and
// send outcomes the core never sees. Plain integers, one set per worker
// (single-threaded), read for logs and, later, metrics.
#ifndef TURNPIKE_RUNTIME_RUNTIME_STATS_H_
#define TURNPIKE_RUNTIME_RUNTIME_STATS_H_

#include <cstdint>

#include "core/types.h"
#include "runtime/transport/dtls_stats.h"
#include "runtime/transport/stream_stats.h"

namespace turnpike::runtime {

struct RuntimeStats {
  uint64_t datagrams_received = 0;
  uint64_t bytes_received = 0;
  // Larger than the 64 KiB receive slot; dropped before the core sees them.
  uint64_t datagrams_truncated = 0;
  // Errors reported by recvmmsg/recvmsg (not EAGAIN, which is "no data").
  uint64_t receive_errors = 0;
  // The receive slab was still lent out (UV_ENOBUFS); a bug if ever non-zero.
  uint64_t receive_no_buffer = 0;

  uint64_t datagrams_sent = 0;
  uint64_t bytes_sent = 0;
  // UV_EAGAIN: the socket send buffer was full. UDP sends are never queued,
  // so this is a drop (DESIGN.md "Core API": drop and count).
  uint64_t send_would_block = 0;
  // Stream endpoints: messages (or their unsent tails) that waited in the
  // connection's write queue, and whole messages dropped because it was full
  // (runtime/transport/write_queue.h).
  uint64_t send_queued = 0;
  uint64_t send_queue_full = 0;
  // Any other send failure (unreachable destination, bad address, ...).
  uint64_t send_errors = 0;
  // UDP sends through the SendBatch (runtime/transport/send_batch.h):
  // sendmmsg(2) calls, and the UDP GSO messages among them with the
  // datagrams they carried (0 when the kernel or device has no GSO).
  uint64_t sendmmsg_calls = 0;
  uint64_t gso_sends = 0;
  uint64_t gso_datagrams = 0;
  // A command named a socket this worker does not have, or one of another
  // transport than the core believes (a bug).
  uint64_t send_no_socket = 0;

  // Connection-oriented clients, per transport: accepts, refusals by the
  // per-IP limit, why connections closed, write-queue drops.
  StreamStats tcp;
  StreamStats tls;
  StreamStats& stream(core::Transport transport) {
    return transport == core::Transport::kTls ? tls : tcp;
  }
  // DTLS clients (RFC 7350): associations made, refused, closed.
  DtlsStats dtls;

  // RFC 6062 TCP relays: peer connections accepted on relay listeners,
  // Connects that connected and that failed (refused, unreachable, timed
  // out), and the bytes spliced each way (runtime/transport/splice.h).
  uint64_t peer_connections_accepted = 0;
  uint64_t peer_connects_succeeded = 0;
  uint64_t peer_connects_failed = 0;
  uint64_t spliced_bytes_client_to_peer = 0;
  uint64_t spliced_bytes_peer_to_client = 0;
  // RFC 6062 across workers (core::HandOffConnection): client connections
  // sent to the worker of their CONNECTION-ID, received from another
  // worker, and closed instead because they could not move (TLS, replies
  // still queued, no other worker).
  uint64_t connections_handed_off = 0;
  uint64_t connections_adopted = 0;
  uint64_t connection_handoffs_refused = 0;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_RUNTIME_STATS_H_
