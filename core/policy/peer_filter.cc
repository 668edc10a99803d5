#include "core/policy/peer_filter.h"

#include <utility>

namespace turnpike::core {
namespace {

// The longest prefix among `rules` that contains `address`, or -1.
int LongestMatch(const std::vector<Cidr>& rules, const IpAddress& address) {
  int best = -1;
  for (const Cidr& rule : rules) {
    if (rule.Contains(address) && rule.prefix_length() > best) {
      best = rule.prefix_length();
    }
  }
  return best;
}

}  // namespace

std::string_view PeerVerdictName(PeerVerdict verdict) {
  switch (verdict) {
    case PeerVerdict::kAllowed:
      return "allowed";
    case PeerVerdict::kDeniedByDefault:
      return "denied_special_range";
    case PeerVerdict::kDeniedByRule:
      return "denied_by_rule";
  }
  return "?";
}

PeerFilter::PeerFilter(PeerFilterRules rules) : rules_(std::move(rules)) {}

void PeerFilter::Replace(PeerFilterRules rules) {
  rules_ = std::move(rules);
  if (++generation_ == 0) generation_ = 1;
}

PeerVerdict PeerFilter::CheckOne(const IpAddress& address) const {
  const int allow = LongestMatch(rules_.allow, address);
  const int deny = LongestMatch(rules_.deny, address);
  if (deny >= 0 && deny >= allow) return PeerVerdict::kDeniedByRule;
  if (allow >= 0) return PeerVerdict::kAllowed;
  if (rules_.deny_special_ranges) {
    const SpecialRange* range = FindSpecialRange(address);
    if (range != nullptr && range->verdict == RangeVerdict::kDenied) {
      return PeerVerdict::kDeniedByDefault;
    }
  }
  return PeerVerdict::kAllowed;
}

PeerVerdict PeerFilter::Check(const IpAddress& peer) const {
  const PeerVerdict own = CheckOne(peer);
  if (own != PeerVerdict::kAllowed) return own;
  // Every embedded IPv4 address must pass on its own too (a kEmbedded row
  // is decided here alone).
  for (const IpAddress& v4 : EmbeddedIpv4s(peer)) {
    if (const PeerVerdict verdict = CheckOne(v4);
        verdict != PeerVerdict::kAllowed) {
      return verdict;
    }
  }
  return own;
}

}  // namespace turnpike::core
