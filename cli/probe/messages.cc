#include "cli/probe/messages.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "core/stun/channel_data.h"
#include "core/stun/message_view.h"
#include "core/stun/opaque_string.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli::probe {
namespace {

using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::MessageView;

// Room for the longest USERNAME, REALM and NONCE (RFC 8489 §14) and a
// probe payload.
constexpr size_t kRequestBufferSize = 4096;
constexpr std::string_view kSoftware = "turnpike probe";
// RFC 8489 §9.2: a NONCE that starts with this cookie carries the
// security-feature bits, and with them a PASSWORD-ALGORITHMS offer.
constexpr std::string_view kNonceCookie = "obMatJos2";
// The longest text kept from a server attribute: enough for any RFC-sized
// reason phrase, realm or nonce (763 bytes), no more.
constexpr size_t kMaxKeptText = 763;

Bytes Copy(absl::Span<const uint8_t> encoded) {
  return Bytes(encoded.begin(), encoded.end());
}

std::string Text(std::string_view value) {
  return std::string(value.substr(0, kMaxKeptText));
}

}  // namespace

Bytes EncodeRequest(stun::Method method, const stun::TransactionId& id,
                    const AddAttributes& add, const Credential* credential) {
  std::array<uint8_t, kRequestBufferSize> buffer{};
  MessageBuilder builder(absl::MakeSpan(buffer), MessageClass::kRequest, method,
                         id);
  builder.AddString(AttributeType::kSoftware, kSoftware);
  if (add) add(builder);
  if (credential != nullptr && credential->ready()) {
    // RFC 8489 §9.2.4: USERNAME, REALM, NONCE, the algorithms when the
    // server offered them (echoed as received, §14.11), then the HMAC.
    builder.AddString(AttributeType::kUsername, credential->username)
        .AddString(AttributeType::kRealm, credential->realm)
        .AddString(AttributeType::kNonce, credential->nonce);
    if (credential->algorithm) {
      builder
          .AddBytes(AttributeType::kPasswordAlgorithms,
                    credential->offered_algorithms)
          .AddPasswordAlgorithm(stun::PasswordAlgorithmValue{
              static_cast<uint16_t>(*credential->algorithm), {}});
    }
    builder.AddMessageIntegrity(credential->key);
  }
  builder.AddFingerprint();
  auto encoded = builder.Finish();
  return encoded.ok() ? Copy(*encoded) : Bytes();
}

Bytes EncodeSendIndication(const stun::TransactionId& id,
                           const TransportAddress& peer,
                           absl::Span<const uint8_t> data) {
  std::array<uint8_t, kRequestBufferSize> buffer{};
  MessageBuilder builder(absl::MakeSpan(buffer), MessageClass::kIndication,
                         stun::Method::kSend, id);
  builder.AddXorAddress(AttributeType::kXorPeerAddress, peer)
      .AddBytes(AttributeType::kData, data)
      .AddFingerprint();
  auto encoded = builder.Finish();
  return encoded.ok() ? Copy(*encoded) : Bytes();
}

