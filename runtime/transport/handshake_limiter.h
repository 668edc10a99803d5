// max-dtls-handshakes (docs/security.md "TLS and DTLS"): DTLS associations
// in their handshake at once, across every dtls:// listener of every
// worker of the process. The supervisor owns one and every worker's
// listeners share it, so N workers hold the cap exactly rather than N
// times over; a lone worker makes its own. One atomic counter, taken per
// ClientHello that opens an association and per handshake that ends,
// never per relayed packet.
#ifndef TURNPIKE_RUNTIME_TRANSPORT_HANDSHAKE_LIMITER_H_
#define TURNPIKE_RUNTIME_TRANSPORT_HANDSHAKE_LIMITER_H_

#include <atomic>
#include <cstdint>

namespace turnpike::runtime {

class HandshakeLimiter {
 public:
  explicit HandshakeLimiter(uint32_t limit) : limit_(limit) {}
  HandshakeLimiter(const HandshakeLimiter&) = delete;
  HandshakeLimiter& operator=(const HandshakeLimiter&) = delete;

  // Takes a slot for one more handshake: false when `limit` are in
  // progress (exactly, whatever the threads racing for the last slot).
  bool TryAcquire();
  // Gives back a slot TryAcquire granted (the handshake finished or its
  // association went). Releasing more than was granted is a bug (CHECK).
  void Release();

  uint32_t limit() const { return limit_; }
  uint32_t in_progress() const {
    return in_progress_.load(std::memory_order_relaxed);
  }

 private:
  const uint32_t limit_;
  std::atomic<uint32_t> in_progress_{0};
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_HANDSHAKE_LIMITER_H_
