#include "core/auth/rest_credential_store.h"

#include <cstdint>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "core/stun/integrity.h"
#include "core/util/absl_compat.h"

namespace turnpike::core::auth {

namespace {

absl::Span<const uint8_t> Bytes(std::string_view text) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(text.data()),
                             text.size());
}

}  // namespace

absl::StatusOr<RestCredentialStore> RestCredentialStore::Create(
    std::string realm, std::vector<std::string> secrets,
    absl::Duration max_lifetime) {
  if (secrets.empty()) {
    return absl::InvalidArgumentError(
        "rest-secret: give at least one shared secret");
  }
  for (const std::string& secret : secrets) {
    if (secret.empty()) {
      return absl::InvalidArgumentError(
          "rest-secret: a secret is empty; remove it or set a value");
    }
  }
  if (max_lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "rest-max-lifetime: must be positive; give the longest time, in "
        "seconds, your web service's credentials are valid for");
  }
  RestCredentialStore store;
  store.realm_ = std::move(realm);
  store.secrets_ = std::move(secrets);
  store.max_lifetime_ = max_lifetime;
  return store;
}

std::optional<absl::Time> RestCredentialStore::ExpiryOf(
    std::string_view username) {
  // "<expiry>:<user>", or a bare "<expiry>" as coturn also accepts.
  const std::string_view digits = username.substr(0, username.find(':'));
  // Digits only (absl::SimpleAtoi would also take a sign or spaces), and no
  // more than an int64 can hold: untrusted, from the client.
  if (digits.empty() || digits.size() > 19 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(ToAbsl(digits), &seconds)) return std::nullopt;
  return absl::FromUnixSeconds(seconds);
}

CredentialCandidates RestCredentialStore::Find(std::string_view username,
                                               std::string_view realm,
                                               absl::Time wall) const {
  CredentialCandidates out;
  if (realm != realm_) return out;
  std::optional<absl::Time> expiry = ExpiryOf(username);
  // The credential is dead from its expiry second on, and useless once less
  // than a whole second (the unit of LIFETIME) is left. One that claims to
  // live longer than the operator's maximum was not minted by a web service
  // that follows it: refused like an unknown user.
  if (!expiry || *expiry - wall < absl::Seconds(1) ||
      *expiry - wall > max_lifetime_) {
    return out;
  }
  for (const std::string& secret : secrets_) {
    // password = base64(HMAC-SHA1(secret, username)), RFC 4648 §4 alphabet
    // with padding (draft-uberti-behave-turn-rest-00).
    const auto mac = stun::HmacSha1(Bytes(secret), Bytes(username));
    out.push_back({std::string(username),
                   absl::Base64Escape(ToAbsl(std::string_view(
                       reinterpret_cast<const char*>(mac.data()), mac.size()))),
                   expiry});
  }
  return out;
}

}  // namespace turnpike::core::auth
