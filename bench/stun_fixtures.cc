#include "bench/stun_fixtures.h"

#include <array>
#include <cstdlib>
#include <iostream>

#include "core/stun/attributes.h"
#include "core/stun/channel_data.h"
#include "core/stun/message_builder.h"

namespace turnpike::bench {
namespace {

using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::Method;
using stun::PasswordAlgorithmId;

// A stateless nonce as a server mints it: an expiry and a truncated HMAC,
// base64-encoded. For SHA-256 it starts with the RFC 8489 §9.2 nonce cookie
// and the security feature bits (password algorithms).
constexpr std::string_view kNonce = "Zj4xAAAAAGXn2QmT0mJq8Jz4c1vB7kQe";
constexpr std::string_view kNonceWithCookie =
    "obMatJos2AAACZj4xAAAAAGXn2QmT0mJq8Jz4c1vB7kQe";

// Fixtures are built at start-up from constants: failing to build one is a
// bug in this file, so it ends the program.
std::vector<uint8_t> FinishOrDie(const MessageBuilder& builder,
                                 std::string_view what) {
  auto encoded = builder.Finish();
  if (!encoded.ok()) {
    std::cerr << "bench fixture " << what << " failed to encode\n";
    std::abort();
  }
  return std::vector<uint8_t>(encoded->begin(), encoded->end());
}

}  // namespace

stun::TransactionId MakeTransactionId(uint8_t seed) {
  stun::TransactionId id;
  for (size_t i = 0; i < id.size(); ++i) {
    id[i] = static_cast<uint8_t>(seed * 37 + i * 11 + 1);
  }
  return id;
}

std::vector<uint8_t> IceCheckBindingRequest() {
  std::array<uint8_t, 256> buffer;
  MessageBuilder builder(absl::MakeSpan(buffer), MessageClass::kRequest,
                         Method::kBinding, MakeTransactionId(1));
  const stun::HmacKey key = stun::ShortTermKey(kIcePassword);
  builder.AddString(AttributeType::kUsername, kIceUsername)
      .AddUint32(AttributeType::kPriority, 0x6E7F1EFF)  // host candidate
      .AddUint64(AttributeType::kIceControlling, 0x1A2B3C4D5E6F7081)
      .AddEmpty(AttributeType::kUseCandidate)
      .AddMessageIntegrity(key)
      .AddFingerprint();
  return FinishOrDie(builder, "ICE check");
}

std::vector<uint8_t> PlainBindingRequest(bool with_fingerprint) {
  std::array<uint8_t, 64> buffer;
  MessageBuilder builder(absl::MakeSpan(buffer), MessageClass::kRequest,
                         Method::kBinding, MakeTransactionId(2));
  if (with_fingerprint) builder.AddFingerprint();
  return FinishOrDie(builder, "plain Binding");
}

stun::HmacKey CredentialsKey(PasswordAlgorithmId algorithm) {
  return stun::LongTermKey(algorithm, kUsername, kRealm, kPassword);
}

std::vector<uint8_t> AllocateRequest(PasswordAlgorithmId algorithm) {
  std::array<uint8_t, 512> buffer;
  MessageBuilder builder(absl::MakeSpan(buffer), MessageClass::kRequest,
                         Method::kAllocate, MakeTransactionId(3));
  const bool sha256 = algorithm == PasswordAlgorithmId::kSha256;
  builder.AddString(AttributeType::kUsername, kUsername)
      .AddString(AttributeType::kRealm, kRealm)
      .AddString(AttributeType::kNonce, sha256 ? kNonceWithCookie : kNonce)
      .AddRequestedTransport(17)  // UDP
      .AddLifetime(kLifetimeSeconds);
  const stun::HmacKey key = CredentialsKey(algorithm);
  if (sha256) {
    // RFC 8489 §9.2.4: echo the server's list and name the one chosen.
    const stun::PasswordAlgorithmValue offered[] = {
        {static_cast<uint16_t>(PasswordAlgorithmId::kSha256), {}},
        {static_cast<uint16_t>(PasswordAlgorithmId::kMd5), {}},
    };
    builder.AddPasswordAlgorithms(offered)
        .AddPasswordAlgorithm(offered[0])
        .AddMessageIntegritySha256(key);
  } else {
    builder.AddMessageIntegrity(key);
  }
  builder.AddFingerprint();
  return FinishOrDie(builder, "Allocate request");
}

std::vector<uint8_t> ChannelDataMessage(uint16_t channel, size_t payload_size,
                                        bool stream_padding) {
  const auto header = stun::EncodeChannelDataHeader(
      channel, static_cast<uint16_t>(payload_size));
  std::vector<uint8_t> message(header.begin(), header.end());
  for (size_t i = 0; i < payload_size; ++i) {
    message.push_back(static_cast<uint8_t>(i * 7 + 3));
  }
  message.resize(message.size() +
                 stun::ChannelDataPadding(payload_size, stream_padding));
  return message;
}

}  // namespace turnpike::bench
