// Plain counters the runtime reads for metrics. No global metric objects live
// in the core (EXAMPLES.md §1.4: firezone's one impurity we avoid).
#ifndef TURNPIKE_CORE_STATS_H_
#define TURNPIKE_CORE_STATS_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace turnpike::core {

// Why an input was dropped without an answer.
enum class DropReason : uint8_t {
  kNotStun,    // neither STUN (with the RFC 5389 cookie) nor ChannelData
  kMalformed,  // STUN header sound, body not; not a request
  kBadFingerprint,
  kUnexpectedClass,    // a response or error from a client
  kUnknownIndication,  // an indication for a method we do not handle
  kNoAllocation,       // relayed data or an indication with no allocation
  kNoPermission,       // RFC 8656 §9: no permission for the peer's IP
  kNoChannel,          // ChannelData for a number not bound
  kPeerFiltered,       // the peer policy refuses the address
  kOwnPort,  // to or from the server's own address outside the relay ports
  kOverBandwidth,      // the allocation's bandwidth cap
  kBadIndication,      // a Send indication without XOR-PEER-ADDRESS or DATA,
                       // or any indication with an unknown comprehension-
                       // required attribute (RFC 8489 §6.3.2)
  kRetransmitPending,  // an Allocate retransmitted while its relay opens,
                       // or after the client moved on to other requests
  kTooLarge,           // a peer datagram too large to frame for the client
  // A 401/438 not sent: the source spent its unauthenticated budget, or the
  // limiter's table had no room for it (core/policy/source_rate_limiter.h).
  kUnauthenticatedLimited,
  kUnauthenticatedTableFull,
  kResponseTooLarge,  // an answer that would not fit its buffer (a bug:
                      // the configuration check rules it out)
  // An RFC 3489 Binding request (no cookie) asking what cannot be given:
  // a change of address without NAT discovery, RESPONSE-ADDRESS, or other
  // unknown comprehension-required attributes (core/server.cc).
  kRfc3489Unanswered,
  // RFC 6062: a Send indication or a peer datagram on a TCP allocation,
  // whose data moves only over peer data connections.
  kTcpAllocationData,
  // RFC 6062 §5.4: a message on a client data connection after its
  // ConnectionBind; its bytes belong to the peer (the runtime splices it).
  kDataConnection,
  // RFC 6062 §5.3: an accepted peer connection closed because its relay
  // has no TCP allocation or the allocation holds
  // max_connections_per_allocation already (a missing permission or the
  // peer policy count as kNoPermission, kPeerFiltered, kOwnPort).
  kPeerConnectionRefused,
  kCount,
};
std::string_view DropReasonName(DropReason reason);

struct ServerStats {
  // Indexed by the 12-bit method for the methods RFC 8656 and RFC 6062 use
  // (0x001-0x00C); others share slot 0.
  static constexpr size_t kMethodSlots = 13;
  std::array<uint64_t, kMethodSlots> requests{};
  std::array<uint64_t, kMethodSlots> indications{};
  std::array<uint64_t, kMethodSlots> success_responses{};
  // Error responses by code class*100+number, 300..699 → index code-300.
  std::array<uint64_t, 400> error_responses{};
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> drops{};
  // New Allocates refused while draining (Server::StartDrain): sent to an
  // alternate with 300, or answered 508 when none has the client's family.
  uint64_t drained_to_alternate = 0;
  uint64_t drained_no_alternate = 0;

  static size_t MethodSlot(uint16_t method) {
    return method < kMethodSlots ? method : 0;
  }
  uint64_t errors_with_code(int code) const {
    return code >= 300 && code < 700 ? error_responses[code - 300] : 0;
  }
  uint64_t dropped(DropReason reason) const {
    return drops[static_cast<size_t>(reason)];
  }
};

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_STATS_H_
