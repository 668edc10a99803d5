#include "runtime/shared_quota_ledger.h"

namespace turnpike::runtime {

core::QuotaVerdict SharedQuotaLedger::TryAcquire(std::string_view username,
                                                 const IpAddress& client_ip) {
  std::lock_guard<std::mutex> lock(mutex_);
  return ledger_.TryAcquire(username, client_ip);
}

void SharedQuotaLedger::Release(std::string_view username,
                                const IpAddress& client_ip) {
  std::lock_guard<std::mutex> lock(mutex_);
  ledger_.Release(username, client_ip);
}

void SharedQuotaLedger::SetLimits(Limits limits) {
  std::lock_guard<std::mutex> lock(mutex_);
  ledger_.SetLimits(limits);
}

SharedQuotaLedger::Limits SharedQuotaLedger::limits() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ledger_.limits();
}

uint32_t SharedQuotaLedger::total() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ledger_.total();
}

}  // namespace turnpike::runtime
