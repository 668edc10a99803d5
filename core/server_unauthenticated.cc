// Server: answers to requests that proved no password go through the
// per-source limiter first (core/policy/source_rate_limiter.h). Only these
// answers are limited: once a request's integrity checks, its source is not
// spoofed (the nonce is bound to the client address, RFC 8489 §9.2) and it
// is answered in full.
#include "core/server.h"

namespace turnpike::core {

void Server::ChallengeUnauthenticated(const Now& now, const FiveTuple& to,
                                      const stun::MessageView& request,
                                      int code) {
  switch (unauthenticated_limiter_.Allow(now.mono, to.client.ip)) {
    case SourceRateLimiter::Verdict::kAllowed:
      Challenge(now, to, request, code, /*minimal=*/true);
      return;
    case SourceRateLimiter::Verdict::kLimited:
      Drop(DropReason::kUnauthenticatedLimited);
      return;
    case SourceRateLimiter::Verdict::kTableFull:
      Drop(DropReason::kUnauthenticatedTableFull);
      return;
  }
}

}  // namespace turnpike::core
