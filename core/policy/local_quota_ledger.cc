#include "core/policy/local_quota_ledger.h"

#include "core/util/absl_compat.h"
#include "core/util/check.h"

namespace turnpike::core {

namespace {

bool Reached(uint32_t count, uint32_t limit) {
  return limit != 0 && count >= limit;
}

}  // namespace

QuotaVerdict LocalQuotaLedger::TryAcquire(std::string_view username,
                                          const IpAddress& client_ip) {
  if (Reached(total_, limits_.total)) return QuotaVerdict::kCapacity;
  if (Reached(for_user(username), limits_.per_user)) {
    return QuotaVerdict::kUserQuota;
  }
  if (Reached(for_ip(client_ip), limits_.per_client_ip)) {
    return QuotaVerdict::kClientIpQuota;
  }
  ++total_;
  ++by_user_[ToAbsl(username)];
  ++by_ip_[client_ip];
  return QuotaVerdict::kGranted;
}

void LocalQuotaLedger::Release(std::string_view username,
                               const IpAddress& client_ip) {
  auto user = by_user_.find(ToAbsl(username));
  auto ip = by_ip_.find(client_ip);
  TURNPIKE_CHECK(total_ != 0 && user != by_user_.end() && ip != by_ip_.end(),
                 "Release without a matching TryAcquire (a bug, not input)");
  --total_;
  if (--user->second == 0) by_user_.erase(user);
  if (--ip->second == 0) by_ip_.erase(ip);
}

uint32_t LocalQuotaLedger::for_user(std::string_view username) const {
  auto it = by_user_.find(ToAbsl(username));
  return it == by_user_.end() ? 0 : it->second;
}

uint32_t LocalQuotaLedger::for_ip(const IpAddress& client_ip) const {
  auto it = by_ip_.find(client_ip);
  return it == by_ip_.end() ? 0 : it->second;
}

}  // namespace turnpike::core
