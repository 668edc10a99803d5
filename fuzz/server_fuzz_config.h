// The configuration server_fuzzer runs under, varied by the input (issue
// 13: a configuration the check accepts must survive every packet, not
// only the one fixed world). Kept apart from server_fuzz_world so the
// packet script and the configuration evolve separately.
#ifndef TURNPIKE_FUZZ_SERVER_FUZZ_CONFIG_H_
#define TURNPIKE_FUZZ_SERVER_FUZZ_CONFIG_H_

#include <fuzzer/FuzzedDataProvider.h>

#include "core/config.h"
#include "core/policy/local_quota_ledger.h"

namespace turnpike::fuzz {

struct FuzzSetup {
  core::ServerConfig config;
  core::LocalQuotaLedger::Limits quotas;
};

// FuzzConfig() and kQuotaLimits when the input's selector byte is 0 (as it
// is once the input is used up); otherwise the realm (1 to 763 bytes),
// SOFTWARE (none to 763 bytes), password algorithms, lifetimes, nonce
// lifetime, bandwidth, channel range and quotas drawn from edges and the
// defaults. A realm and SOFTWARE that the configuration check refuses
// together are first checked to be refused by it, then SOFTWARE is dropped
// (so the run goes on with a configuration the check accepts).
FuzzSetup VaryConfig(FuzzedDataProvider& input);

}  // namespace turnpike::fuzz

#endif  // TURNPIKE_FUZZ_SERVER_FUZZ_CONFIG_H_
