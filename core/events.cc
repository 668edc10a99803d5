#include "core/events.h"

namespace turnpike::core {

std::string_view AuthOutcomeName(AuthOutcome outcome) {
  switch (outcome) {
    case AuthOutcome::kAccepted:
      return "accepted";
    case AuthOutcome::kChallenged:
      return "challenged";
    case AuthOutcome::kStaleNonce:
      return "stale_nonce";
    case AuthOutcome::kUnknownUser:
      return "unknown_user";
    case AuthOutcome::kBadIntegrity:
      return "bad_integrity";
    case AuthOutcome::kWrongCredentials:
      return "wrong_credentials";
    case AuthOutcome::kBidDown:
      return "bid_down";
    case AuthOutcome::kMissingCredentials:
      return "missing_credentials";
  }
  return "?";
}

std::string_view DeleteReasonName(DeleteReason reason) {
  switch (reason) {
    case DeleteReason::kExpired:
      return "expired";
    case DeleteReason::kClientDeleted:
      return "client_deleted";
    case DeleteReason::kConnectionClosed:
      return "connection_closed";
    case DeleteReason::kRelayFailed:
      return "relay_failed";
    case DeleteReason::kShutdown:
      return "shutdown";
  }
  return "?";
}

}  // namespace turnpike::core
