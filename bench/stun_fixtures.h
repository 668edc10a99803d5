// The messages the codec benchmarks parse, built once with MessageBuilder.
// They are shaped like real traffic: an ICE connectivity check as browsers
// send it, the bare Binding request a TURN client sends to learn its mapped
// address, and an authenticated Allocate request (RFC 8656 §7.1) after the
// 401 round trip.
#ifndef TURNPIKE_BENCH_STUN_FIXTURES_H_
#define TURNPIKE_BENCH_STUN_FIXTURES_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/net/transport_address.h"
#include "core/stun/constants.h"
#include "core/stun/integrity.h"

namespace turnpike::bench {

// Long-term credentials (RFC 8489 §9.2). ASCII only, so they are already in
// OpaqueString form and can be hashed as given.
inline constexpr std::string_view kUsername = "alice";
inline constexpr std::string_view kRealm = "turnpike.example";
inline constexpr std::string_view kPassword = "correct-horse-battery-staple";
// Short-term ICE credentials (RFC 8445 §7.2.2): "remote ufrag:local ufrag"
// and the remote password.
inline constexpr std::string_view kIceUsername = "f8Ks:Zq3P";
inline constexpr std::string_view kIcePassword = "u9ZkqJ2pW7vXbN4cR1tYhE0s";
inline constexpr std::string_view kSoftware = "turnpike 0.1.0";

inline constexpr uint32_t kLifetimeSeconds = 600;
// RFC 5737 documentation addresses.
inline const TransportAddress kRelayedAddress{IpAddress::V4(0xCB007105),
                                              49152};  // 203.0.113.5
inline const TransportAddress kMappedAddress{IpAddress::V4(0xC6336407),
                                             54321};  // 198.51.100.7

// A fixed, non-trivial transaction ID; `seed` tells messages apart.
stun::TransactionId MakeTransactionId(uint8_t seed);

// Binding request of an ICE check: USERNAME, PRIORITY, ICE-CONTROLLING,
// USE-CANDIDATE, MESSAGE-INTEGRITY (short-term key), FINGERPRINT.
std::vector<uint8_t> IceCheckBindingRequest();
// Binding request to a TURN/STUN server: the header, plus FINGERPRINT when
// `with_fingerprint` (some clients send it, many do not).
std::vector<uint8_t> PlainBindingRequest(bool with_fingerprint);

// Authenticated Allocate request: USERNAME, REALM, NONCE,
// REQUESTED-TRANSPORT (UDP), LIFETIME, then for kMd5 MESSAGE-INTEGRITY, for
// kSha256 PASSWORD-ALGORITHMS, PASSWORD-ALGORITHM and
// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §9.2.4); FINGERPRINT last.
std::vector<uint8_t> AllocateRequest(stun::PasswordAlgorithmId algorithm);

// The long-term key of the credentials above.
stun::HmacKey CredentialsKey(stun::PasswordAlgorithmId algorithm);

// One ChannelData message (RFC 8656 §12.4) with a patterned payload, padded
// to a multiple of 4 when `stream_padding` (RFC 8656 §12.5).
std::vector<uint8_t> ChannelDataMessage(uint16_t channel, size_t payload_size,
                                        bool stream_padding);

}  // namespace turnpike::bench

#endif  // TURNPIKE_BENCH_STUN_FIXTURES_H_
