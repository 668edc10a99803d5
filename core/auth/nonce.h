// Stateless nonces (RFC 8489 §9.2): the server keeps no nonce table. A nonce
// carries its own expiry and an HMAC over that expiry, the client's
// transport address and the advertised security features, under a key
// drawn from the injected Random at start. Any worker holding the key can
// check it; a forged, foreign or edited nonce fails the HMAC, an old one is
// stale (438).
//
// Wire form (all characters legal in a quoted-string, RFC 8489 §14.10):
//   "obMatJos2" + base64(24-bit security features)      RFC 8489 §9.2
//   + base64(8-byte expiry || 16-byte truncated HMAC-SHA256)
// 9 + 4 + 32 = 45 characters.
//
// Security feature bits (IANA "STUN Security Features"): bit N is the value
// 1 << N of the 24-bit field, as in RFC 8489 Appendix B.1 whose nonce
// "obMatJos2AAAC..." (0x000002) sets bit 1, username anonymity, beside
// USERHASH.
#ifndef TURNPIKE_CORE_AUTH_NONCE_H_
#define TURNPIKE_CORE_AUTH_NONCE_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/net/transport_address.h"
#include "core/types.h"

namespace turnpike::core::auth {

inline constexpr std::string_view kNonceCookie = "obMatJos2";
inline constexpr uint32_t kFeaturePasswordAlgorithms = 1u << 0;
inline constexpr uint32_t kFeatureUsernameAnonymity = 1u << 1;

enum class NonceStatus : uint8_t {
  kValid,
  kStale,    // ours, intact, expired → 438 (RFC 8489 §9.2.4)
  kInvalid,  // not ours, edited, or for another client → 401 with a new one
};

struct NonceCheck {
  NonceStatus status = NonceStatus::kInvalid;
  uint32_t features = 0;  // as the nonce carries them (valid or stale)
};

class NonceCodec {
 public:
  using Key = std::array<uint8_t, 32>;

  NonceCodec(const Key& key, Duration lifetime, uint32_t features)
      : key_(key), lifetime_(lifetime), features_(features) {}

  // A nonce for `client`, valid from `now` for the configured lifetime.
  std::string Issue(MonoTime now, const TransportAddress& client) const;

  // Whether `nonce` (untrusted) is one Issue made for `client` and has
  // not expired at `now` (it expires exactly at issue time + lifetime).
  NonceCheck Check(std::string_view nonce, MonoTime now,
                   const TransportAddress& client) const;

  uint32_t features() const { return features_; }

 private:
  std::array<uint8_t, 16> Mac(int64_t expiry_ns, uint32_t features,
                              const TransportAddress& client) const;

  Key key_;
  Duration lifetime_;
  uint32_t features_;
};

}  // namespace turnpike::core::auth

#endif  // TURNPIKE_CORE_AUTH_NONCE_H_
