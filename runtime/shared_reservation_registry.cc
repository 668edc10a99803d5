#include "runtime/shared_reservation_registry.h"

#include <unistd.h>

#include <utility>

namespace turnpike::runtime {
namespace {

// Takes `token`'s descriptor out of `fds`; -1 when it has none.
int Take(absl::flat_hash_map<uint64_t, int>& fds, uint64_t token) {
  auto it = fds.find(token);
  if (it == fds.end()) return -1;
  const int fd = it->second;
  fds.erase(it);
  return fd;
}

}  // namespace

SharedReservationRegistry::~SharedReservationRegistry() {
  for (const auto* fds : {&reserved_fds_, &claimed_fds_}) {
    for (const auto& [token, fd] : *fds) ::close(fd);
  }
}

uint64_t SharedReservationRegistry::Add(uint64_t token,
                                        const TransportAddress& address,
                                        core::MonoTime expiry) {
  std::lock_guard<std::mutex> lock(mutex_);
  return registry_.Add(token, address, expiry);
}

std::optional<core::SharedReservation> SharedReservationRegistry::Claim(
    uint64_t token, core::MonoTime now,
    absl::FunctionRef<bool(const core::SharedReservation&)> accept) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::optional<core::SharedReservation> claimed =
      registry_.Claim(token, now, accept);
  if (claimed) {
    const int fd = Take(reserved_fds_, token);
    if (fd >= 0) claimed_fds_[token] = fd;
  }
  return claimed;
}

bool SharedReservationRegistry::HoldQuota(uint64_t token,
                                          std::string_view username,
                                          const IpAddress& client_ip) {
  std::lock_guard<std::mutex> lock(mutex_);
  return registry_.HoldQuota(token, username, client_ip);
}

std::optional<core::SharedReservation> SharedReservationRegistry::Release(
    uint64_t token) {
  int fd = -1;
  std::optional<core::SharedReservation> released;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    released = registry_.Release(token);
    if (released) fd = Take(reserved_fds_, token);
  }
  // RFC 8656 §7.2: the unclaimed port is free again.
  if (fd >= 0) ::close(fd);
  return released;
}

void SharedReservationRegistry::Attach(uint64_t token, int fd) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Registered and untaken: a claim cannot have come before the token
    // was sent, but a stale or guessed one is harmless either way.
    if (registry_.Contains(token) && !reserved_fds_.contains(token)) {
      reserved_fds_.emplace(token, fd);
      return;
    }
  }
  ::close(fd);
}

int SharedReservationRegistry::TakeClaimed(uint64_t token) {
  std::lock_guard<std::mutex> lock(mutex_);
  return Take(claimed_fds_, token);
}

size_t SharedReservationRegistry::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return registry_.size();
}

size_t SharedReservationRegistry::descriptors() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return reserved_fds_.size() + claimed_fds_.size();
}

}  // namespace turnpike::runtime
