// The production core::Random: BoringSSL's RAND_bytes (the kernel's CSPRNG
// behind a fork-safe DRBG). The core asks for bytes only here, so nonce keys
// and reservation tokens differ across processes and restarts.
#ifndef TURNPIKE_RUNTIME_SYSTEM_RANDOM_H_
#define TURNPIKE_RUNTIME_SYSTEM_RANDOM_H_

#include "core/deps.h"

namespace turnpike::runtime {

class SystemRandom final : public core::Random {
 public:
  void Fill(absl::Span<uint8_t> out) override;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_SYSTEM_RANDOM_H_
