// Server: RFC 6062 TCP relays. Connect (§5.2) asks the runtime for a TCP
// connection from the relayed address to a peer; a peer connecting to the
// relayed address (§5.3) is announced with a ConnectionAttempt indication;
// ConnectionBind (§5.4) on a new client connection splices the two. The
// core decides who may connect and when a connection goes; the bytes of a
// spliced pair never come through it.
//
// The peer policy applies to every Connect and every accepted peer
// connection (pion/turn #570 let both past its PermissionHandler). A
// Connect needs no TURN permission: RFC 6062 §5.2 names only 437, 446,
// 400 and local policy (403); an accepted connection needs one (§5.3).
#include <algorithm>
#include <array>

#include "core/server.h"
#include "core/server_internal.h"
#include "core/stun/message_builder.h"
#include "core/turn/connection_number.h"

namespace turnpike::core {

using internal::kResponseBufferSize;
using stun::AttributeType;
using stun::Method;
using turn::PeerConnection;
using turn::PeerConnectionState;
namespace error_code = stun::error_code;

namespace {

stun::MessageHeader ConnectHeader(const stun::TransactionId& id) {
  stun::MessageHeader header;
  header.message_class = stun::MessageClass::kRequest;
  header.method = static_cast<uint16_t>(Method::kConnect);
  header.transaction_id = id;
  return header;
}

}  // namespace

uint32_t Server::NewConnectionNumber() {
  // RFC 6062 §6.2.1 asks only for uniqueness; drawing it from Random
  // keeps other clients from guessing a pending one to bind (they would
  // still need the owner's credentials, §5.4).
  // The top bits name this worker (core/turn/connection_number.h), so a
  // ConnectionBind that reaches another worker can be sent here.
  uint8_t random[4];
  deps_.random->Fill(absl::MakeSpan(random));
  uint32_t draw = 0;
  for (uint8_t b : random) draw = draw << 8 | b;
  uint32_t number = 0;
  // Bounded: fewer connections live than a worker has numbers (2^24 at
  // least); the low bits wrap, the worker's bits stay.
  do {
    number = turn::ConnectionNumberFor(config_.worker_index,
                                       config_.worker_count, draw++);
  } while (number == 0 || table_.FindPeerConnection(number));
  return number;
}

void Server::HandleConnect(const Now& now, const RequestContext& ctx) {
  const stun::MessageView& request = ctx.request;
  // §5.2: no allocation on this connection → 437.
  turn::Allocation* allocation = RequireAllocation(ctx);
  if (!allocation) return;
  auto refuse = [&](int code) {
    RespondError(ctx.from, request.header(), code, ctx.protection());
  };
  // RFC 6062 says nothing of a Connect on a UDP allocation; it has no TCP
  // socket to connect from, so the request cannot be served: 400.
  if (allocation->relay_transport != Transport::kTcp) {
    refuse(error_code::kBadRequest);
    return;
  }
  // §5.2: exactly one XOR-PEER-ADDRESS, else 400.
  const absl::InlinedVector<TransportAddress, 2> peers =
      request.XorPeerAddresses();
  if (peers.size() != 1) {
    refuse(error_code::kBadRequest);
    return;
  }
  const TransportAddress& peer = peers.front();
  // §5.2 "forbidden by local policy" → 403: the peer filter and the
  // server's own addresses, as for ChannelBind (port included); 443 for a
  // family the relay does not have (RFC 8656 §9.1).
  if (int code = CheckPeer(*allocation, peer, /*with_port=*/true); code != 0) {
    refuse(code);
    return;
  }
  // §5.2: a connection to the same XOR-PEER-ADDRESS still being opened,
  // waiting for its bind or spliced → 446.
  for (uint32_t number : allocation->peer_connections) {
    if (table_.FindPeerConnection(number)->peer_address == peer) {
      refuse(error_code::kConnectionAlreadyExists);
      return;
    }
  }
  if (internal::AtCap(allocation->peer_connections.size(),
                      config_.max_connections_per_allocation)) {
    refuse(error_code::kInsufficientCapacity);
    return;
  }
  PeerConnection connection;
  connection.number = NewConnectionNumber();
  connection.peer = ConnectionId{ConnectionId::kCoreAssigned |
                                 next_peer_connection_++};
  connection.peer_address = peer;
  connection.state = PeerConnectionState::kConnecting;
  // §5.2: the core's own connect timeout (at least 30 s), so a runtime
  // that never answers cannot leave the Connect open.
  connection.deadline = now.mono + config_.peer_connect_timeout;
  connection.connect_transaction = request.transaction_id();
  connection.connect_used_sha256 = ctx.sha256;
  connection.connect_had_fingerprint = request.Fingerprint().has_value();
  table_.AddPeerConnection(*allocation, connection);
  commands_.push_back(ConnectPeer{connection.peer,
                                  allocation->RelayFor(peer.family())->id,
                                  peer});
}

void Server::AnswerConnect(const PeerConnection& connection, int code) {
  const turn::Allocation& allocation =
      table_.Get(turn::AllocationId{connection.owner});
  const Protection protection{allocation.key, connection.connect_used_sha256,
                              connection.connect_had_fingerprint};
  if (code != 0) {
    RespondError(allocation.five_tuple,
                 ConnectHeader(connection.connect_transaction), code,
                 protection);
    return;
  }
  std::array<uint8_t, kResponseBufferSize> buffer;
  stun::MessageBuilder response(
      absl::MakeSpan(buffer), stun::MessageClass::kSuccessResponse,
      Method::kConnect, connection.connect_transaction);
  // §5.2: the success response names the peer data connection.
  response.AddConnectionId(connection.number);
  SendResponse(allocation.five_tuple, response, protection);
}

void Server::HandlePeerConnected(const Now& now, ConnectionId id) {
  ExpireDue(now);
  PeerConnection* connection = table_.FindByPeerConnection(id);
  if (!connection) {
    // Its Connect timed out or its allocation went: the core no longer
    // wants it.
    commands_.push_back(CloseConnection{id});
    return;
  }
  if (connection->state != PeerConnectionState::kConnecting) return;
  // §5.2: 30 s for the ConnectionBind from now on.
  table_.AwaitBind(*connection, now.mono + config_.connection_bind_timeout);
  AnswerConnect(*connection, 0);
}

void Server::HandlePeerConnectFailed(const Now& now, ConnectionId id,
                                     const absl::Status& /*why*/) {
  ExpireDue(now);
  PeerConnection* connection = table_.FindByPeerConnection(id);
  if (!connection || connection->state != PeerConnectionState::kConnecting) {
    return;
  }
  // §5.2: the connection attempt failed → 447.
  AnswerConnect(*connection, error_code::kConnectionTimeoutOrFailure);
  table_.ErasePeerConnection(connection->number);
}

void Server::HandlePeerConnectionAccepted(const Now& now, RelayId relay,
                                          ConnectionId id,
                                          const TransportAddress& peer) {
  ExpireDue(now);
  if (table_.FindByPeerConnection(id)) return;  // already known: a repeat
  turn::Allocation* allocation = table_.FindByRelay(relay);
  if (!allocation || !allocation->answered ||
      allocation->relay_transport != Transport::kTcp) {
    Drop(DropReason::kPeerConnectionRefused);
    commands_.push_back(CloseConnection{id});
    return;
  }
  // §5.3: no permission for the peer → closed at once; and the peer
  // policy and the server's own ports, as for every relayed packet
  // (MayRelay counts which refused it).
  if (!MayRelay(*allocation, peer)) {
    commands_.push_back(CloseConnection{id});
    return;
  }
  if (internal::AtCap(allocation->peer_connections.size(),
                      config_.max_connections_per_allocation)) {
    Drop(DropReason::kPeerConnectionRefused);
    commands_.push_back(CloseConnection{id});
    return;
  }
  PeerConnection connection;
  connection.number = NewConnectionNumber();
  connection.peer = id;
  connection.peer_address = peer;
  connection.state = PeerConnectionState::kPendingBind;
  // §5.3: closed unless bound within 30 s.
  connection.deadline = now.mono + config_.connection_bind_timeout;
  table_.AddPeerConnection(*allocation, connection);

  // §5.3: a ConnectionAttempt indication on the control connection with
  // XOR-PEER-ADDRESS and CONNECTION-ID. Indications carry no integrity
  // (RFC 8489 §6.2.4 has nothing to answer a failure with).
  stun::TransactionId transaction{};
  const uint64_t counter = indication_counter_++;
  for (int i = 0; i < 8; ++i) {
    transaction[4 + i] = static_cast<uint8_t>(counter >> (56 - 8 * i));
  }
  std::array<uint8_t, kResponseBufferSize> buffer;
  stun::MessageBuilder indication(absl::MakeSpan(buffer),
                                  stun::MessageClass::kIndication,
                                  Method::kConnectionAttempt, transaction);
  indication.AddXorAddress(AttributeType::kXorPeerAddress, peer);
  indication.AddConnectionId(connection.number);
  if (config_.software) {
    indication.AddString(AttributeType::kSoftware, *config_.software);
  }
  if (allocation->request_had_fingerprint) indication.AddFingerprint();
  Expected<absl::Span<const uint8_t>, stun::BuildError> bytes =
      indication.Finish();
  if (!bytes.ok()) {
    // Cannot happen (a few dozen bytes plus the checked SOFTWARE); should
    // it, the connection is refused rather than announced half.
    Drop(DropReason::kResponseTooLarge);
    commands_.push_back(CloseConnection{id});
    table_.ErasePeerConnection(connection.number);
    return;
  }
  const FiveTuple& control = allocation->five_tuple;
  commands_.push_back(Transmit{ClientSocket(control), control.transport,
                               control.client,
                               Bytes(bytes->begin(), bytes->end())});
}

void Server::HandleConnectionBind(const Now& /*now*/,
                                  const RequestContext& ctx) {
  const stun::MessageView& request = ctx.request;
  auto bad_request = [&] {
    RespondError(ctx.from, request.header(), error_code::kBadRequest,
                 ctx.protection());
  };
  // §5.4: on a new connection: not one that holds an allocation (the
  // control connection, or any other), never over UDP (HandleRequest).
  if (!ctx.from.connection.valid() || FindAllocation(ctx.from)) {
    bad_request();
    return;
  }
  std::optional<uint32_t> number = request.ConnectionId();
  // Another worker issued it (core/turn/connection_number.h): its peer
  // connection is there, and so must this connection be; that worker's
  // core answers. A number naming no worker is unknown: 400 below.
  if (number) {
    const uint32_t worker =
        turn::WorkerOfConnectionNumber(*number, config_.worker_count);
    if (worker != config_.worker_index && worker < config_.worker_count) {
      commands_.push_back(HandOffConnection{ctx.from.connection, worker});
      return;
    }
  }
  // §5.4: CONNECTION-ID must name a pending connection, else 400.
  PeerConnection* connection =
      number ? table_.FindPeerConnection(*number) : nullptr;
  if (!connection || connection->state != PeerConnectionState::kPendingBind) {
    bad_request();
    return;
  }
  const turn::Allocation& allocation =
      table_.Get(turn::AllocationId{connection->owner});
  // RFC 8656 §5 as RFC 6062 §4.4 uses it: the data connection is the
  // allocation's, so only its credentials bind it.
  if (allocation.username != ctx.username || allocation.realm != ctx.realm) {
    RespondError(ctx.from, request.header(), error_code::kWrongCredentials,
                 ctx.protection());
    return;
  }
  std::array<uint8_t, kResponseBufferSize> buffer;
  stun::MessageBuilder response(absl::MakeSpan(buffer),
                                stun::MessageClass::kSuccessResponse,
                                Method::kConnectionBind,
                                request.transaction_id());
  SendResponse(ctx.from, response, ctx.protection());
  // §5.4: from here every byte goes as-is both ways, the runtime's job.
  table_.BindPeerConnection(*connection, ctx.from.connection);
  commands_.push_back(
      SpliceConnections{ctx.from.connection, connection->peer});
}

void Server::HandlePeerConnectionClosed(const Now& now, ConnectionId id) {
  ExpireDue(now);
  PeerConnection* connection = table_.FindByPeerConnection(id);
  if (!connection) return;
  switch (connection->state) {
    case PeerConnectionState::kConnecting:
      // Closed before it connected: the attempt failed (§5.2).
      AnswerConnect(*connection, error_code::kConnectionTimeoutOrFailure);
      break;
    case PeerConnectionState::kPendingBind:
      break;
    case PeerConnectionState::kBound:
      // §5.4: the pair lives and dies together.
      commands_.push_back(CloseConnection{connection->data});
      break;
  }
  table_.ErasePeerConnection(connection->number);
}

void Server::ExpirePeerConnection(uint32_t number) {
  PeerConnection* connection = table_.FindPeerConnection(number);
  if (!connection) return;
  if (connection->state == PeerConnectionState::kConnecting) {
    // §5.2: the attempt timed out → 447; the runtime gives it up.
    AnswerConnect(*connection, error_code::kConnectionTimeoutOrFailure);
  }
  // §5.2, §5.3: no ConnectionBind within 30 s → closed.
  commands_.push_back(CloseConnection{connection->peer});
  table_.ErasePeerConnection(number);
}

void Server::ClosePeerConnections(turn::Allocation& allocation) {
  // In CONNECTION-ID order, not hash order: the same commands every run.
  for (uint32_t number : table_.PeerConnectionsOf(allocation)) {
    const PeerConnection& connection = *table_.FindPeerConnection(number);
    commands_.push_back(CloseConnection{connection.peer});
    if (connection.state == PeerConnectionState::kBound) {
      commands_.push_back(CloseConnection{connection.data});
    }
    table_.ErasePeerConnection(number);
  }
}

}  // namespace turnpike::core
