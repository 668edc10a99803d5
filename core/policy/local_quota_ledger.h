// Allocation quotas counted in one process: the total (restund's
// turn_max_allocations), per user and per client IP (coturn's user-quota
// and per-IP limits). Single-threaded; the runtime puts a lock around the
// one its workers share. Limits may change at any time: lowering one never
// evicts an allocation, it only refuses new ones until the count drops.
#ifndef TURNPIKE_CORE_POLICY_LOCAL_QUOTA_LEDGER_H_
#define TURNPIKE_CORE_POLICY_LOCAL_QUOTA_LEDGER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "core/deps.h"

namespace turnpike::core {

class LocalQuotaLedger final : public QuotaLedger {
 public:
  // 0 means unlimited.
  struct Limits {
    uint32_t total = 0;
    uint32_t per_user = 0;
    uint32_t per_client_ip = 0;
  };

  LocalQuotaLedger() = default;
  explicit LocalQuotaLedger(Limits limits) : limits_(limits) {}

  void SetLimits(Limits limits) { limits_ = limits; }
  const Limits& limits() const { return limits_; }

  // Capacity is checked first (508 for everyone), then the user, then the
  // client address (486).
  QuotaVerdict TryAcquire(std::string_view username,
                          const IpAddress& client_ip) override;
  // Releasing what was never acquired is a bug in the caller: it traps.
  void Release(std::string_view username, const IpAddress& client_ip) override;

  uint32_t total() const { return total_; }
  uint32_t for_user(std::string_view username) const;
  uint32_t for_ip(const IpAddress& client_ip) const;
  // How many users and addresses hold at least one allocation: the maps
  // must not keep an entry per name or address ever seen.
  size_t users_counted() const { return by_user_.size(); }
  size_t ips_counted() const { return by_ip_.size(); }

 private:
  Limits limits_;
  uint32_t total_ = 0;
  // Entries at zero are erased, so the maps hold only live holders.
  absl::flat_hash_map<std::string, uint32_t> by_user_;
  absl::flat_hash_map<IpAddress, uint32_t> by_ip_;
};

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_POLICY_LOCAL_QUOTA_LEDGER_H_