Bytes EncodeChannelData(uint16_t channel, absl::Span<const uint8_t> data) {
  const auto header =
      stun::EncodeChannelDataHeader(channel, static_cast<uint16_t>(data.size()));
  Bytes out(header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::optional<Reply> ReadReply(absl::Span<const uint8_t> bytes,
                               absl::Span<const uint8_t> key) {
  auto parsed = MessageView::Parse(bytes);
  if (!parsed.ok()) return std::nullopt;
  const MessageView& view = *parsed;
  if (view.message_class() != MessageClass::kSuccessResponse &&
      view.message_class() != MessageClass::kErrorResponse) {
    return std::nullopt;
  }
  Reply reply;
  reply.message_class = view.message_class();
  reply.method = view.method();
  reply.id = view.transaction_id();
  if (std::optional<stun::ErrorCodeValue> error = view.ErrorCode()) {
    reply.error_code = error->code;
    reply.reason = Text(error->reason);
  } else if (!reply.success()) {
    reply.error_code = -1;  // an error response without ERROR-CODE
  }
  if (auto realm = view.Realm()) reply.realm = Text(*realm);
  if (auto nonce = view.Nonce()) reply.nonce = Text(*nonce);
  if (auto software = view.Software()) reply.software = Text(*software);
  if (auto raw = view.Find(AttributeType::kPasswordAlgorithms)) {
    reply.password_algorithms = Copy(raw->value);
    for (const stun::PasswordAlgorithmValue& value :
         view.PasswordAlgorithms()) {
      reply.algorithm_ids.push_back(value.algorithm);
    }
  }
  reply.mapped = view.XorMappedAddress();
  // RFC 8489 §14.1: MAPPED-ADDRESS, for servers that predate the XOR form.
  if (!reply.mapped) reply.mapped = view.MappedAddress();
  for (const TransportAddress& relayed : view.XorRelayedAddresses()) {
    reply.relayed.push_back(relayed);
  }
  reply.lifetime = view.Lifetime();
  reply.alternate_server = view.AlternateServer();
  if (!key.empty()) {
    // RFC 8489 §9.2.5: the response is checked with the request's key.
    const stun::IntegrityResult result =
        view.MessageIntegritySha256()
            ? stun::CheckMessageIntegritySha256(view, key)
            : stun::CheckMessageIntegrity(view, key);
    reply.integrity = result == stun::IntegrityResult::kOk     ? Integrity::kValid
                      : result == stun::IntegrityResult::kBad ? Integrity::kInvalid
                                                               : Integrity::kAbsent;
  }
  return reply;
}

std::optional<Relayed> ReadRelayed(absl::Span<const uint8_t> bytes) {
  if (!bytes.empty() && stun::LooksLikeChannelData(bytes[0])) {
    auto parsed =
        stun::ParseChannelData(bytes, stun::kMaxRfc5766ChannelNumber);
    if (!parsed.ok()) return std::nullopt;
    Relayed out;
    out.via_channel = true;
    out.channel = parsed->channel;
    out.data = Copy(parsed->payload);
    return out;
  }
  auto parsed = MessageView::Parse(bytes);
  if (!parsed.ok() ||
      parsed->message_class() != MessageClass::kIndication ||
      parsed->method() != static_cast<uint16_t>(stun::Method::kData)) {
    return std::nullopt;
  }
  std::optional<absl::Span<const uint8_t>> data = parsed->Data();
  if (!data) return std::nullopt;
  Relayed out;
  const auto peers = parsed->XorPeerAddresses();
  if (!peers.empty()) out.peer = peers.front();
  out.data = Copy(*data);
  return out;
}

std::string DescribeError(const Reply& reply) {
  if (reply.error_code < 0) return "an error response without ERROR-CODE";
  std::string reason = reply.reason;
  if (reason.empty()) {
    reason = std::string(stun::DefaultReasonPhrase(reply.error_code));
  }
  return absl::StrCat(reply.error_code, " ", reason);
}

bool LearnChallenge(const Reply& reply, Credential& credential,
                    std::string& why) {
  if (reply.nonce.empty() ||
      (reply.realm.empty() && credential.realm.empty())) {
    why = absl::StrCat(DescribeError(reply), " without ",
                       reply.nonce.empty() ? "NONCE" : "REALM",
                       ": the server gave nothing to authenticate with");
    return false;
  }
  if (!reply.realm.empty()) {
    // RFC 8489 §9.2.2: the realm enters the key prepared by OpaqueString.
    auto prepared = stun::PrepareOpaqueString(reply.realm);
    credential.realm = prepared.ok() ? *prepared : reply.realm;
  }
  credential.nonce = reply.nonce;
  credential.algorithm.reset();
  credential.offered_algorithms.clear();
  if (!reply.password_algorithms.empty() &&
      std::string_view(reply.nonce).substr(0, kNonceCookie.size()) ==
          kNonceCookie) {
    // RFC 8489 §9.2.5: pick from the server's offer, in the server's order
    // (it may hold only MD5 keys), and echo the offer unchanged.
    for (uint16_t id : reply.algorithm_ids) {
      if (id == static_cast<uint16_t>(stun::PasswordAlgorithmId::kMd5) ||
          id == static_cast<uint16_t>(stun::PasswordAlgorithmId::kSha256)) {
        credential.algorithm = static_cast<stun::PasswordAlgorithmId>(id);
        break;
      }
    }
    if (!credential.algorithm) {
      why = "the server offers no password algorithm this probe knows "
            "(MD5 or SHA-256, RFC 8489 §18.5)";
      return false;
    }
    credential.offered_algorithms = reply.password_algorithms;
  }
  credential.key = stun::LongTermKey(
      credential.algorithm.value_or(stun::PasswordAlgorithmId::kMd5),
      credential.username, credential.realm, credential.password);
  return true;
}

}  // namespace turnpike::cli::probe
