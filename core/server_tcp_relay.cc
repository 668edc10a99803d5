// RFC 6062 TCP relays: Connect, ConnectionAttempt, ConnectionBind and the
// peer data connections.
//
// TCP allocations are not granted yet (REQUESTED-TRANSPORT TCP is answered
// 442, server_allocate.cc), so the core never issues ConnectPeer and owns
// no peer connection: a peer connection reported here is closed, and
// answers for connections it did not ask for are ignored.
#include "core/server.h"

namespace turnpike::core {

void Server::HandlePeerConnected(const Now& now, ConnectionId /*id*/) {
  ExpireDue(now);
}

void Server::HandlePeerConnectFailed(const Now& now, ConnectionId /*id*/,
                                     const absl::Status& /*why*/) {
  ExpireDue(now);
}

void Server::HandlePeerConnectionAccepted(const Now& now, RelayId /*relay*/,
                                          ConnectionId id,
                                          const TransportAddress& /*peer*/) {
  ExpireDue(now);
  commands_.push_back(CloseConnection{id});
}

void Server::HandlePeerConnectionClosed(const Now& now, ConnectionId /*id*/) {
  ExpireDue(now);
}

}  // namespace turnpike::core
