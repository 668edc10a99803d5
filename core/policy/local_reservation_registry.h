// core::ReservationRegistry on one thread: the map of reservations by
// token and the rule that a token is claimed or released once. Core tests
// share one between several Servers (the workers of a process);
// runtime::SharedReservationRegistry puts it behind a mutex, with the
// reserved sockets beside it.
#ifndef TURNPIKE_CORE_POLICY_LOCAL_RESERVATION_REGISTRY_H_
#define TURNPIKE_CORE_POLICY_LOCAL_RESERVATION_REGISTRY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "core/deps.h"

namespace turnpike::core {

class LocalReservationRegistry final : public ReservationRegistry {
 public:
  uint64_t Add(uint64_t token, const TransportAddress& address,
               MonoTime expiry) override;
  std::optional<SharedReservation> Claim(
      uint64_t token, MonoTime now,
      absl::FunctionRef<bool(const SharedReservation&)> accept) override;
  bool HoldQuota(uint64_t token, std::string_view username,
                 const IpAddress& client_ip) override;
  std::optional<SharedReservation> Release(uint64_t token) override;

  // Registered reservations, neither claimed nor released yet.
  size_t size() const { return reservations_.size(); }
  bool Contains(uint64_t token) const { return reservations_.contains(token); }

 private:
  absl::flat_hash_map<uint64_t, SharedReservation> reservations_;
};

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_POLICY_LOCAL_RESERVATION_REGISTRY_H_
