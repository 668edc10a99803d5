// A TURN client for the integration tests: a real UDP socket and the
// project's own codec (core/stun), so the tests speak exactly what a
// standards-following client speaks (RFC 8656 §7-§12, RFC 8489 §9.2).
//
// Requests are answered in one round trip on loopback, so there is no
// retransmission; every receive is bounded by a timeout instead. Responses
// are matched by transaction ID: one with an ID this client did not send is
// counted in stray_responses() and otherwise ignored. Data indications and
// ChannelData that arrive while a transaction waits are kept for
// ReceiveRelayed(), in order.
#ifndef TURNPIKE_TESTS_RUNTIME_TURN_CLIENT_H_
#define TURNPIKE_TESTS_RUNTIME_TURN_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/net/transport_address.h"
#include "core/stun/constants.h"
#include "core/stun/integrity.h"
#include "core/stun/message_builder.h"
#include "tests/runtime/tcp_stream.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::testing {

using Payload = std::vector<uint8_t>;

// What a test needs from one response, copied out of the message so it
// outlives the datagram.
struct TurnReply {
  stun::MessageClass message_class = stun::MessageClass::kErrorResponse;
  uint16_t method = 0;
  int error_code = 0;                      // 0 on a success response
  std::optional<TransportAddress> mapped;  // XOR-MAPPED-ADDRESS
  std::vector<TransportAddress> relayed;   // XOR-RELAYED-ADDRESS, each family
  std::optional<uint32_t> lifetime;        // LIFETIME, seconds
  std::optional<int> address_error_code;   // ADDRESS-ERROR-CODE (dual)
  std::optional<uint64_t> reservation_token;  // RESERVATION-TOKEN (§7.2)
  std::optional<uint32_t> connection_id;      // CONNECTION-ID (RFC 6062)
  std::optional<TransportAddress> alternate_server;  // ALTERNATE-SERVER (300)
  std::string realm;                          // REALM, when sent
  std::string nonce;                          // NONCE, when sent
  // MESSAGE-INTEGRITY present and valid under this client's key
  // (RFC 8489 §9.2.4: a server authenticates its responses).
  bool integrity_valid = false;

  bool ok() const {
    return message_class == stun::MessageClass::kSuccessResponse;
  }
};

// Data that came back through the relay.
struct RelayedData {
  bool via_channel = false;  // ChannelData, else a Data indication
  uint16_t channel = 0;      // when via_channel
  TransportAddress peer;     // XOR-PEER-ADDRESS, when a Data indication
  Payload data;
};

struct AllocateOptions {
  std::optional<uint8_t> requested_family;   // 0x01 IPv4, 0x02 IPv6
  std::optional<uint8_t> additional_family;  // RFC 8656 §18.10 (dual)
  std::optional<uint32_t> lifetime;
  // RFC 8656 §7.2: EVEN-PORT with its R bit (port+1 reserved when true).
  std::optional<bool> even_port_reserve_next;
  std::optional<uint64_t> reservation_token;  // claims a reserved port
  bool dont_fragment = false;                 // DONT-FRAGMENT
  // REQUESTED-TRANSPORT: 17 (UDP), or 6 for an RFC 6062 TCP allocation.
  uint8_t requested_transport = 17;
};

class TurnClient {
 public:
  // Only a failing run waits this long for a reply, so it is sized for a
  // sanitizer build on a loaded machine, not for loopback's microseconds.
  static constexpr std::chrono::milliseconds kDefaultTimeout{10000};

  // A client on `local_ip`:0 talking to `server`; nullopt when the local
  // address cannot be bound.
  // `local_port` 0 lets the kernel choose.
  static std::optional<TurnClient> Create(const std::string& local_ip,
                                          const TransportAddress& server,
                                          uint16_t local_port = 0);
  // The same over a TCP connection to `server` (RFC 8656 §3.1): messages
  // framed on the stream, ChannelData padded to 4 both ways (§12.5).
  // `receive_buffer` sets the client's SO_RCVBUF (a slow reader).
  static std::optional<TurnClient> CreateTcp(
      const std::string& local_ip, const TransportAddress& server,
      std::optional<int> receive_buffer = std::nullopt);
  // The TCP connection, for tests that watch it close; nullptr over UDP.
  TcpStream* stream() { return stream_ ? &*stream_ : nullptr; }

  void SetCredentials(std::string username, std::string password) {
    username_ = std::move(username);
    password_ = std::move(password);
  }
  // Authenticates the next request with this REALM and NONCE, as if they
  // came in a 401 to this client (a nonce another client was given).
  void AdoptNonce(const std::string& realm, const std::string& nonce);
  // This client's own transport address (what the server sees).
  TransportAddress local_address() const;
  int stray_responses() const { return stray_responses_; }
  // How many requests were sent again after a 438 (Stale Nonce).
  int stale_nonce_retries() const { return stale_nonce_retries_; }

