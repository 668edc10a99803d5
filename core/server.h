// turnpike::core::Server: the sans-IO STUN/TURN server (RFC 8489, RFC 8656,
// RFC 5780).
//
// The run-loop contract (docs/architecture.md): the runtime pushes one input,
// acts on the Forward it may return, then drains PollCommand() until it
// returns nullopt and executes each command, then arms one timer at
// NextDeadline(). The server never reads a clock, touches a socket or
// blocks: time arrives in `Now`, randomness and credentials through Deps.
//
// Inputs may arrive in any order and at any time; a late or early
// HandleTimeout is harmless, because every input first expires what is due
// at its `now`. Time must not go backwards between calls.
#ifndef TURNPIKE_CORE_SERVER_H_
#define TURNPIKE_CORE_SERVER_H_

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "absl/functional/function_ref.h"
#include "core/allocation_view.h"
#include "core/auth/nonce.h"
#include "core/command.h"
#include "core/config.h"
#include "core/deps.h"
#include "core/events.h"
#include "core/forward.h"
#include "core/policy/peer_filter.h"
#include "core/policy/self_addresses.h"
#include "core/policy/source_rate_limiter.h"
#include "core/stats.h"
#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"
#include "core/turn/allocation.h"
#include "core/turn/allocation_table.h"
#include "core/turn/deadline_queue.h"
#include "core/types.h"

namespace turnpike::core {

// RFC 5780 §4.1: OK when every listener has partners on the other IP, the
// other port and both (two IPs × two ports); otherwise InvalidArgument
// naming the listener and the fix (more listen addresses).
absl::Status CheckNatDiscoveryListeners(
    absl::Span<const ListenerConfig> listeners);

class Server {
 public:
  // Fails with InvalidArgument, naming the setting, when `config` is
  // inconsistent; every pointer in `deps` must be set and outlive the
  // Server. Takes the nonce key from config.nonce_key, or draws it from
  // deps.random.
  static absl::StatusOr<std::unique_ptr<Server>> Create(ServerConfig config,
                                                        Deps deps);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // One UDP/DTLS datagram, or one whole frame cut from a stream, from a
  // client. `message` is untrusted.
  //
  // ChannelData and Send indications with a permission return the Forward
  // towards the peer (RFC 8656 §11.2, §12.5); its payload borrows from
  // `message`. Requests queue their response (Transmit), and Allocate may
  // queue OpenRelay instead, answered after HandleRelayOpened. Anything
  // malformed is answered with the RFC's error when it is a request whose
  // header could be read, and otherwise dropped and counted in stats().
  std::optional<Forward> HandleClientMessage(const Now& now,
                                             const FiveTuple& from,
                                             absl::Span<const uint8_t> message);

  // One datagram from `peer` arriving at relay socket `relay` (RFC 8656
  // §11.3, §12.6). Returns the Forward towards the client (a ChannelData
  // header when a channel is bound to the peer, else a Data indication
  // header) when the allocation has a permission for the peer's IP and the
  // peer filter allows it; otherwise nullopt and a drop is counted.
  // `payload` is untrusted and borrowed.
  std::optional<Forward> HandlePeerDatagram(const Now& now, RelayId relay,
                                            const TransportAddress& peer,
                                            absl::Span<const uint8_t> payload);

  // Completion of OpenRelay `id`: the socket is bound to `bound` (the
  // advertised address when the host is behind 1:1 NAT). Queues the
  // Allocate success response once every relay of the allocation is bound
  // (RFC 8656 §7.2), and AllocationCreated. An id the server no longer
  // wants is closed again (CloseRelay).
  void HandleRelayOpened(const Now& now, RelayId id,
                         const TransportAddress& bound);
  // OpenRelay `id` failed: the Allocate is answered 508 (RFC 8656 §7.2),
  // or, for the additional family of a dual allocation, the success
  // response carries ADDRESS-ERROR-CODE 508 for that family.
  void HandleRelayFailed(const Now& now, RelayId id, const absl::Status& why);

  // A client's connection (TCP, TLS, DTLS) closed: its allocation is
  // deleted (RFC 8656 §3.2); an RFC 6062 data connection's peer connection
  // is closed with it.
  void HandleConnectionClosed(const Now& now, const FiveTuple& five_tuple);

