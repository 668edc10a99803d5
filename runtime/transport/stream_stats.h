// Counters of one connection-oriented client transport (TCP or TLS), kept
// per worker in RuntimeStats: what happened at accept and why connections
// ended (docs/security.md, "Connection limits").
#ifndef TURNPIKE_RUNTIME_TRANSPORT_STREAM_STATS_H_
#define TURNPIKE_RUNTIME_TRANSPORT_STREAM_STATS_H_

#include <cstdint>

namespace turnpike::runtime {

struct StreamStats {
  uint64_t accepted = 0;
  // Refused at accept: the client IP held max-connections-per-ip already.
  uint64_t refused_by_limit = 0;
  // accept(2) failed (EMFILE, ENOBUFS, ...): the client waits in the
  // backlog and is tried again.
  uint64_t accept_errors = 0;
  // Closed by us: no allocation within idle-timeout; bytes that are neither
  // STUN nor ChannelData (the stream cannot be resynchronised); a TLS
  // handshake not done within handshake-timeout; the TLS session failed.
  uint64_t closed_idle = 0;
  uint64_t closed_framing_error = 0;
  uint64_t closed_handshake_timeout = 0;
  uint64_t closed_secure_session = 0;
  // Closed by the client (EOF, reset) or by a socket error.
  uint64_t closed_by_client = 0;
  // Whole messages dropped because the connection's write queue was full.
  uint64_t queue_drops = 0;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_STREAM_STATS_H_
