#include "runtime/system_random.h"

#include <openssl/rand.h>

#include "core/util/check.h"

namespace turnpike::runtime {

void SystemRandom::Fill(absl::Span<uint8_t> out) {
  // RAND_bytes cannot fail in BoringSSL (it aborts rather than return
  // weak bytes); the check documents that assumption.
  TURNPIKE_CHECK(RAND_bytes(out.data(), out.size()) == 1,
                 "RAND_bytes failed: no safe random bytes");
}

}  // namespace turnpike::runtime
