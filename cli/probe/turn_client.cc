#include "cli/probe/turn_client.h"

#include <openssl/rand.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace turnpike::cli::probe {
namespace {

// RFC 8489 §6.2.1: the first retransmission after 500 ms, then doubling.
constexpr Clock::duration kInitialRto = std::chrono::milliseconds(500);
// Relayed messages kept while a transaction waits: the probe expects one
// at a time, so a few are plenty and a flood cannot grow memory.
constexpr size_t kMaxKeptRelayed = 16;
// Credential rounds per request: the first try, the retry after a 401,
// one more after a 438.
constexpr int kMaxAuthRounds = 3;

std::string Seconds(Clock::duration d) {
  return absl::StrCat(
      std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 1000.0,
      " s");
}

}  // namespace

stun::TransactionId NewTransactionId() {
  stun::TransactionId id{};
  RAND_bytes(id.data(), id.size());
  return id;
}

TurnClient::TurnClient(std::unique_ptr<Connection> connection,
                       Credential credential, Clock::duration timeout)
    : connection_(std::move(connection)),
      credential_(std::move(credential)),
      timeout_(timeout) {}

void TurnClient::Keep(const std::vector<uint8_t>& bytes) {
  std::optional<Relayed> relayed = ReadRelayed(bytes);
  if (!relayed) return;
  if (relayed_.size() == kMaxKeptRelayed) relayed_.pop_front();
  relayed_.push_back(*std::move(relayed));
}

absl::StatusOr<Reply> TurnClient::RoundTrip(const Bytes& request,
                                            stun::Method method,
                                            const stun::TransactionId& id) {
  if (request.empty()) {
    return absl::InternalError("the request does not fit in a message");
  }
  const Clock::time_point deadline = Clock::now() + timeout_;
  Clock::duration rto = kInitialRto;
  Clock::time_point sent_at = Clock::now();
  Clock::time_point resend_at = sent_at + rto;
  if (absl::Status s = connection_->Send(request, deadline); !s.ok()) return s;
  failed_integrity_ = 0;
  for (;;) {
    const Clock::time_point wake =
        connection_->reliable() ? deadline : std::min(deadline, resend_at);
    absl::StatusOr<std::vector<uint8_t>> bytes = connection_->Receive(wake);
    if (!bytes.ok()) {
      if (!absl::IsDeadlineExceeded(bytes.status())) return bytes.status();
      if (Clock::now() >= deadline) {
        std::string why = absl::StrCat("no answer within ", Seconds(timeout_));
        if (failed_integrity_ > 0) {
          absl::StrAppend(&why, " (", failed_integrity_,
                          " answer(s) failed the MESSAGE-INTEGRITY check: "
                          "wrong password, or not the server)");
        }
        return absl::DeadlineExceededError(why);
      }
      // RFC 8489 §6.2.1: over UDP, send again with a doubled timer.
      sent_at = Clock::now();
      rto *= 2;
      resend_at = sent_at + rto;
      if (absl::Status s = connection_->Send(request, deadline); !s.ok()) {
        return s;
      }
      continue;
    }
    std::optional<Reply> reply = ReadReply(*bytes, credential_.key);
    if (!reply) {
      Keep(*bytes);
      continue;
    }
    // A late answer to an earlier try, or not an answer to this request.
    if (reply->id != id || reply->method != static_cast<uint16_t>(method)) {
      continue;
    }
    if (reply->integrity == Integrity::kInvalid) {
      // RFC 8489 §9.2.5: a response that fails the check is discarded.
      ++failed_integrity_;
      continue;
    }
    last_rtt_ = Clock::now() - sent_at;
    return *std::move(reply);
  }
}

absl::StatusOr<Reply> TurnClient::Request(stun::Method method,
                                          const AddAttributes& add,
                                          bool authenticate) {
  absl::StatusOr<Reply> reply;
  for (int round = 0; round < kMaxAuthRounds; ++round) {
    const bool with_credentials = authenticate && credential_.ready();
    const stun::TransactionId id = NewTransactionId();
    reply = RoundTrip(
        EncodeRequest(method, id, add, with_credentials ? &credential_ : nullptr),
        method, id);
    if (!reply.ok() || !authenticate) return reply;
    const int code = reply->error_code;
    // RFC 8489 §9.2.5: a 401 to a request without credentials (or with a
    // nonce the server no longer takes) teaches the realm and nonce; a
    // 401 to a request made with the current ones means they are wrong.
    const bool challenge =
        (code == 401 && (!with_credentials || reply->nonce != credential_.nonce)) ||
        code == 438;
    if (!challenge || credential_.username.empty()) return reply;
    std::string why;
    if (!LearnChallenge(*reply, credential_, why)) {
      return absl::FailedPreconditionError(why);
    }
  }
  return reply;
}

absl::Status TurnClient::SendIndication(const TransportAddress& peer,
                                        absl::Span<const uint8_t> data) {
  return connection_->Send(EncodeSendIndication(NewTransactionId(), peer, data),
                           Clock::now() + timeout_);
}

absl::Status TurnClient::SendChannelData(uint16_t channel,
                                         absl::Span<const uint8_t> data) {
  return connection_->Send(EncodeChannelData(channel, data),
                           Clock::now() + timeout_);
}

absl::StatusOr<Relayed> TurnClient::WaitRelayed(
    Clock::time_point deadline,
    const std::function<bool(const Relayed&)>& wanted) {
  while (!relayed_.empty()) {
    Relayed first = std::move(relayed_.front());
    relayed_.pop_front();
    if (wanted(first)) return first;
  }
  for (;;) {
    absl::StatusOr<std::vector<uint8_t>> bytes = connection_->Receive(deadline);
    if (!bytes.ok()) return bytes.status();
    std::optional<Relayed> relayed = ReadRelayed(*bytes);
    if (relayed && wanted(*relayed)) return *std::move(relayed);
  }
}

}  // namespace turnpike::cli::probe
