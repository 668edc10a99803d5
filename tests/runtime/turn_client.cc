#include "tests/runtime/turn_client.h"

#include <array>
#include <utility>

#include "absl/types/span.h"
#include "core/stun/channel_data.h"
#include "core/stun/message_view.h"

namespace turnpike::testing {
namespace {

using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::MessageView;
using stun::Method;
using Clock = std::chrono::steady_clock;

// RFC 8656 §18.7: the IANA protocol number of UDP.
constexpr uint8_t kUdpProtocol = 17;
// Large enough for any request these tests build (payloads stay well under
// a typical path MTU).
constexpr size_t kMessageBufferSize = 4096;

std::chrono::milliseconds Remaining(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - Clock::now());
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

TurnReply Summarize(const MessageView& view, const stun::HmacKey& key) {
  TurnReply reply;
  reply.message_class = view.message_class();
  reply.method = view.method();
  if (std::optional<stun::ErrorCodeValue> error = view.ErrorCode()) {
    reply.error_code = error->code;
  }
  reply.mapped = view.XorMappedAddress();
  for (const TransportAddress& relayed : view.XorRelayedAddresses()) {
    reply.relayed.push_back(relayed);
  }
  reply.lifetime = view.Lifetime();
  if (std::optional<stun::AddressErrorCodeValue> address_error =
          view.AddressErrorCode()) {
    reply.address_error_code = address_error->code;
  }
  reply.reservation_token = view.ReservationToken();
  reply.connection_id = view.ConnectionId();
  reply.alternate_server = view.AlternateServer();
  if (std::optional<std::string_view> realm = view.Realm()) {
    reply.realm = std::string(*realm);
  }
  if (std::optional<std::string_view> nonce = view.Nonce()) {
    reply.nonce = std::string(*nonce);
  }
  reply.integrity_valid =
      !key.empty() &&
      stun::CheckMessageIntegrity(view, key) == stun::IntegrityResult::kOk;
  return reply;
}

}  // namespace

std::optional<TurnClient> TurnClient::Create(const std::string& local_ip,
                                             const TransportAddress& server,
                                             uint16_t local_port) {
  std::optional<UdpSocket> socket = UdpSocket::Bind(local_ip, local_port);
  if (!socket) return std::nullopt;
  return TurnClient(std::move(socket), std::nullopt, server);
}

std::optional<TurnClient> TurnClient::CreateTcp(
    const std::string& local_ip, const TransportAddress& server,
    std::optional<int> receive_buffer) {
  std::optional<TcpStream> stream =
      TcpStream::Connect(local_ip, server, receive_buffer);
  if (!stream) return std::nullopt;
  return TurnClient(std::nullopt, std::move(stream), server);
}

TransportAddress TurnClient::local_address() const {
  if (stream_) return stream_->local_address();
  return TransportAddress{*IpAddress::Parse(socket_->local_ip()),
                          socket_->local_port()};
}

std::optional<Datagram> TurnClient::ReceiveFrom(
    std::chrono::milliseconds timeout) {
  if (socket_) return socket_->ReceiveFrom(timeout);
  std::optional<std::vector<uint8_t>> message =
      stream_->ReceiveMessage(timeout);
  if (!message) return std::nullopt;
  return Datagram{std::move(*message), server_.ip.ToString(), server_.port};
}

stun::TransactionId TurnClient::NewTransactionId() {
  // RFC 8489 §6: uniformly random over the 96 bits.
  stun::TransactionId id;
  for (uint8_t& byte : id) byte = static_cast<uint8_t>(random_());
  return id;
}

bool TurnClient::Send(const Payload& bytes) {
  if (stream_) return stream_->Send(bytes);
  return socket_->SendTo(server_.ip.ToString(), server_.port, bytes);
}

bool TurnClient::FromServer(const Datagram& datagram) const {
  return datagram.source_port == server_.port &&
         IpAddress::Parse(datagram.source_ip) == server_.ip;
}

void TurnClient::AdoptNonce(const std::string& realm,
                            const std::string& nonce) {
  TurnReply challenge;
  challenge.realm = realm;
  challenge.nonce = nonce;
  LearnChallenge(challenge);
}

void TurnClient::LearnChallenge(const TurnReply& reply) {
  if (!reply.realm.empty()) realm_ = reply.realm;
  nonce_ = reply.nonce;
  // RFC 8489 §9.2.2: MD5(username ":" realm ":" password). The test
  // credentials are ASCII, which OpaqueString leaves unchanged.
  key_ = stun::LongTermKey(stun::PasswordAlgorithmId::kMd5, username_, realm_,
                           password_);
}

std::optional<Payload> TurnClient::Encode(Method method,
                                          const AddAttributes& add_attributes,
                                          bool authenticate,
                                          const stun::TransactionId& id) {
  std::array<uint8_t, kMessageBufferSize> buffer{};
  MessageBuilder builder(absl::MakeSpan(buffer), MessageClass::kRequest, method,
                         id);
  if (add_attributes) add_attributes(builder);
  if (authenticate && !nonce_.empty()) {
    // RFC 8489 §9.2.4: USERNAME, REALM, NONCE, then MESSAGE-INTEGRITY.
    builder.AddString(AttributeType::kUsername, username_)
        .AddString(AttributeType::kRealm, realm_)
        .AddString(AttributeType::kNonce, nonce_)
        .AddMessageIntegrity(key_);
  }
  builder.AddFingerprint();
  auto encoded = builder.Finish();
  if (!encoded.ok()) return std::nullopt;
  return Payload(encoded->begin(), encoded->end());
}

int TurnClient::Burst(Method method, const AddAttributes& add_attributes,
                      int count, int window) {
  int sent = 0;
  int answered = 0;
  int succeeded = 0;
  while (answered < count) {
    while (sent < count && sent - answered < window) {
      std::optional<Payload> request =
          Encode(method, add_attributes, true, NewTransactionId());
      if (!request || !Send(*request)) return succeeded;
      ++sent;
    }
    std::optional<Datagram> datagram = ReceiveFrom(kDefaultTimeout);
    if (!datagram) return succeeded;  // overdue: lost or never answered
    if (!FromServer(*datagram) || KeepIfRelayed(datagram->bytes)) continue;
    auto view = MessageView::Parse(datagram->bytes);
    if (!view.ok() || view->method() != static_cast<uint16_t>(method)) {
      ++stray_responses_;
      continue;
    }
    ++answered;
    if (view->message_class() == MessageClass::kSuccessResponse) ++succeeded;
  }
  return succeeded;
}

std::optional<TurnReply> TurnClient::RoundTrip(
    Method method, const AddAttributes& add_attributes, bool authenticate) {
  const stun::TransactionId id = NewTransactionId();
  std::optional<Payload> request =
      Encode(method, add_attributes, authenticate, id);
  if (!request || !Send(*request)) return std::nullopt;

  const Clock::time_point deadline = Clock::now() + kDefaultTimeout;
  for (;;) {
    std::optional<Datagram> datagram = ReceiveFrom(Remaining(deadline));
    if (!datagram) return std::nullopt;
    if (!FromServer(*datagram)) {
      ++stray_responses_;
      continue;
    }
    if (KeepIfRelayed(datagram->bytes)) continue;
    auto view = MessageView::Parse(datagram->bytes);
    if (!view.ok() || view->transaction_id() != id ||
        view->message_class() == MessageClass::kRequest ||
        view->message_class() == MessageClass::kIndication) {
      ++stray_responses_;
      continue;
    }
    return Summarize(*view, key_);
  }
}

std::optional<TurnReply> TurnClient::Transact(
    Method method, const AddAttributes& add_attributes, bool authenticate) {
  bool sent_credentials = authenticate && !nonce_.empty();
  bool retried_stale_nonce = false;
  for (;;) {
    std::optional<TurnReply> reply =
        RoundTrip(method, add_attributes, authenticate);
    if (!authenticate || !reply || reply->ok()) return reply;
    if (reply->error_code == stun::error_code::kUnauthenticated &&
        !sent_credentials && !username_.empty() && !reply->nonce.empty()) {
      LearnChallenge(*reply);
      sent_credentials = true;
      continue;
    }
    if (reply->error_code == stun::error_code::kStaleNonce &&
        !retried_stale_nonce && !reply->nonce.empty()) {
      LearnChallenge(*reply);
      retried_stale_nonce = true;
      ++stale_nonce_retries_;
      sent_credentials = true;
      continue;
    }
    return reply;
  }
}

std::optional<TurnReply> TurnClient::Binding() {
  return Transact(Method::kBinding, nullptr, /*authenticate=*/false);
}

std::optional<TurnReply> TurnClient::Allocate(const AllocateOptions& options) {
  return Transact(
      Method::kAllocate,
      [&options](MessageBuilder& builder) {
        builder.AddRequestedTransport(options.requested_transport);
        if (options.requested_family) {
          builder.AddRequestedAddressFamily(*options.requested_family);
        }
        if (options.additional_family) {
          builder.AddAdditionalAddressFamily(*options.additional_family);
        }
        if (options.lifetime) builder.AddLifetime(*options.lifetime);
        if (options.even_port_reserve_next) {
          builder.AddEvenPort(*options.even_port_reserve_next);
        }
        if (options.reservation_token) {
          builder.AddReservationToken(*options.reservation_token);
        }
        if (options.dont_fragment) {
          builder.AddEmpty(AttributeType::kDontFragment);
        }
      },
      /*authenticate=*/true);
}

std::optional<TurnReply> TurnClient::Connect(const TransportAddress& peer) {
  return Transact(
      Method::kConnect,
      [&peer](MessageBuilder& builder) {
        builder.AddXorAddress(AttributeType::kXorPeerAddress, peer);
      },
      /*authenticate=*/true);
}

std::optional<TurnReply> TurnClient::ConnectionBind(uint32_t connection_id) {
  return Transact(
      Method::kConnectionBind,
      [connection_id](MessageBuilder& builder) {
        builder.AddConnectionId(connection_id);
      },
      /*authenticate=*/true);
}

std::optional<TurnClient::ConnectionAttempt>
TurnClient::ReceiveConnectionAttempt(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    std::optional<Datagram> datagram = ReceiveFrom(Remaining(deadline));
    if (!datagram) return std::nullopt;
    auto view = MessageView::Parse(datagram->bytes);
    if (!view.ok() ||
        view->message_class() != stun::MessageClass::kIndication ||
        view->method() != static_cast<uint16_t>(Method::kConnectionAttempt)) {
      continue;
    }
    std::optional<uint32_t> id = view->ConnectionId();
    const auto peers = view->XorPeerAddresses();
    if (id && peers.size() == 1) return ConnectionAttempt{*id, peers[0]};
  }
}

