// The fixed world server_fuzzer drives: the server configuration, the
// deterministic collaborators, and the small sets of client 5-tuples and
// peers the fuzz input chooses from. Kept small on purpose: a handful of
// choices per step lets libFuzzer find the combinations (same user on two
// tuples, two tuples on one IP) that reach the quota and policy branches.
#ifndef TURNPIKE_FUZZ_SERVER_FUZZ_WORLD_H_
#define TURNPIKE_FUZZ_SERVER_FUZZ_WORLD_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/types/span.h"
#include "core/config.h"
#include "core/deps.h"
#include "core/policy/local_quota_ledger.h"
#include "core/types.h"

namespace turnpike::fuzz {

inline constexpr std::string_view kRealm = "turnpike";
inline constexpr std::array<std::string_view, 3> kUsers = {"alice", "bob",
                                                           "carol"};

// A SplitMix64 stream restarted for every input, so a saved input replays
// the same nonce key, tokens and transaction IDs.
class FuzzRandom final : public core::Random {
 public:
  void Fill(absl::Span<uint8_t> out) override;

 private:
  uint64_t state_ = 0x7475726E70696B65;  // "turnpike"
};

// Three users of the configured realm, with USERHASH lookup (RFC 8489
// §14.4).
class FuzzCredentials final : public core::CredentialStore {
 public:
  // The configuration's realm (server_fuzz_config.h varies it).
  std::string realm = std::string(kRealm);

  core::CredentialCandidates Find(std::string_view username,
                                  std::string_view realm,
                                  absl::Time wall) const override;
  core::CredentialCandidates FindByUserhash(absl::Span<const uint8_t> userhash,
                                            std::string_view realm,
                                            absl::Time wall) const override;
};

// Every integrity check passes, so HMACs never stop an input short of the
// allocation states (DESIGN.md: ngtcp2's null AEAD). The server still
// derives keys and signs its responses, so that code is covered too.
class AcceptAllAuthenticator final : public core::MessageAuthenticator {
 public:
  stun::IntegrityResult Check(const stun::MessageView&, bool,
                              absl::Span<const uint8_t>) const override {
    return stun::IntegrityResult::kOk;
  }
};

// Small on purpose: total 3, per user 2, per client IP 2. Three of the four
// tuples share one IP, so 486 (user and IP) and 508 (capacity) are reachable.
inline constexpr core::LocalQuotaLedger::Limits kQuotaLimits{
    .total = 3, .per_user = 2, .per_client_ip = 2};

// IPv4 and IPv6 relays, a 30 s nonce (438 after a time step), a bandwidth
// cap a few packets exceed, and peer rules that allow one private /24 and
// deny one public /24 on top of the default special-purpose denials.
core::ServerConfig FuzzConfig();
// What a reload (SIGHUP) may switch to: the public peer denied, all of
// 10.0.0.0/8 allowed.
core::PeerFilterRules ReloadedPeerRules();

// UDP 192.0.2.10:40000 and :40001 on listener 0 (198.51.100.1:3478), UDP
// [2001:db8::10]:50000 on listener 1 ([2001:db8::1]:3478), and three TCP
// connections (ids 1, 2, 3) from 192.0.2.10:40002-40004 on listener 2
// (198.51.100.1:3478): one to hold a TCP allocation, two more to become
// RFC 6062 data connections (or hold allocations of their own).
inline constexpr size_t kTupleCount = 6;
const core::FiveTuple& Tuple(size_t index);

// Peers: public, allowed by rule, denied by default (loopback, RFC 1918,
// IPv4-mapped loopback, link-local metadata), denied by rule, public IPv6,
// a second port on the first peer's IP, and 127.0.0.1 inside NAT64 and
// 6to4 addresses.
inline constexpr size_t kPeerCount = 12;
const TransportAddress& Peer(size_t index);

// The addresses the fuzzer reports relays bound to, per family.
IpAddress RelayIp(AddressFamily family);

// The first monotonic instant; later than zero so "now - 1ns" exists.
core::Now StartTime();

}  // namespace turnpike::fuzz

#endif  // TURNPIKE_FUZZ_SERVER_FUZZ_WORLD_H_
