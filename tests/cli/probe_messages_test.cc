// What `turnpike probe` writes and reads (cli/probe/messages.h): the
// long-term credential dance of RFC 8489 §9.2 as a client, answers read
// with the project's codec, and - since a probe is pointed at servers that
// may be broken or hostile - garbage and mutated answers fed to the
// readers, which must neither crash nor take a request or an indication
// for an answer.
#include "cli/probe/messages.h"

#include <doctest/doctest.h>

#include <array>
#include <random>
#include <string>

#include "core/stun/channel_data.h"
#include "core/stun/message_view.h"

namespace turnpike::cli::probe {
namespace {

using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::Method;

constexpr stun::TransactionId kId = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
const TransportAddress kRelayed{*IpAddress::Parse("192.0.2.7"), 50000};
const TransportAddress kPeer{*IpAddress::Parse("198.51.100.9"), 40000};

using Build = std::function<void(MessageBuilder&)>;

Bytes Message(MessageClass message_class, Method method, const Build& add) {
  std::array<uint8_t, 2048> buffer{};
  MessageBuilder builder(absl::MakeSpan(buffer), message_class, method, kId);
  add(builder);
  auto encoded = builder.Finish();
  REQUIRE(encoded.ok());
  return Bytes(encoded->begin(), encoded->end());
}

Bytes Challenge(std::string_view nonce, absl::Span<const uint16_t> algorithms) {
  return Message(MessageClass::kErrorResponse, Method::kAllocate,
                 [&](MessageBuilder& b) {
                   b.AddErrorCode(401)
                       .AddString(AttributeType::kRealm, "probe.test")
                       .AddString(AttributeType::kNonce, nonce);
                   std::vector<stun::PasswordAlgorithmValue> values;
                   for (uint16_t id : algorithms) values.push_back({id, {}});
                   if (!values.empty()) b.AddPasswordAlgorithms(values);
                 });
}

Credential Alice() {
  Credential credential;
  credential.username = "alice";
  credential.password = "secret";
  return credential;
}

// Reads `request` (as a server would) and checks its credentials.
void ExpectSignedWith(const Bytes& request, const Credential& credential,
                      std::optional<uint16_t> algorithm) {
  auto view = stun::MessageView::Parse(request);
  REQUIRE(view.ok());
  CHECK(view->Username() == std::optional<std::string_view>("alice"));
  CHECK(view->Realm() == std::optional<std::string_view>("probe.test"));
  CHECK(view->Nonce() ==
        std::optional<std::string_view>(credential.nonce));
  CHECK(stun::CheckMessageIntegrity(*view, credential.key) ==
        stun::IntegrityResult::kOk);
  if (algorithm) {
    REQUIRE(view->PasswordAlgorithm().has_value());
    CHECK(view->PasswordAlgorithm()->algorithm == *algorithm);
  } else {
    CHECK_FALSE(view->PasswordAlgorithm().has_value());
    CHECK(view->PasswordAlgorithms().empty());
  }
}

TEST_CASE("a 401 without an algorithm offer teaches realm nonce and the MD5 key") {
  const std::optional<Reply> reply = ReadReply(Challenge("n0nce", {}), {});
  REQUIRE(reply.has_value());
  CHECK(reply->error_code == 401);
  Credential credential = Alice();
  std::string why;
  REQUIRE(LearnChallenge(*reply, credential, why));
  CHECK_FALSE(credential.algorithm.has_value());
  CHECK(credential.key == stun::LongTermKey(stun::PasswordAlgorithmId::kMd5,
                                            "alice", "probe.test", "secret"));
  const Bytes request = EncodeRequest(
      Method::kAllocate, kId,
      [](MessageBuilder& b) { b.AddRequestedTransport(17); }, &credential);
  ExpectSignedWith(request, credential, std::nullopt);
}

TEST_CASE("the server's algorithm offer is taken in its order and echoed whole") {
  // RFC 8489 §9.2: the offer counts only with the cookie in the nonce.
  const std::string nonce = "obMatJos2AAAAnonce";
  for (const auto& [offer, chosen] :
       {std::pair{std::vector<uint16_t>{2, 1}, uint16_t{2}},
        std::pair{std::vector<uint16_t>{1, 2}, uint16_t{1}},
        std::pair{std::vector<uint16_t>{7, 2}, uint16_t{2}}}) {
    const std::optional<Reply> reply = ReadReply(Challenge(nonce, offer), {});
    REQUIRE(reply.has_value());
    Credential credential = Alice();
    std::string why;
    REQUIRE(LearnChallenge(*reply, credential, why));
    REQUIRE(credential.algorithm.has_value());
    CHECK(static_cast<uint16_t>(*credential.algorithm) == chosen);
    CHECK(credential.key ==
          stun::LongTermKey(*credential.algorithm, "alice", "probe.test",
                            "secret"));
    const Bytes request = EncodeRequest(Method::kRefresh, kId, {}, &credential);
    ExpectSignedWith(request, credential, chosen);
    auto view = stun::MessageView::Parse(request);
    REQUIRE(view.ok());
    auto echoed = view->Find(AttributeType::kPasswordAlgorithms);
    REQUIRE(echoed.has_value());
    CHECK(Bytes(echoed->value.begin(), echoed->value.end()) ==
          reply->password_algorithms);
  }
  // An offer without the cookie is ignored (an RFC 5389 server's MD5).
  const std::optional<Reply> plain = ReadReply(Challenge("n0nce", {2}), {});
  Credential credential = Alice();
  std::string why;
  REQUIRE(LearnChallenge(*plain, credential, why));
  CHECK_FALSE(credential.algorithm.has_value());
}

TEST_CASE("a challenge that cannot be answered says why") {
  Credential credential = Alice();
  std::string why;
  const std::optional<Reply> unknown =
      ReadReply(Challenge("obMatJos2AAAAx", {9}), {});
  CHECK_FALSE(LearnChallenge(*unknown, credential, why));
  CHECK(why.find("password algorithm") != std::string::npos);
  const std::optional<Reply> no_nonce = ReadReply(
      Message(MessageClass::kErrorResponse, Method::kAllocate,
              [](MessageBuilder& b) { b.AddErrorCode(401); }),
      {});
  CHECK_FALSE(LearnChallenge(*no_nonce, credential, why));
  CHECK(why.find("NONCE") != std::string::npos);
}

TEST_CASE("an Allocate answer is read and its integrity checked with the key") {
  const stun::HmacKey key = stun::LongTermKey(stun::PasswordAlgorithmId::kMd5,
                                              "alice", "probe.test", "secret");
  const Bytes success =
      Message(MessageClass::kSuccessResponse, Method::kAllocate,
              [&](MessageBuilder& b) {
                b.AddXorAddress(AttributeType::kXorRelayedAddress, kRelayed)
                    .AddXorAddress(AttributeType::kXorMappedAddress, kPeer)
                    .AddLifetime(600)
                    .AddMessageIntegrity(key)
                    .AddFingerprint();
              });
  const std::optional<Reply> reply = ReadReply(success, key);
  REQUIRE(reply.has_value());
  CHECK(reply->success());
  CHECK(reply->id == kId);
  REQUIRE(reply->relayed.size() == 1);
  CHECK(reply->relayed[0] == kRelayed);
  CHECK(reply->mapped == kPeer);
  CHECK(reply->lifetime == 600u);
  CHECK(reply->integrity == Integrity::kValid);

  const stun::HmacKey other = stun::LongTermKey(
      stun::PasswordAlgorithmId::kMd5, "alice", "probe.test", "wrong");
  CHECK(ReadReply(success, other)->integrity == Integrity::kInvalid);
  CHECK(ReadReply(success, {})->integrity == Integrity::kAbsent);
}

TEST_CASE("requests and indications are not answers") {
  CHECK_FALSE(ReadReply(EncodeRequest(Method::kBinding, kId, {}, nullptr), {})
                  .has_value());
  CHECK_FALSE(
      ReadReply(EncodeSendIndication(kId, kPeer, Bytes{1, 2, 3}), {}).has_value());
  CHECK_FALSE(ReadReply(EncodeChannelData(0x4000, Bytes{1, 2, 3}), {})
                  .has_value());
}

TEST_CASE("relayed data is read from Data indications and ChannelData only") {
  const Bytes payload = {'h', 'i', '!'};
  const Bytes data = Message(MessageClass::kIndication, Method::kData,
                             [&](MessageBuilder& b) {
                               b.AddXorAddress(AttributeType::kXorPeerAddress,
                                               kPeer)
                                   .AddBytes(AttributeType::kData, payload);
                             });
  const std::optional<Relayed> indication = ReadRelayed(data);
  REQUIRE(indication.has_value());
  CHECK_FALSE(indication->via_channel);
  CHECK(indication->peer == kPeer);
  CHECK(indication->data == payload);

  Bytes channel = EncodeChannelData(0x4001, payload);
  channel.push_back(0);  // stream padding is ignored
  const std::optional<Relayed> framed = ReadRelayed(channel);
  REQUIRE(framed.has_value());
  CHECK(framed->via_channel);
  CHECK(framed->channel == 0x4001);
  CHECK(framed->data == payload);

  // A Send indication (what the client sends) and a Data indication
  // without DATA are not relayed data; nor is a lying ChannelData length.
  CHECK_FALSE(ReadRelayed(EncodeSendIndication(kId, kPeer, payload)));
  CHECK_FALSE(ReadRelayed(Message(MessageClass::kIndication, Method::kData,
                                  [&](MessageBuilder& b) {
                                    b.AddXorAddress(
                                        AttributeType::kXorPeerAddress, kPeer);
                                  })));
  Bytes lying = EncodeChannelData(0x4001, payload);
  lying[3] = 200;
  CHECK_FALSE(ReadRelayed(lying));
}

TEST_CASE("server text is kept bounded and error codes are described") {
  const Bytes answer = Message(
      MessageClass::kErrorResponse, Method::kAllocate, [](MessageBuilder& b) {
        b.AddErrorCode(486, "").AddString(AttributeType::kSoftware,
                                          std::string(700, 'x'));
      });
  const std::optional<Reply> reply = ReadReply(answer, {});
  REQUIRE(reply.has_value());
  CHECK(DescribeError(*reply) == "486 Allocation Quota Reached");
  CHECK(reply->software.size() == 700);
  const Bytes bare = Message(MessageClass::kErrorResponse, Method::kAllocate,
                             [](MessageBuilder&) {});
  CHECK(DescribeError(*ReadReply(bare, {})).find("without ERROR-CODE") !=
        std::string::npos);
}

// Fuzz-style: seeded, so a failure reproduces. Random bytes, bytes that
// start like STUN or ChannelData, and single-byte mutations and
// truncations of real answers. Under ASan and UBSan a read out of bounds
// fails the test; the checks below fail on a wrong verdict.
TEST_CASE("garbage and mutated answers never crash the readers") {
  std::mt19937 random(20261203);
  const stun::HmacKey key = stun::LongTermKey(stun::PasswordAlgorithmId::kMd5,
                                              "alice", "probe.test", "secret");
  const std::vector<Bytes> seeds = {
      Challenge("obMatJos2AAAAnonce", std::vector<uint16_t>{2, 1}),
      Message(MessageClass::kSuccessResponse, Method::kAllocate,
              [&](MessageBuilder& b) {
                b.AddXorAddress(AttributeType::kXorRelayedAddress, kRelayed)
                    .AddLifetime(600)
                    .AddMessageIntegrity(key)
                    .AddFingerprint();
              }),
      Message(MessageClass::kIndication, Method::kData,
              [&](MessageBuilder& b) {
                b.AddXorAddress(AttributeType::kXorPeerAddress, kPeer)
                    .AddBytes(AttributeType::kData, Bytes(40, 7));
              }),
      EncodeChannelData(0x4000, Bytes(33, 9)),
  };
  int answers = 0;
  int relayed = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes input;
    const int kind = i % 4;
    if (kind == 0) {
      input.resize(random() % 120);
      for (uint8_t& byte : input) byte = static_cast<uint8_t>(random());
      if (input.size() >= 8 && (i & 8)) {
        // The magic cookie, so the parse goes past the header.
        input[0] &= 0x3F;
        input[4] = 0x21, input[5] = 0x12, input[6] = 0xA4, input[7] = 0x42;
      }
    } else {
      input = seeds[random() % seeds.size()];
      const int edits = 1 + static_cast<int>(random() % 3);
      for (int e = 0; e < edits; ++e) {
        input[random() % input.size()] = static_cast<uint8_t>(random());
      }
      if (kind == 3) input.resize(random() % (input.size() + 1));
    }
    if (std::optional<Reply> reply = ReadReply(input, key)) {
      ++answers;
      CHECK((reply->message_class == MessageClass::kSuccessResponse ||
             reply->message_class == MessageClass::kErrorResponse));
      CHECK(reply->reason.size() <= 763);
      CHECK(reply->nonce.size() <= 763);
      Credential credential = Alice();
      std::string why;
      if (LearnChallenge(*reply, credential, why)) {
        CHECK_FALSE(credential.key.empty());
        CHECK_FALSE(
            EncodeRequest(Method::kAllocate, kId, {}, &credential).empty());
      }
    }
    if (std::optional<Relayed> data = ReadRelayed(input)) {
      ++relayed;
      CHECK(data->data.size() <= input.size());
    }
  }
  // The mutations reach past the parser's first checks.
  CHECK(answers > 100);
  CHECK(relayed > 100);
}

}  // namespace
}  // namespace turnpike::cli::probe