  // RFC 8489 §7: no credentials.
  std::optional<TurnReply> Binding();
  // RFC 8656 §7.1. The first attempt carries no credentials; a 401 teaches
  // REALM and NONCE and the request is sent again with MESSAGE-INTEGRITY
  // (and once more on 438 with the fresh NONCE, §9.2.4 of RFC 8489). A 401
  // to the authenticated attempt is returned: the credentials are wrong.
  // Without SetCredentials() the first 401 itself is returned.
  std::optional<TurnReply> Allocate(const AllocateOptions& options = {});
  std::optional<TurnReply> CreatePermission(
      const std::vector<TransportAddress>& peers);
  std::optional<TurnReply> ChannelBind(uint16_t channel,
                                       const TransportAddress& peer);
  // RFC 6062 §5.2 (Connect, on the control connection) and §5.4
  // (ConnectionBind, on a new one): the replies carry CONNECTION-ID.
  std::optional<TurnReply> Connect(const TransportAddress& peer);
  std::optional<TurnReply> ConnectionBind(uint32_t connection_id);
  // RFC 6062 §5.3: the next ConnectionAttempt indication's CONNECTION-ID
  // and XOR-PEER-ADDRESS, or nullopt when none arrives within `timeout`.
  // Anything else that arrives meanwhile is dropped.
  struct ConnectionAttempt {
    uint32_t connection_id = 0;
    TransportAddress peer;
  };
  std::optional<ConnectionAttempt> ReceiveConnectionAttempt(
      std::chrono::milliseconds timeout = kDefaultTimeout);
  // Without `lifetime` the server's default applies; 0 deletes (§7.4).
  std::optional<TurnReply> Refresh(std::optional<uint32_t> lifetime);

  using AddAttributes = std::function<void(stun::MessageBuilder&)>;
  // `count` authenticated requests of `method`, each with a fresh
  // transaction ID, with up to `window` of them unanswered at a time (a
  // client that does not wait for each answer). Needs a nonce (after
  // Allocate). Returns how many got a success response; stops early when
  // an answer is overdue (kDefaultTimeout).
  int Burst(stun::Method method, const AddAttributes& add_attributes, int count,
            int window);

  // RFC 8656 §11.1 (indications carry no integrity) and §12.4.
  bool SendIndication(const TransportAddress& peer, const Payload& data);
  bool SendChannelData(uint16_t channel, const Payload& data);
  // The next Data indication or ChannelData, or nullopt when none arrives
  // within `timeout`. Anything else that arrives meanwhile is dropped.
  std::optional<RelayedData> ReceiveRelayed(
      std::chrono::milliseconds timeout = kDefaultTimeout);

 private:
  TurnClient(std::optional<UdpSocket> socket, std::optional<TcpStream> stream,
             TransportAddress server)
      : socket_(std::move(socket)),
        stream_(std::move(stream)),
        server_(server),
        random_(std::random_device{}()) {}
  // The next datagram, or the next framed message of the stream (from the
  // server, by construction).
  std::optional<Datagram> ReceiveFrom(std::chrono::milliseconds timeout);

  // One request with the authentication dance described at Allocate().
  std::optional<TurnReply> Transact(stun::Method method,
                                    const AddAttributes& add_attributes,
                                    bool authenticate);
  // An authenticated request as sent on the wire, under transaction `id`.
  std::optional<Payload> Encode(stun::Method method,
                                const AddAttributes& add_attributes,
                                bool authenticate,
                                const stun::TransactionId& id);
  // One request/response round trip, credentials included when known.
  std::optional<TurnReply> RoundTrip(stun::Method method,
                                     const AddAttributes& add_attributes,
                                     bool authenticate);
  // Takes REALM and NONCE from a 401 or 438 and derives the key.
  void LearnChallenge(const TurnReply& reply);
  stun::TransactionId NewTransactionId();
  bool Send(const Payload& bytes);
  // Only the server's own address may answer (RFC 8656 §7.3: a response
  // from elsewhere is not one).
  bool FromServer(const Datagram& datagram) const;
  // Files a Data indication or ChannelData for ReceiveRelayed(); false when
  // `bytes` is neither.
  bool KeepIfRelayed(const Payload& bytes);

  std::optional<UdpSocket> socket_;  // exactly one of these two
  std::optional<TcpStream> stream_;
  TransportAddress server_;
  std::mt19937_64 random_;
  std::string username_;
  std::string password_;
  std::string realm_;
  std::string nonce_;
  stun::HmacKey key_;
  std::deque<RelayedData> relayed_;
  int stray_responses_ = 0;
  int stale_nonce_retries_ = 0;
};

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_RUNTIME_TURN_CLIENT_H_
