// The collaborators a Server is given instead of reaching for them itself
// (DESIGN.md "Core API"): randomness, the credential snapshot, the integrity
// check and the quota counters. Each is an interface so tests inject a
// counter Random and fuzzers an accept-all authenticator, and so workers can
// share one QuotaLedger. None of them may block: the core calls them on the
// packet path.
#ifndef TURNPIKE_CORE_DEPS_H_
#define TURNPIKE_CORE_DEPS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/net/transport_address.h"
#include "core/stun/constants.h"
#include "core/stun/integrity.h"
#include "core/stun/message_view.h"
#include "core/types.h"

namespace turnpike::core {

// Unpredictable bytes: nonce keys, reservation tokens, relay port choice.
// Production uses BoringSSL's RAND_bytes (runtime/); tests a counter.
class Random {
 public:
  virtual ~Random() = default;
  virtual void Fill(absl::Span<uint8_t> out) = 0;
};

// The long-term credential of one user for one realm (RFC 8489 §9.2). The
// password is already OpaqueString-prepared; keys are derived per request.
struct Credential {
  std::string username;  // the name the keys hash (for USERHASH: resolved)
  std::string password;
  // When the credential stops being valid (TURN REST credentials carry it
  // in the username); nullopt for ones that do not expire. No allocation
  // is granted a lifetime past it.
  std::optional<absl::Time> expires = std::nullopt;
  // Set for a user stored as a key rather than a password (coturn's
  // `turnadmin -k`, restund's filedb; RFC 8489 §9.2.2): `key` is the
  // long-term key of this algorithm and `password` is empty. The password
  // it came from is unknown, so the user can authenticate only with this
  // algorithm.
  std::optional<stun::PasswordAlgorithmId> key_algorithm = std::nullopt;
  stun::HmacKey key = {};
};

// What a lookup may return: usually one credential; several while TURN REST
// secrets are being rotated (one candidate password per accepted secret), in
// which case the request's integrity decides which one the client holds.
using CredentialCandidates = absl::InlinedVector<Credential, 2>;

// An in-memory snapshot of the user database, read synchronously on the
// packet path. Implementations: StaticCredentialStore (users from config),
// RestCredentialStore (TURN REST API shared secrets), and a chain of both.
class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  // The credentials for `username` in `realm`; empty when there is none or
  // it has expired at `wall` (REST credentials carry their expiry).
  virtual CredentialCandidates Find(std::string_view username,
                                    std::string_view realm,
                                    absl::Time wall) const = 0;
  // RFC 8489 §14.4 USERHASH: the credentials whose SHA-256(username ":"
  // realm) is `userhash`. Stores that cannot enumerate users (REST) return
  // none.
  virtual CredentialCandidates FindByUserhash(
      absl::Span<const uint8_t> userhash, std::string_view realm,
      absl::Time wall) const = 0;
};

// Checks the integrity attribute of a request with a key. Production is
// the real HMAC (HmacAuthenticator); the whole-server fuzzer accepts all so
// that its inputs reach the allocation states (ngtcp2's null AEAD).
//
// The key's derivation (PASSWORD-ALGORITHM: MD5 or SHA-256 of
// username:realm:password) and the attribute's HMAC (MESSAGE-INTEGRITY is
// HMAC-SHA1, MESSAGE-INTEGRITY-SHA256 is HMAC-SHA256) are independent
// choices of the client (RFC 8489 §9.2.2, §14.5, §14.6).
class MessageAuthenticator {
 public:
  virtual ~MessageAuthenticator() = default;
  // `sha256`: check MESSAGE-INTEGRITY-SHA256 rather than MESSAGE-INTEGRITY.
  virtual stun::IntegrityResult Check(const stun::MessageView& message,
                                      bool sha256,
                                      absl::Span<const uint8_t> key) const = 0;
};

class HmacAuthenticator final : public MessageAuthenticator {
 public:
  stun::IntegrityResult Check(const stun::MessageView& message, bool sha256,
                              absl::Span<const uint8_t> key) const override {
    return sha256 ? stun::CheckMessageIntegritySha256(message, key)
                  : stun::CheckMessageIntegrity(message, key);
  }
};

enum class QuotaVerdict : uint8_t {
  kGranted,
  kUserQuota,      // the user has its maximum of allocations → 486
  kClientIpQuota,  // the client address has its maximum → 486
  kCapacity,       // the server-wide maximum → 508
};

// Counts live allocations across every worker of a process. The limits live
// in the ledger so the runtime can change them while the relay runs.
class QuotaLedger {
 public:
  virtual ~QuotaLedger() = default;
  // Counts one allocation for `username` from `client_ip` when no limit
  // would be exceeded; counts nothing otherwise.
  virtual QuotaVerdict TryAcquire(std::string_view username,
                                  const IpAddress& client_ip) = 0;
  // Gives back what one granted TryAcquire counted.
  virtual void Release(std::string_view username,
                       const IpAddress& client_ip) = 0;
};

// RFC 8656 §7.2 EVEN-PORT R=1 across the workers of a process. The
// Allocate carrying a RESERVATION-TOKEN usually comes from another client
// socket (RTCP beside RTP), which the kernel may hand to another worker:
// each worker's Server registers its reservations here, and any worker
// claims one. The registry decides who gets a token: at most one Claim or
// Release of a registered token succeeds, so a reserved port is used once
// and freed once. Taken once per reserving Allocate, claim and release,
// never per packet.
struct SharedReservation {
  TransportAddress address;  // port+1, as advertised
  MonoTime expiry;
  // Set once the allocation that made it is gone: the quota slot the
  // reservation holds from then on, and whose it is.
  bool holds_quota = false;
  std::string username;
  IpAddress client_ip;
};

class ReservationRegistry {
 public:
  virtual ~ReservationRegistry() = default;
  // Registers a reservation under `token`, or under the next token no
  // registered reservation uses; returns the token used.
  virtual uint64_t Add(uint64_t token, const TransportAddress& address,
                       MonoTime expiry) = 0;
  // Takes the reservation under `token` for the caller's allocation when
  // it can be claimed (registered, not taken or released, `now` before its
  // expiry) and `accept` agrees; `accept` runs while no other call can
  // change it, so the quota decided there (which slot the claim counts)
  // holds. Returns the reservation taken; nullopt when there was none or
  // `accept` refused (then it stays registered).
  virtual std::optional<SharedReservation> Claim(
      uint64_t token, MonoTime now,
      absl::FunctionRef<bool(const SharedReservation&)> accept) = 0;
  // The allocation that made it is gone: from now on the reservation holds
  // that allocation's quota slot. False (nothing changes) when it was
  // already claimed or released, so the caller gives the slot back.
  virtual bool HoldQuota(uint64_t token, std::string_view username,
                         const IpAddress& client_ip) = 0;
  // Ends it unclaimed (expiry, shutdown), its port freed: the reservation
  // when this call ended it, nullopt when a claim or release came first.
  virtual std::optional<SharedReservation> Release(uint64_t token) = 0;
};

// Borrowed collaborators; each must outlive the Server.
struct Deps {
  Random* random = nullptr;
  const CredentialStore* credentials = nullptr;
  const MessageAuthenticator* authenticator = nullptr;
  QuotaLedger* quotas = nullptr;
  // nullptr (one worker): reservations are this Server's alone, kept in
  // its allocation table with their sockets in its runtime.
  ReservationRegistry* reservations = nullptr;
};

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_DEPS_H_