std::optional<TurnReply> TurnClient::CreatePermission(
    const std::vector<TransportAddress>& peers) {
  return Transact(
      Method::kCreatePermission,
      [&peers](MessageBuilder& builder) {
        for (const TransportAddress& peer : peers) {
          builder.AddXorAddress(AttributeType::kXorPeerAddress, peer);
        }
      },
      /*authenticate=*/true);
}

std::optional<TurnReply> TurnClient::ChannelBind(uint16_t channel,
                                                 const TransportAddress& peer) {
  return Transact(
      Method::kChannelBind,
      [channel, &peer](MessageBuilder& builder) {
        builder.AddChannelNumber(channel).AddXorAddress(
            AttributeType::kXorPeerAddress, peer);
      },
      /*authenticate=*/true);
}

std::optional<TurnReply> TurnClient::Refresh(std::optional<uint32_t> lifetime) {
  return Transact(
      Method::kRefresh,
      [lifetime](MessageBuilder& builder) {
        if (lifetime) builder.AddLifetime(*lifetime);
      },
      /*authenticate=*/true);
}

bool TurnClient::SendIndication(const TransportAddress& peer,
                                const Payload& data) {
  std::array<uint8_t, kMessageBufferSize> buffer{};
  MessageBuilder builder(absl::MakeSpan(buffer), MessageClass::kIndication,
                         Method::kSend, NewTransactionId());
  builder.AddXorAddress(AttributeType::kXorPeerAddress, peer)
      .AddBytes(AttributeType::kData, data)
      .AddFingerprint();
  auto encoded = builder.Finish();
  return encoded.ok() && Send(Payload(encoded->begin(), encoded->end()));
}

