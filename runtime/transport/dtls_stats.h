// Counters of the DTLS client transport (RFC 7350), kept per worker in
// RuntimeStats: what opened associations, what was refused before any
// state existed, and why associations ended (docs/security.md "TLS and
// DTLS").
#ifndef TURNPIKE_RUNTIME_TRANSPORT_DTLS_STATS_H_
#define TURNPIKE_RUNTIME_TRANSPORT_DTLS_STATS_H_

#include <cstdint>

namespace turnpike::runtime {

struct DtlsStats {
  uint64_t opened = 0;
  // Datagrams from an unknown address dropped with no state made: not a
  // well-formed DTLS ClientHello; max-dtls-handshakes associations were
  // already in their handshake; the client IP held
  // max-connections-per-ip already.
  uint64_t dropped_not_client_hello = 0;
  uint64_t refused_handshake_cap = 0;
  uint64_t refused_by_limit = 0;
  // Closed by us: handshake not done within tls-handshake-timeout, no
  // allocation within idle-timeout, the DTLS session failed (fatal alert,
  // handshake failure, retransmissions exhausted).
  uint64_t closed_handshake_timeout = 0;
  uint64_t closed_idle = 0;
  uint64_t closed_secure_session = 0;
  // The client sent close_notify.
  uint64_t closed_by_client = 0;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_DTLS_STATS_H_
