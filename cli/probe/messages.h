// What the probe writes and reads on the wire, with the project's own codec
// (core/stun): requests with the long-term credential attributes of
// RFC 8489 §9.2.4-§9.2.5, and the parts of an answer the probe acts on,
// copied out of the message so they outlive the buffer. Pure functions:
// every byte the server sends passes through ReadReply or ReadRelayed, which
// the fuzz-style tests (`tests/cli/probe_messages_test.cc`) feed garbage.
#ifndef TURNPIKE_CLI_PROBE_MESSAGES_H_
#define TURNPIKE_CLI_PROBE_MESSAGES_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "core/net/transport_address.h"
#include "core/stun/constants.h"
#include "core/stun/integrity.h"
#include "core/stun/message_builder.h"

namespace turnpike::cli::probe {

using Bytes = std::vector<uint8_t>;

// The long-term credential state of one client (RFC 8489 §9.2): what the
// server's 401 taught, and the key derived from it.
struct Credential {
  std::string username;  // prepared (OpaqueString), as sent
  std::string password;  // prepared
  std::string realm;     // from the server
  std::string nonce;     // from the server
  // RFC 8489 §9.2.4: the PASSWORD-ALGORITHMS value to echo and the one
  // chosen from it; empty when the server offered none (MD5, RFC 5389).
  Bytes offered_algorithms;
  std::optional<stun::PasswordAlgorithmId> algorithm;
  stun::HmacKey key;

  bool ready() const { return !nonce.empty() && !key.empty(); }
};

using AddAttributes = std::function<void(stun::MessageBuilder&)>;

// A request of `method` with `add` attributes, then, when `credential` is
// ready, USERNAME, REALM, NONCE, the password algorithms and
// MESSAGE-INTEGRITY; FINGERPRINT last. Empty when it does not fit.
Bytes EncodeRequest(stun::Method method, const stun::TransactionId& id,
                    const AddAttributes& add, const Credential* credential);

// RFC 8656 §11.1: a Send indication (no integrity, §11.2 of RFC 8489 has
// none for indications).
Bytes EncodeSendIndication(const stun::TransactionId& id,
                           const TransportAddress& peer,
                           absl::Span<const uint8_t> data);
// RFC 8656 §12.4: ChannelData, unpadded (stream connections pad it).
Bytes EncodeChannelData(uint16_t channel, absl::Span<const uint8_t> data);

enum class Integrity : uint8_t { kAbsent, kValid, kInvalid };

// What the probe needs from a response. Untrusted: from the server.
struct Reply {
  stun::MessageClass message_class = stun::MessageClass::kErrorResponse;
  uint16_t method = 0;
  stun::TransactionId id{};
  int error_code = 0;  // 0 on success
  std::string reason;  // the ERROR-CODE reason phrase, as sent
  std::string realm;
  std::string nonce;
  Bytes password_algorithms;  // raw PASSWORD-ALGORITHMS value
  std::vector<uint16_t> algorithm_ids;
  std::optional<TransportAddress> mapped;   // XOR-MAPPED-ADDRESS (or MAPPED)
  std::vector<TransportAddress> relayed;    // XOR-RELAYED-ADDRESS
  std::optional<uint32_t> lifetime;
  std::optional<TransportAddress> alternate_server;
  std::string software;
  Integrity integrity = Integrity::kAbsent;

  bool success() const {
    return message_class == stun::MessageClass::kSuccessResponse;
  }
};

// nullopt unless `bytes` is a well-formed STUN response (success or
// error). `key` (may be empty) checks MESSAGE-INTEGRITY(-SHA256).
std::optional<Reply> ReadReply(absl::Span<const uint8_t> bytes,
                               absl::Span<const uint8_t> key);

// Data that came through a relay: a Data indication (RFC 8656 §11.4) or
// ChannelData (§12.6). nullopt for anything else.
struct Relayed {
  bool via_channel = false;
  uint16_t channel = 0;                 // via a channel
  std::optional<TransportAddress> peer;  // XOR-PEER-ADDRESS of an indication
  Bytes data;
};
std::optional<Relayed> ReadRelayed(absl::Span<const uint8_t> bytes);

// "401 Unauthorized", with the server's reason phrase or, when it sent
// none, the RFC's.
std::string DescribeError(const Reply& reply);

// Learns REALM, NONCE and PASSWORD-ALGORITHMS from a 401 or 438 and derives
// the key (RFC 8489 §9.2.5). False (with `why`) when the answer lacks what
// a retry needs or offers no algorithm this client knows.
bool LearnChallenge(const Reply& reply, Credential& credential,
                    std::string& why);

}  // namespace turnpike::cli::probe

#endif  // TURNPIKE_CLI_PROBE_MESSAGES_H_
