// A per-source rate limit for the answers the server gives to requests that
// proved no password (401, and 438 to a nonce it never issued): over UDP the
// source can be spoofed, so without a limit the relay reflects larger
// answers at a victim (RFC 8489 §9.2.4 challenge; DDoS note in RFC 8656
// §21.1). coturn's --unauthorized-ratelimit is the model; the differences
// are described in docs/security.md.
//
// Memory is fixed at construction whatever the number of sources: a
// set-associative table of `sets` × kWays entries, each holding an exact
// source key (the IPv4 address, or the /64 of an IPv6 address, which is what
// one subscriber gets, RFC 6177) and one timestamp. The set is chosen by a
// keyed hash (SipHash-2-4 with a per-process secret key), so an attacker
// cannot aim many sources at the set of a victim. Each entry is a token
// bucket kept as GCRA's one "theoretical arrival time" (ITU-T I.371): a
// bucket that has refilled completely is the same as no entry, so its way
// can be taken by a new source without granting anyone extra answers.
//
// Collisions: sources sharing a set each get their own exact budget as long
// as at most kWays of them are actively limited at once. A new source that
// finds every way of its set held by a source still refilling is refused
// (counted as table-full) rather than given a fresh bucket: that keeps the
// total number of answers bounded by entries × rate however many sources
// are spoofed, at the price of refusing new sources of a saturated set until
// one of its buckets refills (burst / rate seconds at most).
//
// Pure: time is an input; no clock, no allocation after construction.
#ifndef TURNPIKE_CORE_POLICY_SOURCE_RATE_LIMITER_H_
#define TURNPIKE_CORE_POLICY_SOURCE_RATE_LIMITER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/net/transport_address.h"
#include "core/types.h"

namespace turnpike::core {

class SourceRateLimiter {
 public:
  static constexpr size_t kWays = 8;

  struct Limits {
    // Answers per second per source; 0 = unlimited (Allow always says yes).
    uint32_t per_second = 0;
    // Answers a source may get at once after being quiet; at least 1.
    uint32_t burst = 1;
  };

  enum class Verdict : uint8_t {
    kAllowed,
    kLimited,    // the source spent its budget
    kTableFull,  // every way of the source's set is held by a busy source
  };

  // `sets` must be a power of two (Server::Create checks the config).
  // `hash_key` is secret per process.
  SourceRateLimiter(Limits limits, size_t sets,
                    std::array<uint64_t, 2> hash_key);

  // Whether `source` may be answered at `now`; an allowed answer is
  // charged. Time must not go backwards between calls.
  // An IPv4-mapped IPv6 address counts as its IPv4 address.
  Verdict Allow(MonoTime now, const IpAddress& source);

  bool unlimited() const { return limits_.per_second == 0; }
  // Entries in the table: fixed at construction.
  size_t capacity() const { return entries_.size(); }
  // Entries holding a source whose bucket is not yet full at `now`.
  size_t busy(MonoTime now) const;
  size_t memory_bytes() const { return entries_.size() * sizeof(Entry); }

 private:
  struct Entry {
    // IPv4: the 4 address bytes; IPv6: the first 8 (the /64); rest zero.
    std::array<uint8_t, 8> key{};
    AddressFamily family = AddressFamily::kIpv4;
    bool used = false;
    // GCRA: when the bucket would be full again; <= now means full.
    MonoTime full_at{};
  };

  Limits limits_;
  Duration interval_{};   // 1 s / per_second
  Duration tolerance_{};  // (burst - 1) × interval
  size_t set_mask_ = 0;
  std::array<uint64_t, 2> hash_key_;
  std::vector<Entry> entries_;
};

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_POLICY_SOURCE_RATE_LIMITER_H_
