// A dtls:// listener (RFC 7350): one UDP socket, and a DtlsAssociation per
// client address. Datagrams from a known address go to its association;
// from an unknown one, an association is made only for a well-formed DTLS
// ClientHello, while fewer than max-dtls-handshakes associations are in
// their handshake (in the whole process: HandshakeLimiter), and when the client IP's connection limiter slot is
// free (docs/security.md "TLS and DTLS": there is no stateless cookie
// exchange, so these bound the state a spoofed flood can make).
#ifndef TURNPIKE_RUNTIME_TRANSPORT_DTLS_LISTENER_H_
#define TURNPIKE_RUNTIME_TRANSPORT_DTLS_LISTENER_H_

#include <uv.h>

#include <functional>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "runtime/receive_slab.h"
#include "runtime/runtime_stats.h"
#include "runtime/transport/connection_limiter.h"
#include "runtime/transport/dtls_association.h"
#include "runtime/transport/dtls_stats.h"
#include "runtime/transport/endpoint.h"
#include "runtime/transport/handshake_limiter.h"
#include "runtime/transport/stream_connection.h"
#include "runtime/transport/transport_settings.h"
#include "runtime/transport/udp_socket.h"

namespace turnpike::runtime {

// The worker: it names associations and hears when they come and go.
class DtlsObserver {
 public:
  virtual core::ConnectionId NextConnectionId() = 0;
  virtual void OnAssociationOpened(DtlsAssociation& association) = 0;
  // `requested`: the core asked for it, so it needs no notice.
  virtual void OnAssociationClosed(DtlsAssociation& association,
                                   bool requested) = 0;

 protected:
  ~DtlsObserver() = default;
};

class DtlsListener final : public Endpoint,
                           private MessageSink,
                           private DtlsAssociationOwner {
 public:
  // Binds `address` like UdpSocket::Bind (same errors). Everything
  // borrowed must outlive the listener.
  static absl::StatusOr<std::unique_ptr<DtlsListener>> Bind(
      uv_loop_t* loop, core::ListenerId id, const TransportAddress& address,
      const UdpSocketOptions& options, const TransportSettings& settings,
      const SecureSessionFactory* sessions, ReceiveSlab* slab,
      MessageSink* sink, DtlsObserver* observer, RuntimeStats* stats,
      ConnectionLimiter* limiter, HandshakeLimiter* handshakes);

  ~DtlsListener() override;
  DtlsListener(const DtlsListener&) = delete;
  DtlsListener& operator=(const DtlsListener&) = delete;

  core::SocketRef id() const override { return id_; }
  core::Transport transport() const override { return core::Transport::kDtls; }
  const TransportAddress& local_address() const override {
    return socket_->local_address();
  }
  std::pair<int, int> buffer_bytes() const override {
    return socket_->buffer_bytes();
  }
  // To the association of `to`; kFailed when there is none.
  SendResult Send(const TransportAddress& to,
                  const OutboundMessage& message) override;
  // Closes every association (no observer calls) and the socket.
  void Close() override;

  // Associations closed while one of their callbacks may be on the stack
  // are destroyed here, from the next input on.
  void ReleaseClosed() { closed_.clear(); }
  size_t association_count() const { return associations_.size(); }
  size_t handshakes_in_progress() const { return half_open_; }

 private:
  DtlsListener(core::ListenerId id, const TransportSettings& settings,
               const SecureSessionFactory* sessions, MessageSink* sink,
               DtlsObserver* observer, RuntimeStats* stats,
               ConnectionLimiter* limiter, HandshakeLimiter* handshakes);

  // MessageSink, for the UDP socket.
  void OnMessage(const core::Now& now, Endpoint& endpoint,
                 const TransportAddress& from,
                 absl::Span<const uint8_t> bytes) override;
  // DtlsAssociationOwner.
  SendResult SendDatagram(const TransportAddress& to,
                          absl::Span<const uint8_t> bytes) override;
  void OnHandshakeDone(DtlsAssociation& association) override;
  void OnAssociationClosed(DtlsAssociation& association,
                           DtlsCloseReason reason) override;
  DtlsAssociation* Open(const TransportAddress& from,
                        absl::Span<const uint8_t> bytes);

  core::ListenerId id_;
  uv_loop_t* loop_ = nullptr;
  TransportSettings settings_;
  const SecureSessionFactory* sessions_;
  MessageSink* sink_;
  DtlsObserver* observer_;
  RuntimeStats* stats_;
  ConnectionLimiter* limiter_;
  // max-dtls-handshakes, shared by every listener of the process.
  HandshakeLimiter* handshakes_;
  std::unique_ptr<UdpSocket> socket_;
  absl::flat_hash_map<TransportAddress, std::unique_ptr<DtlsAssociation>>
      associations_;
  std::vector<std::unique_ptr<DtlsAssociation>> closed_;
  // This listener's associations still in their handshake, each holding a
  // slot of handshakes_.
  size_t half_open_ = 0;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_DTLS_LISTENER_H_
