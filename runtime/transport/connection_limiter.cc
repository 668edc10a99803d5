#include "runtime/transport/connection_limiter.h"

#include "core/util/check.h"

namespace turnpike::runtime {

bool ConnectionLimiter::TryAcquire(const IpAddress& ip) {
  const IpAddress key = ip.Unmapped();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = counts_.find(key);
  const uint32_t held = it == counts_.end() ? 0 : it->second;
  if (limit_ != 0 && held >= limit_) {
    ++refused_;
    return false;
  }
  if (it == counts_.end()) {
    counts_.emplace(key, 1);
  } else {
    ++it->second;
  }
  return true;
}

void ConnectionLimiter::Release(const IpAddress& ip) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = counts_.find(ip.Unmapped());
  TURNPIKE_CHECK(it != counts_.end() && it->second > 0,
                 "ConnectionLimiter::Release of an IP that holds no slot");
  // The entry goes with the last connection, so memory follows live IPs.
  if (--it->second == 0) counts_.erase(it);
}

void ConnectionLimiter::SetLimit(uint32_t limit) {
  std::lock_guard<std::mutex> lock(mutex_);
  limit_ = limit;
}

uint32_t ConnectionLimiter::limit() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return limit_;
}

size_t ConnectionLimiter::tracked_ips() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counts_.size();
}

uint64_t ConnectionLimiter::refused() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return refused_;
}

uint32_t ConnectionLimiter::count(const IpAddress& ip) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = counts_.find(ip.Unmapped());
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace turnpike::runtime