  // RFC 6062 §5.2: ConnectPeer `id` connected; the Connect is answered with
  // its CONNECTION-ID and the 30 s bind timer starts. An id the core no
  // longer wants (its Connect timed out, its allocation went) is closed.
  void HandlePeerConnected(const Now& now, ConnectionId id);
  // RFC 6062 §5.2: ConnectPeer `id` failed or timed out: 447. The core
  // also answers 447 itself when ServerConfig::peer_connect_timeout passes
  // first (and closes the connection); a late answer is then ignored.
  void HandlePeerConnectFailed(const Now& now, ConnectionId id,
                               const absl::Status& why);
  // RFC 6062 §5.3: a peer connected to the listening TCP socket of relay
  // `relay`; the runtime named the connection `id` and does not read from
  // it. The core checks the permission for the peer's IP and the peer
  // policy (kept up to date by SetPeerRules) and sends the client a
  // ConnectionAttempt indication on its control connection with a 30 s
  // bind timer, or answers CloseConnection.
  void HandlePeerConnectionAccepted(const Now& now, RelayId relay,
                                    ConnectionId id,
                                    const TransportAddress& peer);
  // A peer connection (connecting, connected, accepted or spliced) closed:
  // a spliced one's data connection is closed too (CloseConnection; the
  // runtime ignores an id it already closed), a pending one forgotten, a
  // connecting one's Connect answered 447.
  void HandlePeerConnectionClosed(const Now& now, ConnectionId id);

  // Expires what is due at `now`: allocations, permissions, channel
  // bindings, channel cool-downs and reservations. Safe early or late.
  void HandleTimeout(const Now& now);

  // Deletes every allocation (DeleteReason::kShutdown), closing relays.
  void Shutdown(const Now& now);

  // Drain (rolling upgrades): from now on a new Allocate is answered 300
  // Try Alternate with ALTERNATE-SERVER (ServerConfig::alternate_servers,
  // core/drain/alternate_choice.h), or 508 when no alternate has the
  // client's family. Existing allocations, their Refreshes, permissions,
  // channels and relayed data go on until they end. There is no way back:
  // a draining process is on its way out.
  void StartDrain();
  bool draining() const { return draining_; }

  // Peer policy can change while the relay runs (SIGHUP). Applies to new
  // permissions and to every relayed packet from now on.
  void SetPeerRules(PeerFilterRules rules);

  // The listening sockets changed while the relay runs (a reload opened or
  // closed listeners): RFC 5780 answers and the refusal to relay into the
  // server's own ports follow `listeners` from now on, and `own` replaces
  // the host's addresses. InvalidArgument, changing nothing, when NAT
  // behaviour discovery is on and `listeners` no longer gives every
  // listener its partners (RFC 5780 §4.1).
  absl::Status SetListeners(std::vector<ListenerConfig> listeners,
                            SelfAddressConfig own);
  // Live allocations whose client reaches the server through `listener`:
  // a retired datagram listener stays open until this is 0.
  size_t AllocationsOnListener(ListenerId listener) const;

  // The next command, or nullopt when the queue is empty. Drain it after
  // every input.
  std::optional<Command> PollCommand();

  // When HandleTimeout must next be called; nullopt when nothing is due.
  std::optional<MonoTime> NextDeadline() const;

  const ServerStats& stats() const { return stats_; }
  const SourceRateLimiter& unauthenticated_limiter() const {
    return unauthenticated_limiter_;
  }
  size_t allocation_count() const { return table_.size(); }
  // Read-only: sums over every answered allocation, and `visit` called for
  // at most `max` of them, oldest first (by creation: hash order would
  // differ between processes and between calls). O(n log max) in the
  // allocations; for a status snapshot about once a second, never per
  // packet. Allocations still waiting for their relay are left out.
  LiveTotals VisitAllocations(
      MonoTime now, size_t max,
      absl::FunctionRef<void(const AllocationView&)> visit) const;
  // Entries in the timer queue: one per live allocation, permission,
  // channel binding, cooling channel, reservation and RFC 6062 peer
  // connection not yet bound, however often each is refreshed
  // (docs/security.md).
  size_t deadline_count() const { return table_.deadline_count(); }

  // O(n) consistency check of every index against the allocation table
  // (turn::AllocationTable::CheckInvariants); aborts on a broken
  // invariant. For tests and fuzzers.
  void CheckInvariants() const;

