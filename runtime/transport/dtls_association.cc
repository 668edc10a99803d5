#include "runtime/transport/dtls_association.h"

#include <algorithm>

namespace turnpike::runtime {

DtlsAssociation::~DtlsAssociation() { Close(); }

bool DtlsAssociation::StartTimer(uv_loop_t* loop) {
  auto* timer = new uv_timer_t;
  if (uv_timer_init(loop, timer) != 0) {
    delete timer;  // never registered with the loop
    return false;
  }
  timer->data = this;
  timer_ = timer;
  const uint64_t now = NowMs();
  handshake_deadline_ =
      now + static_cast<uint64_t>(options_.handshake_timeout.count());
  idle_deadline_ = now + static_cast<uint64_t>(options_.idle_timeout.count());
  ArmTimer();
  return true;
}

uint64_t DtlsAssociation::NowMs() const {
  return uv_now(timer_->loop);
}

void DtlsAssociation::Close() {
  if (timer_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  timer_ = nullptr;
}

void DtlsAssociation::CloseSelf(DtlsCloseReason reason) {
  if (closed()) return;
  Close();
  owner_->OnAssociationClosed(*this, reason);
}

void DtlsAssociation::OnRecords(absl::Span<const uint8_t> records) {
  last_send_ = owner_->SendDatagram(options_.remote, records);
}

SendResult DtlsAssociation::Send(const TransportAddress& /*to*/,
                                 const OutboundMessage& message) {
  if (closed() || !session_->handshake_complete()) {
    return {SendResult::Outcome::kFailed, 0, UV_ENOTCONN};
  }
  last_send_ = {SendResult::Outcome::kFailed, 0, UV_EINVAL};
  if (!session_->Send(message).ok()) {
    return {SendResult::Outcome::kFailed, 0, UV_EMSGSIZE};
  }
  if (last_send_.outcome == SendResult::Outcome::kSent) {
    last_send_.bytes = message.size();
  }
  return last_send_;
}

void DtlsAssociation::Receive(const core::Now& now,
                              absl::Span<const uint8_t> datagram) {
  if (closed()) return;
  plaintext_.clear();
  const absl::Status status = session_->Receive(datagram, plaintext_);
  if (!status.ok()) {
    CloseSelf(absl::IsCancelled(status) ? DtlsCloseReason::kClient
                                        : DtlsCloseReason::kSecureSession);
    return;
  }
  if (!handshake_done_ && session_->handshake_complete()) {
    handshake_done_ = true;
    handshake_deadline_.reset();
    owner_->OnHandshakeDone(*this);
  }
  ArmTimer();  // the retransmission timer moves with every flight
  // RFC 7350 §4: each record's plaintext is one STUN message or
  // ChannelData, even when a client packs several records in a datagram.
  size_t begin = 0;
  for (const size_t end : session_->last_record_ends()) {
    if (closed()) return;  // the sink may close us between messages
    if (end > begin) {
      sink_->OnMessage(now, *this, options_.remote,
                       absl::MakeConstSpan(plaintext_).subspan(begin,
                                                               end - begin));
    }
    begin = end;
  }
}

void DtlsAssociation::SetHasAllocation(bool has) {
  if (closed()) return;
  if (has) {
    idle_deadline_.reset();
  } else if (!idle_deadline_) {
    idle_deadline_ =
        NowMs() + static_cast<uint64_t>(options_.idle_timeout.count());
  }
  ArmTimer();
}

void DtlsAssociation::ArmTimer() {
  if (closed()) return;
  std::optional<uint64_t> next;
  for (const std::optional<uint64_t>& deadline :
       {handshake_deadline_, idle_deadline_}) {
    if (deadline) next = next ? std::min(*next, *deadline) : *deadline;
  }
  const uint64_t now = NowMs();
  if (const std::optional<core::Duration> retransmit =
          session_->RetransmitIn()) {
    const auto ms =
        std::chrono::ceil<std::chrono::milliseconds>(*retransmit).count();
    const uint64_t at = now + static_cast<uint64_t>(std::max<int64_t>(ms, 0));
    next = next ? std::min(*next, at) : at;
  }
  if (!next) {
    uv_timer_stop(timer_);
    return;
  }
  uv_timer_start(timer_, &DtlsAssociation::OnTimer,
                 *next > now ? *next - now : 0, 0);
}

void DtlsAssociation::OnTimer(uv_timer_t* handle) {
  static_cast<DtlsAssociation*>(handle->data)->HandleTimer();
}

void DtlsAssociation::HandleTimer() {
  const uint64_t now = NowMs();
  if (handshake_deadline_ && *handshake_deadline_ <= now) {
    CloseSelf(DtlsCloseReason::kHandshakeTimeout);
    return;
  }
  if (idle_deadline_ && *idle_deadline_ <= now) {
    CloseSelf(DtlsCloseReason::kIdle);
    return;
  }
  // Sends the last flight again if it is due (RFC 6347 §4.2.4).
  if (!session_->OnRetransmitTimer().ok()) {
    CloseSelf(DtlsCloseReason::kSecureSession);
    return;
  }
  ArmTimer();
}

}  // namespace turnpike::runtime
