#include "fuzz/server_fuzz_world.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "core/policy/cidr.h"
#include "core/stun/constants.h"
#include "core/stun/integrity.h"

namespace turnpike::fuzz {
namespace {

TransportAddress Address(std::string_view text) {
  std::optional<TransportAddress> parsed = TransportAddress::Parse(text);
  if (!parsed) {
    // A typo in the tables below, not fuzz input.
    std::fprintf(stderr, "server_fuzz_world: bad address literal %.*s\n",
                 static_cast<int>(text.size()), text.data());
    std::abort();
  }
  return *parsed;
}

core::Cidr Prefix(std::string_view text) {
  std::optional<core::Cidr> parsed = core::Cidr::Parse(text);
  if (!parsed) {
    std::fprintf(stderr, "server_fuzz_world: bad prefix literal %.*s\n",
                 static_cast<int>(text.size()), text.data());
    std::abort();
  }
  return *parsed;
}

// Each user's password is its name: the authenticator accepts any HMAC, so
// the value only feeds the key derivation.
std::optional<std::string_view> KnownUser(std::string_view username) {
  for (std::string_view user : kUsers) {
    if (user == username) return user;
  }
  return std::nullopt;
}

}  // namespace

void FuzzRandom::Fill(absl::Span<uint8_t> out) {
  for (uint8_t& byte : out) {
    state_ += 0x9E3779B97F4A7C15;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
    byte = static_cast<uint8_t>(z ^ (z >> 31));
  }
}

core::CredentialCandidates FuzzCredentials::Find(std::string_view username,
                                                 std::string_view in_realm,
                                                 absl::Time) const {
  core::CredentialCandidates out;
  if (in_realm != realm) return out;
  if (std::optional<std::string_view> user = KnownUser(username)) {
    out.push_back({std::string(*user), std::string(*user)});
  }
  return out;
}

core::CredentialCandidates FuzzCredentials::FindByUserhash(
    absl::Span<const uint8_t> userhash, std::string_view in_realm,
    absl::Time) const {
  core::CredentialCandidates out;
  if (in_realm != realm) return out;
  for (std::string_view user : kUsers) {
    const auto hash = stun::ComputeUserhash(user, realm);
    if (absl::MakeConstSpan(hash) == userhash) {
      out.push_back({std::string(user), std::string(user)});
    }
  }
  return out;
}

core::ServerConfig FuzzConfig() {
  core::ServerConfig config;
  config.realm = std::string(kRealm);
  config.listeners = {
      {core::ListenerId{0}, core::Transport::kUdp,
       Address("198.51.100.1:3478")},
      {core::ListenerId{1}, core::Transport::kUdp,
       Address("[2001:db8::1]:3478")},
      {core::ListenerId{2}, core::Transport::kTcp,
       Address("198.51.100.1:3478")},
  };
  config.nonce_lifetime = std::chrono::seconds(30);
  config.relay_ipv4 = true;
  config.relay_ipv6 = true;
  config.bandwidth_bytes_per_second = 4000;
  config.peer_rules.allow = {Prefix("10.1.2.0/24")};
  config.peer_rules.deny = {Prefix("8.8.8.0/24")};
  // Drain (Action::kDrain): an IPv4 alternate only, so IPv4 clients get
  // 300 and IPv6 ones 508; the longest ALTERNATE-DOMAIN tests the budget.
  config.alternate_servers = {Address("203.0.113.20:3478")};
  config.alternate_domain =
      std::string(stun::kMaxAlternateDomainBytes - 1, 'd');
  return config;
}

core::PeerFilterRules ReloadedPeerRules() {
  core::PeerFilterRules rules;
  rules.allow = {Prefix("10.0.0.0/8")};
  rules.deny = {Prefix("93.184.216.0/24")};
  return rules;
}

const core::FiveTuple& Tuple(size_t index) {
  static const std::array<core::FiveTuple, kTupleCount> kTuples = {
      core::FiveTuple{core::Transport::kUdp, Address("192.0.2.10:40000"),
                      Address("198.51.100.1:3478"), core::ListenerId{0}},
      core::FiveTuple{core::Transport::kUdp, Address("192.0.2.10:40001"),
                      Address("198.51.100.1:3478"), core::ListenerId{0}},
      core::FiveTuple{core::Transport::kUdp, Address("[2001:db8::10]:50000"),
                      Address("[2001:db8::1]:3478"), core::ListenerId{1}},
      core::FiveTuple{core::Transport::kTcp, Address("192.0.2.10:40002"),
                      Address("198.51.100.1:3478"), core::ListenerId{2},
                      core::ConnectionId{1}},
      core::FiveTuple{core::Transport::kTcp, Address("192.0.2.10:40003"),
                      Address("198.51.100.1:3478"), core::ListenerId{2},
                      core::ConnectionId{2}},
      core::FiveTuple{core::Transport::kTcp, Address("192.0.2.10:40004"),
                      Address("198.51.100.1:3478"), core::ListenerId{2},
                      core::ConnectionId{3}},
  };
  return kTuples[index % kTupleCount];
}

const TransportAddress& Peer(size_t index) {
  static const std::array<TransportAddress, kPeerCount> kPeers = {
      Address("93.184.216.34:5000"),       // public
      Address("10.1.2.3:6000"),            // private, opened by the allow rule
      Address("127.0.0.1:7000"),           // loopback: denied by default
      Address("10.9.9.9:7000"),            // RFC 1918: denied by default
      Address("[::ffff:127.0.0.1]:7000"),  // CVE-2020-26262's bypass
      Address("169.254.169.254:80"),       // cloud metadata: link-local
      Address("8.8.8.8:53"),               // public, denied by rule
      Address("[2606:4700::1111]:5000"),   // public IPv6
      Address("[::1]:7000"),               // IPv6 loopback
      Address("93.184.216.34:5001"),       // the first peer, another port
      Address("[64:ff9b::7f00:1]:7000"),   // NAT64 form of 127.0.0.1
      Address("[2002:7f00:1::1]:7000"),    // 6to4 form of 127.0.0.1
  };
  return kPeers[index % kPeerCount];
}

IpAddress RelayIp(AddressFamily family) {
  static const TransportAddress kV4 = Address("203.0.113.5:0");
  static const TransportAddress kV6 = Address("[2001:db8:1::5]:0");
  return family == AddressFamily::kIpv6 ? kV6.ip : kV4.ip;
}

core::Now StartTime() {
  return {core::MonoTime(std::chrono::seconds(1000)),
          absl::FromUnixSeconds(1'800'000'000)};
}

}  // namespace turnpike::fuzz