bool TurnClient::SendChannelData(uint16_t channel, const Payload& data) {
  const auto header = stun::EncodeChannelDataHeader(
      channel, static_cast<uint16_t>(data.size()));
  Payload bytes(header.begin(), header.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  // RFC 8656 §12.5: over a stream, padded to a multiple of 4.
  if (stream_) bytes.resize((bytes.size() + 3) / 4 * 4, 0);
  return Send(bytes);
}

bool TurnClient::KeepIfRelayed(const Payload& bytes) {
  if (!bytes.empty() && stun::LooksLikeChannelData(bytes[0])) {
    auto parsed = stun::ParseChannelData(bytes, stun::kMaxRfc5766ChannelNumber);
    if (!parsed.ok()) return false;
    relayed_.push_back(
        RelayedData{true, parsed->channel, TransportAddress{},
                    Payload(parsed->payload.begin(), parsed->payload.end())});
    return true;
  }
  auto view = MessageView::Parse(bytes);
  if (!view.ok() || view->message_class() != MessageClass::kIndication ||
      view->header().known_method() != Method::kData) {
    return false;
  }
  // RFC 8656 §11.4 / §11.6: XOR-PEER-ADDRESS and DATA are both required.
  const auto peers = view->XorPeerAddresses();
  const auto data = view->Data();
  if (peers.empty() || !data) return false;
  relayed_.push_back(RelayedData{false, 0, peers.front(),
                                 Payload(data->begin(), data->end())});
  return true;
}

std::optional<RelayedData> TurnClient::ReceiveRelayed(
    std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (relayed_.empty()) {
    std::optional<Datagram> datagram = ReceiveFrom(Remaining(deadline));
    if (!datagram) return std::nullopt;
    if (FromServer(*datagram)) KeepIfRelayed(datagram->bytes);
  }
  RelayedData next = std::move(relayed_.front());
  relayed_.pop_front();
  return next;
}

}  // namespace turnpike::testing
