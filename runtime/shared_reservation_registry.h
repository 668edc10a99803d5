// The EVEN-PORT reservations every worker of a process shares (RFC 8656
// §7.2; runtime/supervisor.h): core::LocalReservationRegistry behind a
// mutex, and beside each reservation its port+1 socket as a bare
// descriptor. While reserved nothing reads the socket (datagrams wait in
// its kernel buffer), so it needs no loop: the worker that reserved it
// hands the descriptor over (ShareReservation), and the worker whose core
// claims the token adopts it as the new allocation's relay socket, which
// is thereafter read on that worker's loop only. No cross-thread hop on
// the data path: the registry is touched per reserving Allocate, claim and
// release, never per packet.
#ifndef TURNPIKE_RUNTIME_SHARED_RESERVATION_REGISTRY_H_
#define TURNPIKE_RUNTIME_SHARED_RESERVATION_REGISTRY_H_

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "core/deps.h"
#include "core/policy/local_reservation_registry.h"

namespace turnpike::runtime {

class SharedReservationRegistry final : public core::ReservationRegistry {
 public:
  SharedReservationRegistry() = default;
  // Closes every descriptor still held.
  ~SharedReservationRegistry() override;
  SharedReservationRegistry(const SharedReservationRegistry&) = delete;
  SharedReservationRegistry& operator=(const SharedReservationRegistry&) =
      delete;

  // core::ReservationRegistry, from any worker's core. A Claim moves the
  // descriptor aside for TakeClaimed; a Release closes it.
  uint64_t Add(uint64_t token, const TransportAddress& address,
               core::MonoTime expiry) override;
  std::optional<core::SharedReservation> Claim(
      uint64_t token, core::MonoTime now,
      absl::FunctionRef<bool(const core::SharedReservation&)> accept) override;
  bool HoldQuota(uint64_t token, std::string_view username,
                 const IpAddress& client_ip) override;
  std::optional<core::SharedReservation> Release(uint64_t token) override;

  // The reserving worker's runtime: the descriptor of `token`'s socket
  // (ShareReservation), now the registry's. When the reservation is no
  // longer registered, the descriptor is closed.
  void Attach(uint64_t token, int fd);
  // The claiming worker's runtime: the descriptor its core's Claim of
  // `token` took, now the caller's; -1 when there is none (its reserving
  // worker never attached one).
  int TakeClaimed(uint64_t token);

  // Reservations registered, and descriptors held (reserved or claimed
  // and not taken yet).
  size_t size() const;
  size_t descriptors() const;

 private:
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  core::LocalReservationRegistry registry_;
  absl::flat_hash_map<uint64_t, int> reserved_fds_;
  absl::flat_hash_map<uint64_t, int> claimed_fds_;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_SHARED_RESERVATION_REGISTRY_H_
