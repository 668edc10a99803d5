// Worker: RFC 6062 TCP relays. The relay listener, the peer connections
// and the splices live here; the core decides who may connect and when a
// connection goes (core/server_tcp_relay.cc). Peer connections are never
// read before they are spliced (RFC 6062 §5.3), and spliced bytes never
// reach the core.
#include <unistd.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/clock.h"
#include "runtime/log.h"
#include "runtime/worker.h"

namespace turnpike::runtime {
namespace {

// Kept in step with worker.cc's UDP relay sockets.
constexpr int kTcpPortAttempts = 32;

// RFC 6062 §5.2 leaves the Connect timeout to the server; the core answers
// 447 on its own timer too, so this only bounds what the socket may hold.
constexpr std::chrono::milliseconds kPeerConnectTimeout{30000};

}  // namespace

absl::StatusOr<TransportAddress> Worker::OpenTcpRelay(
    const core::OpenRelay& open) {
  const std::optional<RelayAddress>& relay = open.family == AddressFamily::kIpv4
                                                 ? relay_options_.ipv4
                                                 : relay_options_.ipv6;
  if (!relay) {
    return absl::FailedPreconditionError("no relay address of that family");
  }
  if (open.reserve_id) {
    // RFC 6062 §5.1: a TCP allocation takes no RESERVATION-TOKEN or
    // EVEN-PORT R=1; the core answers 400 before asking.
    return absl::InvalidArgumentError("a TCP relay cannot reserve a port");
  }
  for (int attempt = 0; attempt < kTcpPortAttempts; ++attempt) {
    const uint32_t port = DrawRelayPort(open.even_port);
    if (port < relay_options_.min_port) continue;
    absl::StatusOr<std::unique_ptr<TcpRelayListener>> listener =
        TcpRelayListener::Listen(
            &loop_, open.id,
            TransportAddress{relay->bind, static_cast<uint16_t>(port)}, this);
    if (!listener.ok()) {
      if (absl::IsAlreadyExists(listener.status())) continue;  // EADDRINUSE
      return listener.status();
    }
    tcp_relays_.emplace(open.id, *std::move(listener));
    return TransportAddress{relay->external.value_or(relay->bind),
                            static_cast<uint16_t>(port)};
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("no free TCP relay port in ", relay_options_.min_port, "-",
                   relay_options_.max_port, " after ", kTcpPortAttempts,
                   " tries; widen the range (min-port, max-port)"));
}

void Worker::Execute(const core::ConnectPeer& connect) {
  auto relay = tcp_relays_.find(connect.relay);
  if (relay == tcp_relays_.end()) {
    ++stats_.peer_connects_failed;
    server_->HandlePeerConnectFailed(
        now_, connect.id, absl::FailedPreconditionError("no such TCP relay"));
    return;
  }
  absl::Status error;
  std::unique_ptr<PeerConnection> connection = relay->second->Connect(
      connect.id, connect.peer, kPeerConnectTimeout, &error);
  if (connection == nullptr) {
    ++stats_.peer_connects_failed;
    server_->HandlePeerConnectFailed(now_, connect.id, error);
    return;
  }
  peer_connections_[connect.id] = std::move(connection);
}

void Worker::OnPeerConnected(PeerConnection& connection,
                             const absl::Status& status) {
  if (stopping_) return;
  ReleaseClosed();
  now_ = StampNow();
  const core::ConnectionId id = connection.id();
  if (status.ok()) {
    ++stats_.peer_connects_succeeded;
    server_->HandlePeerConnected(now_, id);
  } else {
    ++stats_.peer_connects_failed;
    // Closed already; `connection` is not touched after this.
    peer_connections_.erase(id);
    server_->HandlePeerConnectFailed(now_, id, status);
  }
  Pump();
}

void Worker::OnPeerAccepted(core::RelayId relay,
                            std::unique_ptr<PeerConnection> connection) {
  if (stopping_) return;
  ReleaseClosed();
  now_ = StampNow();
  ++stats_.peer_connections_accepted;
  const core::ConnectionId id{next_connection_id_++};
  connection->set_id(id);
  const TransportAddress peer = connection->peer();
  peer_connections_[id] = std::move(connection);
  // Not read until spliced: RFC 6062 §5.3.
  server_->HandlePeerConnectionAccepted(now_, relay, id, peer);
  Pump();
}

void Worker::Execute(const core::SpliceConnections& splice) {
  auto peer = peer_connections_.find(splice.peer);
  std::optional<SpliceClient> client = TakeClientForSplice(splice.client);
  if (peer == peer_connections_.end() || !peer->second->connected() ||
      !client) {
    // One side is gone already, or the client's cannot be spliced (TLS):
    // the pair dies together (RFC 6062 §5.4). The core hears of the peer
    // side and closes the client's (CloseConnection) itself.
    if (peer != peer_connections_.end()) peer_connections_.erase(peer);
    if (client) {
      CloseAndFree(client->socket);
      limiter_.Release(client->tuple.client.ip);
    }
    server_->HandlePeerConnectionClosed(now_, splice.peer);
    if (client) server_->HandleConnectionClosed(now_, client->tuple);
    return;
  }
  uv_tcp_t* peer_socket = peer->second->Release();
  peer_connections_.erase(peer);
  const core::ConnectionId peer_id = splice.peer;
  const core::FiveTuple tuple = client->tuple;
  auto joined = std::make_unique<Splice>(
      &loop_, client->socket, absl::MakeConstSpan(client->unread), peer_socket,
      SpliceOptions{}, &stats_,
      [this, peer_id, tuple] { OnSpliceClosed(peer_id, tuple); });
  if (joined->closed()) {
    // Ended inside its constructor (the peer was gone when the client's
    // first bytes went to it), before OnSpliceClosed could find it.
    closed_splices_.push_back(std::move(joined));
    limiter_.Release(tuple.client.ip);
    server_->HandlePeerConnectionClosed(now_, peer_id);
    server_->HandleConnectionClosed(now_, tuple);
    return;
  }
  splices_[peer_id] = {std::move(joined), splice.client, tuple.client.ip};
  splice_by_client_[splice.client] = peer_id;
}

void Worker::OnSpliceClosed(core::ConnectionId peer,
                            const core::FiveTuple& client) {
  auto it = splices_.find(peer);
  if (it == splices_.end()) return;
  // Called from inside the splice: it is destroyed at the next input.
  closed_splices_.push_back(std::move(it->second.splice));
  splices_.erase(it);
  splice_by_client_.erase(client.connection);
  limiter_.Release(client.client.ip);
  if (stopping_) return;
  now_ = StampNow();
  // The core closes the data connection with its peer (RFC 6062 §5.4);
  // it hears of both, and the second is a no-op once the first is handled.
  server_->HandlePeerConnectionClosed(now_, peer);
  server_->HandleConnectionClosed(now_, client);
  Pump();
}

bool Worker::ClosePeerSide(core::ConnectionId id) {
  if (auto it = peer_connections_.find(id); it != peer_connections_.end()) {
    peer_connections_.erase(it);  // closes the socket
    return true;
  }
  auto client = splice_by_client_.find(id);
  auto pair =
      splices_.find(client == splice_by_client_.end() ? id : client->second);
  if (pair == splices_.end()) return false;
  // Both sides go: the core closes a pair together and wants no report.
  pair->second.splice->Close();
  closed_splices_.push_back(std::move(pair->second.splice));
  limiter_.Release(pair->second.client_ip);
  splice_by_client_.erase(pair->second.client);
  splices_.erase(pair);
  return true;
}

std::optional<Worker::SpliceClient> Worker::TakeClientForSplice(
    core::ConnectionId id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return std::nullopt;
  std::optional<StreamConnection::Handover> handover =
      it->second->TakeForSplice();
  if (!handover) return std::nullopt;
  SpliceClient client;
  client.tuple = it->second->five_tuple();
  client.unread = std::move(handover->unread);
  // Its request is still being handled (we run inside its read callback):
  // destroyed from the next input on.
  closed_connections_.push_back(std::move(it->second));
  connections_.erase(it);
  auto* socket = new uv_tcp_t;
  if (uv_tcp_init(&loop_, socket) != 0) {
    delete socket;
    ::close(handover->fd);
    limiter_.Release(client.tuple.client.ip);
    return std::nullopt;
  }
  if (uv_tcp_open(socket, handover->fd) != 0) {
    ::close(handover->fd);
    CloseAndFree(socket);
    limiter_.Release(client.tuple.client.ip);
    return std::nullopt;
  }
  client.socket = socket;
  return client;
}

}  // namespace turnpike::runtime
