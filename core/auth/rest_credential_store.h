// TURN REST API ephemeral credentials (draft-uberti-behave-turn-rest-00,
// coturn's use-auth-secret): a web service that shares a secret with the
// relay hands out
//   username = "<unix expiry seconds>[:<user>]"
//   password = base64(HMAC-SHA1(secret, username))
// so the relay can check any such credential without a user database.
// Several secrets are accepted at once so that one can be rotated without
// a flag day; each yields one candidate password and the request's
// integrity picks the one the client holds.
#ifndef TURNPIKE_CORE_AUTH_REST_CREDENTIAL_STORE_H_
#define TURNPIKE_CORE_AUTH_REST_CREDENTIAL_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/deps.h"

namespace turnpike::core::auth {

class RestCredentialStore final : public CredentialStore {
 public:
  // Fails when there is no secret or one is empty, or when `max_lifetime`
  // is not positive. A credential whose expiry lies more than
  // `max_lifetime` after the time it is used is refused: a leaked one
  // minted (or forged with a leaked secret) for "forever" is not honoured.
  static absl::StatusOr<RestCredentialStore> Create(
      std::string realm, std::vector<std::string> secrets,
      absl::Duration max_lifetime = absl::InfiniteDuration());

  // Nothing unless `username` starts with a decimal expiry that is at least
  // one second and at most the maximum lifetime after `wall` (a credential
  // expires at its expiry second, and an allocation is granted whole
  // seconds that end no later). Each candidate carries that expiry.
  CredentialCandidates Find(std::string_view username, std::string_view realm,
                            absl::Time wall) const override;
  // REST users cannot be enumerated, so USERHASH finds none.
  CredentialCandidates FindByUserhash(absl::Span<const uint8_t>,
                                      std::string_view,
                                      absl::Time) const override {
    return {};
  }

  // The expiry a REST username carries, or nullopt when it has none.
  static std::optional<absl::Time> ExpiryOf(std::string_view username);

 private:
  RestCredentialStore() = default;

  std::string realm_;
  std::vector<std::string> secrets_;
  absl::Duration max_lifetime_ = absl::InfiniteDuration();
};

}  // namespace turnpike::core::auth

#endif  // TURNPIKE_CORE_AUTH_REST_CREDENTIAL_STORE_H_
