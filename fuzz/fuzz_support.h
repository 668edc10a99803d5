// Shared by the libFuzzer targets and the seed generator: the invariant
// check that turns a broken property into a crash libFuzzer records, and the
// fixed HMAC key the seeds are signed with.
#ifndef TURNPIKE_FUZZ_FUZZ_SUPPORT_H_
#define TURNPIKE_FUZZ_FUZZ_SUPPORT_H_

#include <cstdint>
#include <cstdio>
#include <string_view>

#include "absl/types/span.h"

// A failed property is a bug in the code under test (or in the fuzzer): print
// where, then trap so libFuzzer saves the input as crash-<sha1>. Not assert():
// it must stay on in every build type.
#define FUZZ_CHECK(condition)                                          \
  do {                                                                 \
    if (!(condition)) {                                                \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, \
                   __LINE__, #condition);                              \
      __builtin_trap();                                                \
    }                                                                  \
  } while (false)

namespace turnpike::fuzz {

// The short-term password every generated seed is signed with, so the
// integrity checks in stun_message_fuzzer see both "ok" and "bad" results.
inline constexpr std::string_view kFuzzPassword = "turnpike-fuzz-password";

inline absl::Span<const uint8_t> FuzzKey() {
  return absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(kFuzzPassword.data()),
      kFuzzPassword.size());
}

}  // namespace turnpike::fuzz

#endif  // TURNPIKE_FUZZ_FUZZ_SUPPORT_H_
