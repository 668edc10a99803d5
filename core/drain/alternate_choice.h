// Which alternate server a drained Allocate is sent to (RFC 8489 §10).
//
// The rule is deterministic and stateless, so every worker of a process,
// and every retransmission of a request, picks the same alternate for the
// same client: among the configured alternates of the client's address
// family (RFC 8489 §14.15: "the IP address family MUST be identical to
// that of the source IP address of the request"), in configured order,
// the one at index FNV-1a-32(client IP bytes) mod count. Different clients
// spread over the alternates; one client always lands on the same one.
#ifndef TURNPIKE_CORE_DRAIN_ALTERNATE_CHOICE_H_
#define TURNPIKE_CORE_DRAIN_ALTERNATE_CHOICE_H_

#include <cstdint>
#include <optional>

#include "absl/types/span.h"
#include "core/net/transport_address.h"

namespace turnpike::core::drain {

// FNV-1a (32 bit) over the meaningful bytes of `ip` (4 or 16).
uint32_t ClientHash(const IpAddress& ip);

// The alternate for `client`, or nullopt when none has its family.
std::optional<TransportAddress> ChooseAlternate(
    absl::Span<const TransportAddress> alternates, const IpAddress& client);

}  // namespace turnpike::core::drain

#endif  // TURNPIKE_CORE_DRAIN_ALTERNATE_CHOICE_H_
