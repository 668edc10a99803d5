// The quota ledger every worker of a process shares (runtime/supervisor.h):
// core::LocalQuotaLedger behind a mutex, so the total, per-user and
// per-client-IP caps hold across workers exactly rather than per worker.
// A mutex is enough: the core asks once per Allocate and once per
// deletion, never per relayed packet. Limits change from the reload
// thread while workers count.
#ifndef TURNPIKE_RUNTIME_SHARED_QUOTA_LEDGER_H_
#define TURNPIKE_RUNTIME_SHARED_QUOTA_LEDGER_H_

#include <cstdint>
#include <mutex>
#include <string_view>

#include "core/deps.h"
#include "core/policy/local_quota_ledger.h"

namespace turnpike::runtime {

class SharedQuotaLedger final : public core::QuotaLedger {
 public:
  using Limits = core::LocalQuotaLedger::Limits;

  explicit SharedQuotaLedger(Limits limits) : ledger_(limits) {}
  SharedQuotaLedger(const SharedQuotaLedger&) = delete;
  SharedQuotaLedger& operator=(const SharedQuotaLedger&) = delete;

  core::QuotaVerdict TryAcquire(std::string_view username,
                                const IpAddress& client_ip) override;
  void Release(std::string_view username, const IpAddress& client_ip) override;

  void SetLimits(Limits limits);
  Limits limits() const;
  // Live allocations counted, across every worker.
  uint32_t total() const;

 private:
  mutable std::mutex mutex_;
  core::LocalQuotaLedger ledger_;  // guarded by mutex_
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_SHARED_QUOTA_LEDGER_H_
