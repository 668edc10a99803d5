// Server: the long-term credential mechanism of RFC 8489 §9.2, checked in
// the order of §9.2.4, with the stateless nonces of core/auth/nonce.h and
// the credential snapshot of Deps.
#include <algorithm>
#include <utility>

#include "core/server.h"
#include "core/stun/integrity.h"
#include "core/stun/opaque_string.h"

namespace turnpike::core {

using stun::PasswordAlgorithmId;

namespace {

// The password of the stand-in credential an unknown username is checked
// against. Nothing is granted with it: the request is refused whatever its
// integrity says.
constexpr std::string_view kNoSuchUserPassword = "turnpike: no such user";

// RFC 8489 §9.2.4 bid-down check (2): the PASSWORD-ALGORITHMS the client
// echoes must be exactly the list this server sent with the nonce.
bool EchoesOffer(absl::Span<const stun::PasswordAlgorithmValue> echoed,
                 absl::Span<const PasswordAlgorithmId> offered) {
  if (echoed.size() != offered.size()) return false;
  for (size_t i = 0; i < echoed.size(); ++i) {
    if (echoed[i].algorithm != static_cast<uint16_t>(offered[i]) ||
        !echoed[i].parameters.empty()) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<Server::RequestContext> Server::Authenticate(
    const Now& now, const FiveTuple& from, const stun::MessageView& request) {
  const bool fingerprint = request.Fingerprint().has_value();
  const Protection none{{}, false, fingerprint};
  auto verdict = [&](AuthOutcome outcome, std::string username) {
    Emit(AuthVerdict{
        {from, std::move(username), config_.realm}, request.method(), outcome});
  };

  // RFC 8489 §9.2.4: no integrity at all → 401 with REALM and NONCE.
  const bool has_sha256 = request.MessageIntegritySha256().has_value();
  if (!has_sha256 && !request.MessageIntegrity().has_value()) {
    verdict(AuthOutcome::kChallenged, "");
    ChallengeUnauthenticated(now, from, request,
                             stun::error_code::kUnauthenticated);
    return std::nullopt;
  }
  // Integrity but not the rest of the credentials → 400.
  std::optional<std::string_view> username = request.Username();
  std::optional<absl::Span<const uint8_t>> userhash = request.Userhash();
  std::optional<std::string_view> realm = request.Realm();
  std::optional<std::string_view> nonce = request.Nonce();
  if ((!username && !userhash) || !realm || !nonce) {
    verdict(AuthOutcome::kMissingCredentials,
            std::string(username.value_or("")));
    RespondError(from, request.header(), stun::error_code::kBadRequest, none);
    return std::nullopt;
  }

  // A nonce this server did not issue for this client address (forged,
  // from another server, or the client moved) gets a fresh one with 438,
  // so the client retries once instead of prompting for a password.
  const auth::NonceCheck nonce_check =
      nonces_.Check(*nonce, now.mono, from.client);
  if (nonce_check.status == auth::NonceStatus::kInvalid) {
    verdict(AuthOutcome::kStaleNonce, std::string(username.value_or("")));
    ChallengeUnauthenticated(now, from, request, stun::error_code::kStaleNonce);
    return std::nullopt;
  }

  // RFC 8489 §9.2.4 bid-down checks, since our nonce cookie sets the
  // password-algorithms feature bit.
  PasswordAlgorithmId algorithm = PasswordAlgorithmId::kMd5;
  std::optional<stun::PasswordAlgorithmValue> chosen =
      request.PasswordAlgorithm();
  absl::InlinedVector<stun::PasswordAlgorithmValue, 2> echoed =
      request.PasswordAlgorithms();
  if (chosen || !echoed.empty()) {
    const bool chosen_was_offered =
        chosen && std::any_of(echoed.begin(), echoed.end(),
                              [&](const stun::PasswordAlgorithmValue& v) {
                                return v == *chosen;
                              });
    if (!chosen || echoed.empty() ||
        !EchoesOffer(echoed, config_.password_algorithms) ||
        !chosen_was_offered) {
      verdict(AuthOutcome::kBidDown, std::string(username.value_or("")));
      RespondError(from, request.header(), stun::error_code::kBadRequest, none);
      return std::nullopt;
    }
    algorithm = static_cast<PasswordAlgorithmId>(chosen->algorithm);
  } else if (std::find(config_.password_algorithms.begin(),
                       config_.password_algorithms.end(),
                       PasswordAlgorithmId::kMd5) ==
             config_.password_algorithms.end()) {
    // RFC 8489 §9.2.4: without PASSWORD-ALGORITHM(S) the key is MD5's,
    // which the operator has switched off, so no key this server accepts
    // can have made the integrity: the credentials are not valid, which
    // §9.2.4 answers with 401, REALM and a fresh NONCE whose
    // PASSWORD-ALGORITHMS offers SHA-256 only. An RFC 8489 client retries
    // with it (§9.2.5); an RFC 5389 client cannot, and fails to
    // authenticate. Decided before the user lookup, so the answer does not
    // depend on the username.
    verdict(AuthOutcome::kBidDown, std::string(username.value_or("")));
    ChallengeUnauthenticated(now, from, request,
                             stun::error_code::kUnauthenticated);
    return std::nullopt;
  }

  // RFC 8489 §9.2.4: look the user up (by USERHASH when it is all the
  // request names, §14.4), then check integrity with each candidate key.
  CredentialCandidates candidates;
  if (username) {
    Expected<std::string, stun::PrecisError> prepared =
        stun::PrepareOpaqueString(*username);
    if (prepared.ok()) {
      candidates = deps_.credentials->Find(*prepared, *realm, now.wall);
    }
  } else {
    candidates = deps_.credentials->FindByUserhash(*userhash, *realm, now.wall);
  }
  const std::string named(username.value_or(""));
  // An unknown user costs the same key derivation and HMAC as a known one
  // with a wrong password, so the time to the 401 does not tell which
  // usernames exist. The stand-in's verdict is ignored.
  const bool unknown = candidates.empty();
  if (unknown) candidates.push_back({named, std::string(kNoSuchUserPassword)});
  const Credential* matched = nullptr;
  stun::HmacKey key;
  for (const Credential& candidate : candidates) {
    if (candidate.key_algorithm) {
      // A stored key answers only its own PASSWORD-ALGORITHM: no other key
      // can be derived without the password (RFC 8489 §9.2.2), so a
      // request made with another one fails like a wrong password (401).
      if (*candidate.key_algorithm != algorithm) continue;
      key = candidate.key;
    } else {
      key = stun::LongTermKey(algorithm, candidate.username, *realm,
                              candidate.password);
    }
    if (deps_.authenticator->Check(request, has_sha256, key) ==
        stun::IntegrityResult::kOk) {
      matched = &candidate;
      break;
    }
  }
  if (unknown) {
    verdict(AuthOutcome::kUnknownUser, named);
    ChallengeUnauthenticated(now, from, request,
                             stun::error_code::kUnauthenticated);
    return std::nullopt;
  }
  if (!matched) {
    verdict(AuthOutcome::kBadIntegrity, named);
    ChallengeUnauthenticated(now, from, request,
                             stun::error_code::kUnauthenticated);
    return std::nullopt;
  }
  // RFC 8489 §9.2.4: the nonce is checked for staleness only after the
  // integrity, so a 438 goes only to someone who knows the password.
  if (nonce_check.status == auth::NonceStatus::kStale) {
    verdict(AuthOutcome::kStaleNonce, matched->username);
    Challenge(now, from, request, stun::error_code::kStaleNonce);
    return std::nullopt;
  }

  RequestContext ctx{
      from,           request,   matched->username, std::string(*realm),
      std::move(key), algorithm, has_sha256,        matched->expires};
  // RFC 8656 §5: requests on an allocation must use its credentials.
  if (request.method() != static_cast<uint16_t>(stun::Method::kAllocate)) {
    if (const turn::Allocation* allocation = FindAllocation(from)) {
      if (allocation->username != ctx.username ||
          allocation->realm != ctx.realm) {
        verdict(AuthOutcome::kWrongCredentials, ctx.username);
        RespondError(from, request.header(),
                     stun::error_code::kWrongCredentials, ctx.protection());
        return std::nullopt;
      }
    }
  }
  verdict(AuthOutcome::kAccepted, ctx.username);
  return ctx;
}

}  // namespace turnpike::core
