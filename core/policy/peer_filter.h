// Which peer addresses the relay may reach (RFC 8656 §21.x security
// considerations; coturn CVE-2020-26262).
//
// A TURN server sends whatever a client asks to whatever address it names, so
// without a filter it is a proxy into its own network: loopback services,
// cloud metadata endpoints, the private LAN. By default every address in a
// special-purpose range is refused; operators open what they need with allow
// rules and close more with deny rules. The ranges and their verdicts are
// the table in core/policy/special_ranges.h (and docs/security.md).
//
// IPv6 forms that embed an IPv4 address (EmbeddedIpv4s: IPv4-mapped,
// -compatible and -translated, NAT64, 6to4, Teredo) are checked for both
// the IPv6 address and every embedded IPv4 one: a peer is refused when any
// is. That closes the bypass of CVE-2020-26262, where ::ffff:127.0.0.1
// reached loopback past a filter that only knew 127/8.
#ifndef TURNPIKE_CORE_POLICY_PEER_FILTER_H_
#define TURNPIKE_CORE_POLICY_PEER_FILTER_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/net/transport_address.h"
#include "core/policy/cidr.h"
#include "core/policy/special_ranges.h"

namespace turnpike::core {

enum class PeerVerdict : uint8_t {
  kAllowed,
  kDeniedByDefault,  // a special-purpose range not opened by an allow rule
  kDeniedByRule,     // an operator deny rule
};
std::string_view PeerVerdictName(PeerVerdict verdict);

struct PeerFilterRules {
  std::vector<Cidr> allow;
  std::vector<Cidr> deny;
  // Refuse the special-purpose ranges (SpecialRanges()) unless an
  // allow rule opens them. On by default; off only for closed test networks.
  bool deny_special_ranges = true;
};

class PeerFilter {
 public:
  explicit PeerFilter(PeerFilterRules rules);

  // The verdict for one address. Among the operator's rules the longest
  // matching prefix decides (a deny wins a tie), so "deny 10.0.0.0/8, allow
  // 10.1.2.3" opens exactly one host; with no matching rule, the default
  // ranges decide.
  PeerVerdict Check(const IpAddress& peer) const;
  bool Allows(const IpAddress& peer) const {
    return Check(peer) == PeerVerdict::kAllowed;
  }

  // Swaps in new rules and bumps generation(), so verdicts cached under the
  // old rules (turn::CachedVerdict) are re-evaluated on their next use.
  void Replace(PeerFilterRules rules);
  // Which rules are in force: 1 at construction, +1 per Replace, never 0
  // (it wraps past 0, so "never evaluated" stays distinct).
  uint32_t generation() const { return generation_; }

 private:
  PeerVerdict CheckOne(const IpAddress& address) const;

  PeerFilterRules rules_;
  uint32_t generation_ = 1;
};

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_POLICY_PEER_FILTER_H_