 private:
  // How a response is protected: as the request was (RFC 8489 §9.2.4).
  struct Protection {
    absl::Span<const uint8_t> key;  // empty: no MESSAGE-INTEGRITY
    bool sha256 = false;            // MESSAGE-INTEGRITY-SHA256 instead
    bool fingerprint = false;       // the request carried FINGERPRINT
    // SOFTWARE (when configured); off for answers to requests that proved
    // no password, so scanners learn nothing and spoofed floods get the
    // smallest answer (docs/security.md).
    bool software = true;
  };
  // An authenticated request (RFC 8489 §9.2.4 passed).
  struct RequestContext {
    const FiveTuple& from;
    const stun::MessageView& request;
    std::string username;
    std::string realm;
    stun::HmacKey key;
    stun::PasswordAlgorithmId algorithm = stun::PasswordAlgorithmId::kMd5;
    bool sha256 = false;
    // The credential's expiry (TURN REST), past which no lifetime reaches.
    std::optional<absl::Time> credential_expiry;
    Protection protection() const {
      return {key, sha256, request.Fingerprint().has_value()};
    }
    EventSubject subject() const { return {from, username, realm}; }
  };

  Server(ServerConfig config, Deps deps, auth::NonceCodec nonces,
         std::array<uint64_t, 2> limiter_key);

  // Dispatch and STUN (server.cc).
  void HandleRequest(const Now& now, const FiveTuple& from,
                     const stun::MessageView& request);
  void HandleBinding(const FiveTuple& from, const stun::MessageView& request);
  void HandleRfc3489Binding(const FiveTuple& from,
                            const stun::MessageView& request);

  // RFC 8489 §9.2.4 (server_auth.cc). Returns the context of an
  // authenticated request; otherwise has answered it (400/401/438/441).
  std::optional<RequestContext> Authenticate(const Now& now,
                                             const FiveTuple& from,
                                             const stun::MessageView& request);
  // `minimal`: the answer to a request that proved no password: no reason
  // phrase and no SOFTWARE, only what RFC 8489 §9.2.4 requires.
  void Challenge(const Now& now, const FiveTuple& to,
                 const stun::MessageView& request, int code,
                 bool minimal = false);
  // Challenge for a request that proved no password: sent only while the
  // source is within its unauthenticated budget, otherwise dropped and
  // counted (server_unauthenticated.cc).
  void ChallengeUnauthenticated(const Now& now, const FiveTuple& to,
                                const stun::MessageView& request, int code);

  // Allocations (server_allocate.cc).
  void HandleAllocate(const Now& now, const RequestContext& ctx);
  void HandleRefresh(const Now& now, const RequestContext& ctx);
  // While draining: answers a new Allocate with 300 or 508 (server_drain.cc).
  void RedirectAllocate(const RequestContext& ctx);
  void FinishAllocate(const Now& now, turn::Allocation& allocation);
  void FailAllocate(turn::Allocation& allocation, int code);
  // RFC 8656 §7.2 RESERVATION-TOKEN with several workers: the claim goes
  // through Deps::reservations, whichever worker reserved the port.
  void ClaimSharedReservation(const Now& now, const RequestContext& ctx,
                              uint64_t token);
  // Refuses an authenticated Allocate (and reports it as AllocationError).
  void RejectAllocate(const RequestContext& ctx, int code);
  // Removes the allocation with its permissions and channels, closes its
  // relays and returns its quota. Emits the Deleted events when the
  // allocation had been created (answered).
  void DeleteAllocation(turn::Allocation& allocation, DeleteReason reason);
  void CloseRelayOf(turn::Allocation& allocation, RelayId relay);
  // An unclaimed reservation goes (expiry, shutdown): its port is closed,
  // its timer and any quota slot it holds are given back.
  void DropReservation(uint64_t token);

  // Permissions and channels (server_permission.cc).
  // The request's allocation, or nullptr after answering 437.
  turn::Allocation* RequireAllocation(const RequestContext& ctx);
  void HandleCreatePermission(const Now& now, const RequestContext& ctx);
  void HandleChannelBind(const Now& now, const RequestContext& ctx);
  void InstallPermission(const Now& now, turn::Allocation& allocation,
                         const IpAddress& peer);
  // 0 when `peer` may be used by `allocation`, else the error code (403,
  // 443). `with_port`: the port is part of the request (ChannelBind), so a
  // port of the server's own that is not a relay port is refused too.
  int CheckPeer(const turn::Allocation& allocation,
                const TransportAddress& peer, bool with_port);
  // The peer filter's verdict, except that the relay addresses themselves
  // pass the default ranges: clients of this server reach each other there.
  bool PeerIpAllowed(const IpAddress& peer) const;

