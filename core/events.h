// Lifecycle events: values the core emits through PollCommand (as
// Command::Event) for the runtime to fan out to logs, metrics and event
// sinks. They are never callbacks into user code (DESIGN.md "Core API").
// Each carries the 5-tuple, username and realm of the allocation it is about.
#ifndef TURNPIKE_CORE_EVENTS_H_
#define TURNPIKE_CORE_EVENTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/net/transport_address.h"
#include "core/types.h"

namespace turnpike::core {

// Who an event is about: the client's 5-tuple and the credentials it used.
struct EventSubject {
  FiveTuple five_tuple;
  std::string username;
  std::string realm;
};

enum class AuthOutcome : uint8_t {
  kAccepted,
  kChallenged,          // no credentials yet: 401 with REALM and NONCE
  kStaleNonce,          // 438
  kUnknownUser,         // 401
  kBadIntegrity,        // 401
  kWrongCredentials,    // 441: not the allocation's credentials
  kBidDown,             // 400: PASSWORD-ALGORITHMS tampered with
  kMissingCredentials,  // 400: integrity without USERNAME, REALM or NONCE
};
std::string_view AuthOutcomeName(AuthOutcome outcome);

struct AuthVerdict {
  EventSubject subject;
  uint16_t method = 0;
  AuthOutcome outcome = AuthOutcome::kAccepted;
};

struct AllocationCreated {
  EventSubject subject;
  std::vector<TransportAddress> relayed;  // one per family
  uint16_t requested_port = 0;            // 0 = any (EVEN-PORT/token aside)
  Duration lifetime{};
};

enum class DeleteReason : uint8_t {
  kExpired,
  kClientDeleted,     // Refresh with LIFETIME 0
  kConnectionClosed,  // stream transports
  kRelayFailed,
  kShutdown,
};
std::string_view DeleteReasonName(DeleteReason reason);

struct RelayCounters {
  uint64_t packets_to_peer = 0;
  uint64_t bytes_to_peer = 0;
  uint64_t packets_to_client = 0;
  uint64_t bytes_to_client = 0;
  uint64_t dropped_over_bandwidth = 0;
};

struct AllocationDeleted {
  EventSubject subject;
  std::vector<TransportAddress> relayed;
  DeleteReason reason = DeleteReason::kExpired;
  RelayCounters counters;
};

// An Allocate that was authenticated but could not be granted.
struct AllocationError {
  EventSubject subject;
  int error_code = 0;  // 437, 440, 442, 486, 508 ...
};

struct PermissionCreated {
  EventSubject subject;
  TransportAddress relayed;
  IpAddress peer;
};
struct PermissionDeleted {
  EventSubject subject;
  TransportAddress relayed;
  IpAddress peer;
};
struct ChannelCreated {
  EventSubject subject;
  TransportAddress relayed;
  TransportAddress peer;
  uint16_t channel = 0;
};
struct ChannelDeleted {
  EventSubject subject;
  TransportAddress relayed;
  TransportAddress peer;
  uint16_t channel = 0;
};

using Event = std::variant<AuthVerdict, AllocationCreated, AllocationDeleted,
                           AllocationError, PermissionCreated,
                           PermissionDeleted, ChannelCreated, ChannelDeleted>;

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_EVENTS_H_
