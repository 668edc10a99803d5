// What the operator sets for connection-oriented clients (TCP, TLS, DTLS):
// certificates, per-client-IP connection limits and the timers that keep
// an idle or slow client from holding a connection (docs/security.md).
#ifndef TURNPIKE_RUNTIME_TRANSPORT_TRANSPORT_SETTINGS_H_
#define TURNPIKE_RUNTIME_TRANSPORT_TRANSPORT_SETTINGS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace turnpike::runtime {

// PEM files for tls:// and dtls:// listeners, re-read on SIGHUP.
struct TlsFiles {
  std::string certificate_chain;  // leaf first, then intermediates
  std::string private_key;
};

struct TransportSettings {
  std::optional<TlsFiles> tls;
  // Concurrent TCP and TLS connections and DTLS associations per client
  // IP, checked at accept before any TLS work (go-connlimit's rule). A
  // refused client is closed without a word: it learns neither the limit
  // nor the count. Changeable at run time (Worker::SetConnectionsPerIp);
  // lowering it closes nothing. 0 means no limit.
  uint32_t max_connections_per_ip = 0;
  // A connection that has no allocation after this long is closed
  // (RFC 8656 §3.1 leaves it to the server; coturn uses 60 s).
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  // A TLS or DTLS handshake not finished within this is abandoned
  // (slowloris).
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
  // DTLS associations still in their handshake, across all clients.
  uint32_t max_dtls_handshakes = 1024;
  // Bytes one stream connection may hold for a reader that is not keeping
  // up; past it whole messages are dropped (write_queue.h). The socket's
  // SO_SNDBUF is set to the same, so the kernel's share is bounded too.
  size_t write_queue_bytes = 256 * 1024;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_TRANSPORT_SETTINGS_H_
