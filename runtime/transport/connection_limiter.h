// Concurrent connections per client IP for the connection-oriented
// transports (TCP, TLS, DTLS): the accept path asks TryAcquire before any
// other work (no TLS handshake, no buffer), and a refused client is closed
// without a word, so it learns neither the limit nor its count
// (docs/security.md). The workers of a process share one limiter, so the
// limit holds per process whichever worker the kernel hands a connection
// to (runtime/supervisor.h): every member is safe from any thread. A
// mutex is enough: it is taken once per accept and close, never per
// packet.
//
// IPv4-mapped IPv6 sources (what a dual-stack socket reports for an IPv4
// client) count as the IPv4 address they carry, so one client cannot get
// twice the limit by using both forms. Memory is proportional to the IPs
// that have a live connection: an IP's entry goes when its count reaches 0.
#ifndef TURNPIKE_RUNTIME_TRANSPORT_CONNECTION_LIMITER_H_
#define TURNPIKE_RUNTIME_TRANSPORT_CONNECTION_LIMITER_H_

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "core/net/transport_address.h"

namespace turnpike::runtime {

class ConnectionLimiter {
 public:
  // `limit` connections per IP at once; 0 means no limit.
  explicit ConnectionLimiter(uint32_t limit = 0) : limit_(limit) {}
  ConnectionLimiter(const ConnectionLimiter&) = delete;
  ConnectionLimiter& operator=(const ConnectionLimiter&) = delete;

  // Takes a slot for one more connection from `ip`: false (counted) when
  // `ip` already holds the limit.
  bool TryAcquire(const IpAddress& ip);
  // Gives back a slot TryAcquire granted. Releasing an IP that holds none
  // is a bug (a CHECK): the counts would drift and refuse honest clients.
  void Release(const IpAddress& ip);

  // Changes the limit at run time (SIGHUP). Lowering it evicts nobody: IPs
  // above the new limit keep their connections and are only refused new
  // ones until their count falls below it.
  void SetLimit(uint32_t limit);
  uint32_t limit() const;

  // Live connections of `ip` (after unmapping).
  uint32_t count(const IpAddress& ip) const;
  // IPs that hold at least one connection (the memory held).
  size_t tracked_ips() const;
  uint64_t refused() const;

 private:
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  uint32_t limit_;
  absl::flat_hash_map<IpAddress, uint32_t> counts_;
  uint64_t refused_ = 0;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_CONNECTION_LIMITER_H_
