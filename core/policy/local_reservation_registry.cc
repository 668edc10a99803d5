#include "core/policy/local_reservation_registry.h"

#include <string>
#include <utility>

namespace turnpike::core {

uint64_t LocalReservationRegistry::Add(uint64_t token,
                                       const TransportAddress& address,
                                       MonoTime expiry) {
  // Tokens are random (core/server_allocate.cc): a clash is all but
  // impossible, and the next free one keeps every token unique.
  while (reservations_.contains(token)) ++token;
  SharedReservation reservation;
  reservation.address = address;
  reservation.expiry = expiry;
  reservations_.emplace(token, std::move(reservation));
  return token;
}

std::optional<SharedReservation> LocalReservationRegistry::Claim(
    uint64_t token, MonoTime now,
    absl::FunctionRef<bool(const SharedReservation&)> accept) {
  auto it = reservations_.find(token);
  // RFC 8656 §7.2: past its expiry the port is not the client's any more,
  // even when the reserving worker's timer has not fired yet (a busy
  // loop); that timer still releases it, once.
  if (it == reservations_.end() || now >= it->second.expiry) {
    return std::nullopt;
  }
  if (!accept(it->second)) return std::nullopt;
  SharedReservation claimed = std::move(it->second);
  reservations_.erase(it);
  return claimed;
}

bool LocalReservationRegistry::HoldQuota(uint64_t token,
                                         std::string_view username,
                                         const IpAddress& client_ip) {
  auto it = reservations_.find(token);
  if (it == reservations_.end()) return false;
  it->second.holds_quota = true;
  it->second.username = std::string(username);
  it->second.client_ip = client_ip;
  return true;
}

std::optional<SharedReservation> LocalReservationRegistry::Release(
    uint64_t token) {
  auto it = reservations_.find(token);
  if (it == reservations_.end()) return std::nullopt;
  SharedReservation released = std::move(it->second);
  reservations_.erase(it);
  return released;
}

}  // namespace turnpike::core
