#include "runtime/system_random.h"

#include <openssl/rand.h>

#include <cstdlib>

namespace turnpike::runtime {

void SystemRandom::Fill(absl::Span<uint8_t> out) {
  // RAND_bytes cannot fail in BoringSSL (it aborts rather than return
  // weak bytes); the check documents that assumption.
  if (RAND_bytes(out.data(), out.size()) != 1) std::abort();
}

}  // namespace turnpike::runtime
