#include "core/policy/source_rate_limiter.h"

#include <openssl/siphash.h>

#include <algorithm>
#include <chrono>

namespace turnpike::core {
namespace {

// The part of an address that names one subscriber: an IPv4 address, or an
// IPv6 /64 (RFC 6177: a site gets at least a /64, so rotating the low bits
// must not buy a fresh budget).
std::array<uint8_t, 8> SourceKey(const IpAddress& source) {
  std::array<uint8_t, 8> key{};
  const size_t n = source.is_v4() ? 4 : 8;
  std::copy_n(source.bytes().begin(), n, key.begin());
  return key;
}

}  // namespace

SourceRateLimiter::SourceRateLimiter(Limits limits, size_t sets,
                                     std::array<uint64_t, 2> hash_key)
    : limits_(limits), set_mask_(sets - 1), hash_key_(hash_key) {
  if (limits_.per_second == 0) return;  // unlimited: no table at all
  limits_.burst = std::max<uint32_t>(limits_.burst, 1);
  interval_ = Duration(std::chrono::seconds(1)) / limits_.per_second;
  tolerance_ = interval_ * (limits_.burst - 1);
  entries_.resize(sets * kWays);
}

SourceRateLimiter::Verdict SourceRateLimiter::Allow(
    MonoTime now, const IpAddress& address) {
  if (unlimited()) return Verdict::kAllowed;
  // An IPv4-mapped address is the IPv4 client it carries: keyed by its
  // /64, every IPv4 client of a dual-stack socket would share one budget.
  const IpAddress source = address.Unmapped();
  const std::array<uint8_t, 8> key = SourceKey(source);
  uint8_t input[9];
  input[0] = static_cast<uint8_t>(source.family());
  std::copy(key.begin(), key.end(), input + 1);
  const uint64_t hash = SIPHASH_24(hash_key_.data(), input, sizeof(input));
  Entry* set = &entries_[(hash & set_mask_) * kWays];

  Entry* entry = nullptr;
  Entry* idle = nullptr;
  for (size_t way = 0; way < kWays; ++way) {
    Entry& candidate = set[way];
    if (candidate.used && candidate.family == source.family() &&
        candidate.key == key) {
      entry = &candidate;
      break;
    }
    // A full bucket carries no information: its way is free to take.
    if (!idle && (!candidate.used || candidate.full_at <= now)) {
      idle = &candidate;
    }
  }
  if (!entry) {
    if (!idle) return Verdict::kTableFull;
    entry = idle;
    entry->key = key;
    entry->family = source.family();
    entry->used = true;
    entry->full_at = now;
  }
  // GCRA: conforming while the bucket is at most `burst - 1` answers deep.
  const MonoTime start = std::max(entry->full_at, now);
  if (start - now > tolerance_) return Verdict::kLimited;
  entry->full_at = start + interval_;
  return Verdict::kAllowed;
}

size_t SourceRateLimiter::busy(MonoTime now) const {
  return static_cast<size_t>(
      std::count_if(entries_.begin(), entries_.end(), [now](const Entry& e) {
        return e.used && e.full_at > now;
      }));
}

}  // namespace turnpike::core