  // Relayed data (server_data.cc).
  std::optional<Forward> HandleChannelData(const Now& now,
                                           const FiveTuple& from,
                                           absl::Span<const uint8_t> frame);
  // Permission and peer policy for one relayed packet, either way (counts
  // the drop). `permitted` and `verdict` come from the entry the packet's
  // one lookup found (a permission or a channel binding); the verdict is
  // re-evaluated only when the policy's generation moved on.
  bool MayRelay(bool permitted, turn::CachedVerdict& verdict,
                const TransportAddress& peer);
  // The same for a peer with no channel: its permission is looked up.
  bool MayRelay(turn::Allocation& allocation, const TransportAddress& peer);
  std::optional<Forward> RelayToPeer(const Now& now,
                                     turn::Allocation& allocation,
                                     bool permitted,
                                     turn::CachedVerdict& verdict,
                                     const TransportAddress& peer,
                                     absl::Span<const uint8_t> payload);
  std::optional<Forward> HandleSendIndication(
      const Now& now, const FiveTuple& from,
      const stun::MessageView& indication);

  // RFC 6062 TCP relays (server_tcp_relay.cc).
  void HandleConnect(const Now& now, const RequestContext& ctx);
  void HandleConnectionBind(const Now& now, const RequestContext& ctx);
  // The Connect that opened `connection` is answered: success with its
  // CONNECTION-ID when `code` is 0, else the error (447).
  void AnswerConnect(const turn::PeerConnection& connection, int code);
  // A connect or bind timer ran out (RFC 6062 §5.2, §5.3).
  void ExpirePeerConnection(uint32_t number);
  // Closes every peer connection of `allocation` and the data connections
  // spliced to them (the allocation is being deleted).
  void ClosePeerConnections(turn::Allocation& allocation);
  // A fresh CONNECTION-ID: random (Deps), non-zero and unused.
  uint32_t NewConnectionNumber();

  // Timers (server_timers.cc).
  // Runs HandleTimeout first when something is due at `now`: every input
  // calls it, so a timer that fires late (a busy loop) never lets an
  // allocation, permission or channel carry data past its deadline.
  void ExpireDue(const Now& now);
  void Expire(const Now& now, const turn::Deadline& deadline);
  void ExpireChannel(const Now& now, turn::Allocation& allocation,
                     uint16_t number);

  // Responses (server_respond.cc).
  Bytes SendResponse(const FiveTuple& to, stun::MessageBuilder& response,
                     const Protection& protection);
  void RespondError(const FiveTuple& to, const stun::MessageHeader& request,
                    int code, const Protection& protection,
                    absl::Span<const uint16_t> unknown = {});
  void Emit(Event event);
  void Drop(DropReason reason);

  turn::Allocation* FindAllocation(const FiveTuple& five_tuple) {
    return table_.Find(five_tuple);
  }
  RelayId NextRelayId() { return RelayId{next_relay_id_++}; }
  static EventSubject SubjectOf(const turn::Allocation& allocation);

  ServerConfig config_;
  Deps deps_;
  auth::NonceCodec nonces_;
  PeerFilter peer_filter_;
  SelfAddresses self_addresses_;
  SourceRateLimiter unauthenticated_limiter_;
  ServerStats stats_;
  std::deque<Command> commands_;

  // The allocations and every index over them, with the timers (the
  // handlers change them only through its methods).
  turn::AllocationTable table_;
  uint32_t next_relay_id_ = 1;
  bool draining_ = false;
  // ConnectPeer's ids: kCoreAssigned | a counter (types.h).
  uint64_t next_peer_connection_ = 1;
  // Data indications need a fresh transaction ID per packet; a counter
  // seeded from Random keeps them unpredictable across restarts without a
  // RAND call per packet (they are never answered, so nothing matches them).
  uint64_t indication_counter_ = 0;
};

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_SERVER_H_
