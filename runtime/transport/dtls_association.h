// One DTLS client (RFC 7350) on a dtls:// listener: the Endpoint with a
// runtime ConnectionId that the core sees as a connection. Datagrams from
// the client's address come in through the listener, go through the
// association's DTLS session and reach the MessageSink as plaintext; what
// the core sends is sealed into one datagram and leaves on the listener's
// UDP socket. One uv_timer_t runs the handshake timeout, the idle timeout
// while there is no allocation, and DTLS retransmission.
//
// No protocol logic lives here: plaintext goes to the sink uninspected.
#ifndef TURNPIKE_RUNTIME_TRANSPORT_DTLS_ASSOCIATION_H_
#define TURNPIKE_RUNTIME_TRANSPORT_DTLS_ASSOCIATION_H_

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/net/transport_address.h"
#include "core/types.h"
#include "runtime/transport/endpoint.h"
#include "runtime/transport/secure_session.h"

namespace turnpike::runtime {

class DtlsAssociation;

enum class DtlsCloseReason : uint8_t {
  kRequested,  // the core's CloseConnection
  kClient,     // close_notify
  kIdle,
  kHandshakeTimeout,
  kSecureSession,  // fatal alert, handshake failure, retransmissions spent
};

// The listener: it owns the socket the records leave on and hears when an
// association ends or finishes its handshake.
class DtlsAssociationOwner {
 public:
  virtual SendResult SendDatagram(const TransportAddress& to,
                                  absl::Span<const uint8_t> bytes) = 0;
  virtual void OnHandshakeDone(DtlsAssociation& association) = 0;
  virtual void OnAssociationClosed(DtlsAssociation& association,
                                   DtlsCloseReason reason) = 0;

 protected:
  ~DtlsAssociationOwner() = default;
};

struct DtlsAssociationOptions {
  core::ConnectionId id;
  core::ListenerId listener;
  TransportAddress local;
  TransportAddress remote;
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
};

class DtlsAssociation final : public Endpoint, private RecordSink {
 public:
  // `make_session` builds the DTLS server session on this association's
  // record sink. Everything borrowed must outlive the association.
  template <typename Factory>
  static std::unique_ptr<DtlsAssociation> Create(
      uv_loop_t* loop, const DtlsAssociationOptions& options,
      const Factory& make_session, DtlsAssociationOwner* owner,
      MessageSink* sink) {
    std::unique_ptr<DtlsAssociation> association(
        new DtlsAssociation(options, owner, sink));
    association->session_ = make_session(*association);
    if (association->session_ == nullptr ||
        !association->StartTimer(loop)) {
      return nullptr;
    }
    return association;
  }
  ~DtlsAssociation() override;
  DtlsAssociation(const DtlsAssociation&) = delete;
  DtlsAssociation& operator=(const DtlsAssociation&) = delete;

  // Endpoint.
  core::SocketRef id() const override { return options_.id; }
  core::Transport transport() const override { return core::Transport::kDtls; }
  const TransportAddress& local_address() const override {
    return options_.local;
  }
  std::pair<int, int> buffer_bytes() const override { return {0, 0}; }
  // Seals `message` into one datagram to the client; `to` is ignored.
  SendResult Send(const TransportAddress& to,
                  const OutboundMessage& message) override;
  // Stops the timer; no owner call (the owner is closing it).
  void Close() override;

  // One datagram from the client: decrypted, and the plaintext handed to
  // the sink. Closes the association (and tells the owner) when the
  // session fails.
  void Receive(const core::Now& now, absl::Span<const uint8_t> datagram);
  // The core's CloseConnection.
  void CloseRequested() { CloseSelf(DtlsCloseReason::kRequested); }
  // The idle timer runs only while the client has no allocation.
  void SetHasAllocation(bool has);

  bool closed() const { return timer_ == nullptr; }
  // Whether the handshake finished (and the owner heard of it), even if
  // the session failed since.
  bool handshake_done() const { return handshake_done_; }
  core::FiveTuple five_tuple() const {
    return {core::Transport::kDtls, options_.remote, options_.local,
            options_.listener, options_.id};
  }
  std::optional<core::FiveTuple> client_tuple() const override {
    return five_tuple();
  }
  const TransportAddress& remote_address() const { return options_.remote; }

 private:
  DtlsAssociation(const DtlsAssociationOptions& options,
                  DtlsAssociationOwner* owner, MessageSink* sink)
      : options_(options), owner_(owner), sink_(sink) {}
  bool StartTimer(uv_loop_t* loop);
  void OnRecords(absl::Span<const uint8_t> records) override;
  static void OnTimer(uv_timer_t* handle);
  void HandleTimer();
  void ArmTimer();
  void CloseSelf(DtlsCloseReason reason);
  uint64_t NowMs() const;

  DtlsAssociationOptions options_;
  DtlsAssociationOwner* owner_;
  MessageSink* sink_;
  std::unique_ptr<SecureSession> session_;
  std::vector<uint8_t> plaintext_;
  // What the socket did with the last datagram the session wrote.
  SendResult last_send_;
  // Heap-allocated and freed by its close callback; nullptr once closed.
  uv_timer_t* timer_ = nullptr;
  // Deadlines in uv_now() milliseconds; nullopt when not running.
  std::optional<uint64_t> handshake_deadline_;
  std::optional<uint64_t> idle_deadline_;
  bool handshake_done_ = false;
};

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_DTLS_ASSOCIATION_H_
