#include "runtime/transport/dtls_listener.h"

#include <utility>

#include "runtime/transport/dtls_client_hello.h"

namespace turnpike::runtime {

DtlsListener::DtlsListener(core::ListenerId id,
                           const TransportSettings& settings,
                           const SecureSessionFactory* sessions,
                           MessageSink* sink, DtlsObserver* observer,
                           RuntimeStats* stats, ConnectionLimiter* limiter,
                           HandshakeLimiter* handshakes)
    : id_(id),
      settings_(settings),
      sessions_(sessions),
      sink_(sink),
      observer_(observer),
      stats_(stats),
      limiter_(limiter),
      handshakes_(handshakes) {}

absl::StatusOr<std::unique_ptr<DtlsListener>> DtlsListener::Bind(
    uv_loop_t* loop, core::ListenerId id, const TransportAddress& address,
    const UdpSocketOptions& options, const TransportSettings& settings,
    const SecureSessionFactory* sessions, ReceiveSlab* slab,
    MessageSink* sink, DtlsObserver* observer, RuntimeStats* stats,
    ConnectionLimiter* limiter, HandshakeLimiter* handshakes) {
  std::unique_ptr<DtlsListener> listener(new DtlsListener(
      id, settings, sessions, sink, observer, stats, limiter, handshakes));
  listener->loop_ = loop;
  // A DTLS session learns each record's send outcome at once, so its
  // socket sends directly rather than through the worker's batch.
  UdpSocketOptions direct = options;
  direct.send_batch = nullptr;
  absl::StatusOr<std::unique_ptr<UdpSocket>> socket =
      UdpSocket::Bind(loop, id, address, direct, slab, listener.get(), stats);
  if (!socket.ok()) return socket.status();
  listener->socket_ = *std::move(socket);
  return listener;
}

DtlsListener::~DtlsListener() { Close(); }

void DtlsListener::Close() {
  for (auto& [address, association] : associations_) {
    if (!association->handshake_done()) handshakes_->Release();
    association->Close();
    limiter_->Release(address.ip);
    closed_.push_back(std::move(association));
  }
  associations_.clear();
  half_open_ = 0;
  if (socket_ != nullptr) socket_->Close();
}

SendResult DtlsListener::Send(const TransportAddress& to,
                              const OutboundMessage& message) {
  auto it = associations_.find(to);
  if (it == associations_.end()) {
    return {SendResult::Outcome::kFailed, 0, UV_ENOTCONN};
  }
  return it->second->Send(to, message);
}

void DtlsListener::OnMessage(const core::Now& now, Endpoint& /*socket*/,
                             const TransportAddress& from,
                             absl::Span<const uint8_t> bytes) {
  ReleaseClosed();
  auto it = associations_.find(from);
  DtlsAssociation* association =
      it != associations_.end() ? it->second.get() : Open(from, bytes);
  if (association != nullptr) association->Receive(now, bytes);
}

// Nothing is made for a datagram that cannot start a handshake, and
// nothing beyond the caps for one that can.
DtlsAssociation* DtlsListener::Open(const TransportAddress& from,
                                    absl::Span<const uint8_t> bytes) {
  if (!IsDtlsClientHello(bytes)) {
    ++stats_->dtls.dropped_not_client_hello;
    return nullptr;
  }
  if (!handshakes_->TryAcquire()) {
    ++stats_->dtls.refused_handshake_cap;
    return nullptr;
  }
  if (!limiter_->TryAcquire(from.ip)) {
    handshakes_->Release();
    ++stats_->dtls.refused_by_limit;
    return nullptr;
  }
  DtlsAssociationOptions options;
  options.id = observer_->NextConnectionId();
  options.listener = id_;
  options.local = socket_->local_address();
  options.remote = from;
  options.handshake_timeout = settings_.handshake_timeout;
  options.idle_timeout = settings_.idle_timeout;
  std::unique_ptr<DtlsAssociation> association =
      DtlsAssociation::Create(loop_, options, *sessions_, this, sink_);
  if (association == nullptr) {
    limiter_->Release(from.ip);
    handshakes_->Release();
    return nullptr;
  }
  ++stats_->dtls.opened;
  ++half_open_;
  DtlsAssociation* raw = association.get();
  associations_.emplace(from, std::move(association));
  observer_->OnAssociationOpened(*raw);
  return raw;
}

SendResult DtlsListener::SendDatagram(const TransportAddress& to,
                                      absl::Span<const uint8_t> bytes) {
  return socket_->Send(to, OutboundMessage::Of(bytes));
}

void DtlsListener::OnHandshakeDone(DtlsAssociation& /*association*/) {
  --half_open_;
  handshakes_->Release();
}

void DtlsListener::OnAssociationClosed(DtlsAssociation& association,
                                       DtlsCloseReason reason) {
  auto it = associations_.find(association.remote_address());
  if (it == associations_.end() || it->second.get() != &association) return;
  if (!association.handshake_done()) {
    --half_open_;
    handshakes_->Release();
  }
  switch (reason) {
    case DtlsCloseReason::kRequested:
      break;
    case DtlsCloseReason::kClient:
      ++stats_->dtls.closed_by_client;
      break;
    case DtlsCloseReason::kIdle:
      ++stats_->dtls.closed_idle;
      break;
    case DtlsCloseReason::kHandshakeTimeout:
      ++stats_->dtls.closed_handshake_timeout;
      break;
    case DtlsCloseReason::kSecureSession:
      ++stats_->dtls.closed_secure_session;
      break;
  }
  limiter_->Release(association.remote_address().ip);
  // The association may be on the stack (this is its callback): it waits.
  closed_.push_back(std::move(it->second));
  associations_.erase(it);
  observer_->OnAssociationClosed(association,
                                 reason == DtlsCloseReason::kRequested);
}

}  // namespace turnpike::runtime
