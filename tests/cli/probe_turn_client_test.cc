// The probe's TURN client (cli/probe/turn_client.h) and its stream framing
// (cli/probe/stream_connection.h) against scripted servers in memory: the
// 401 dance, answers that must be ignored (garbage, another transaction,
// a failed integrity check), a wrong password and a silent server that
// end in bounded time, relayed data kept while a transaction waits, and
// streams cut anywhere or broken.
#include <doctest/doctest.h>

#include <array>
#include <deque>
#include <memory>
#include <thread>

#include "cli/probe/stream_connection.h"
#include "cli/probe/turn_client.h"
#include "core/stun/message_view.h"

namespace turnpike::cli::probe {
namespace {

using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::Method;
using std::chrono::milliseconds;

const TransportAddress kRelayed{*IpAddress::Parse("192.0.2.7"), 50000};
const TransportAddress kDecoy{*IpAddress::Parse("192.0.2.66"), 666};
const stun::HmacKey kKey = stun::LongTermKey(stun::PasswordAlgorithmId::kMd5,
                                             "alice", "probe.test", "secret");

Bytes Answer(MessageClass message_class, uint16_t method,
             const stun::TransactionId& id,
             const std::function<void(MessageBuilder&)>& add) {
  std::array<uint8_t, 1024> buffer{};
  MessageBuilder builder(absl::MakeSpan(buffer), message_class, method, id);
  add(builder);
  auto encoded = builder.Finish();
  REQUIRE(encoded.ok());
  return Bytes(encoded->begin(), encoded->end());
}

Bytes Unauthorized(const stun::MessageView& request, std::string_view nonce) {
  return Answer(MessageClass::kErrorResponse, request.method(),
                request.transaction_id(), [&](MessageBuilder& b) {
                  b.AddErrorCode(401)
                      .AddString(AttributeType::kRealm, "probe.test")
                      .AddString(AttributeType::kNonce, nonce);
                });
}

Bytes Allocated(const stun::TransactionId& id, const TransportAddress& relayed,
                const stun::HmacKey& key) {
  return Answer(MessageClass::kSuccessResponse,
                static_cast<uint16_t>(Method::kAllocate), id,
                [&](MessageBuilder& b) {
                  b.AddXorAddress(AttributeType::kXorRelayedAddress, relayed)
                      .AddMessageIntegrity(key);
                });
}

// A server in memory: each request the client sends is answered with what
// `respond` returns; Receive blocks (to its deadline) when nothing is due.
struct Script {
  std::function<std::vector<Bytes>(const stun::MessageView&)> respond;
  int requests = 0;
};

class ScriptedServer final : public Connection {
 public:
  ScriptedServer(std::shared_ptr<Script> script, bool reliable)
      : script_(std::move(script)), reliable_(reliable) {}
  absl::Status Send(absl::Span<const uint8_t> message,
                    Clock::time_point) override {
    auto view = stun::MessageView::Parse(message);
    if (!view.ok() || !view->header().IsRequest()) return absl::OkStatus();
    ++script_->requests;
    for (Bytes& answer : script_->respond(*view)) {
      due_.push_back(std::move(answer));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<uint8_t>> Receive(
      Clock::time_point deadline) override {
    if (due_.empty()) {
      std::this_thread::sleep_until(deadline);
      return absl::DeadlineExceededError("timed out");
    }
    Bytes next = std::move(due_.front());
    due_.pop_front();
    return next;
  }
  bool reliable() const override { return reliable_; }

 private:
  std::shared_ptr<Script> script_;
  bool reliable_;
  std::deque<Bytes> due_;
};

TurnClient ClientOf(std::shared_ptr<Script> script, bool reliable = true,
                    milliseconds timeout = milliseconds(2000)) {
  Credential credential;
  credential.username = "alice";
  credential.password = "secret";
  return TurnClient(std::make_unique<ScriptedServer>(std::move(script), reliable),
                    credential, timeout);
}

absl::StatusOr<Reply> AllocateOn(TurnClient& client) {
  return client.Request(
      Method::kAllocate,
      [](MessageBuilder& b) { b.AddRequestedTransport(17); }, true);
}

TEST_CASE("the probe answers a 401 and checks the success with its key") {
  auto script = std::make_shared<Script>();
  script->respond = [](const stun::MessageView& request) {
    if (!request.MessageIntegrity()) return std::vector<Bytes>{Unauthorized(request, "n1")};
    // The server's own check of the client's credentials.
    CHECK(stun::CheckMessageIntegrity(request, kKey) ==
          stun::IntegrityResult::kOk);
    return std::vector<Bytes>{Allocated(request.transaction_id(), kRelayed, kKey)};
  };
  TurnClient client = ClientOf(script);
  absl::StatusOr<Reply> reply = AllocateOn(client);
  REQUIRE(reply.ok());
  CHECK(reply->success());
  REQUIRE(reply->relayed.size() == 1);
  CHECK(reply->relayed[0] == kRelayed);
  CHECK(reply->integrity == Integrity::kValid);
  CHECK(script->requests == 2);
}

TEST_CASE("garbage and answers for others or with a bad integrity are ignored") {
  auto script = std::make_shared<Script>();
  const stun::HmacKey wrong_key = stun::LongTermKey(
      stun::PasswordAlgorithmId::kMd5, "alice", "probe.test", "wrong");
  script->respond = [&](const stun::MessageView& request) {
    if (!request.MessageIntegrity()) return std::vector<Bytes>{Unauthorized(request, "n1")};
    stun::TransactionId other = request.transaction_id();
    other[0] ^= 1;
    return std::vector<Bytes>{
        Bytes{0xFF, 0x00, 0x12},
        Bytes(20, 0),
        Allocated(other, kDecoy, kKey),
        // The right transaction, the wrong method.
        Answer(MessageClass::kSuccessResponse,
               static_cast<uint16_t>(Method::kRefresh),
               request.transaction_id(),
               [](MessageBuilder& b) {
                 b.AddXorAddress(AttributeType::kXorRelayedAddress, kDecoy)
                     .AddMessageIntegrity(kKey);
               }),
        Allocated(request.transaction_id(), kDecoy, wrong_key),
        Allocated(request.transaction_id(), kRelayed, kKey)};
  };
  TurnClient client = ClientOf(script);
  absl::StatusOr<Reply> reply = AllocateOn(client);
  REQUIRE(reply.ok());
  REQUIRE(reply->relayed.size() == 1);
  CHECK(reply->relayed[0] == kRelayed);
}

TEST_CASE("a wrong password ends in a 401 after a bounded number of tries") {
  auto script = std::make_shared<Script>();
  // The worst case: a fresh nonce with every 401.
  script->respond = [&](const stun::MessageView& request) {
    return std::vector<Bytes>{
        Unauthorized(request, "nonce" + std::to_string(script->requests))};
  };
  TurnClient client = ClientOf(script);
  absl::StatusOr<Reply> reply = AllocateOn(client);
  REQUIRE(reply.ok());
  CHECK(reply->error_code == 401);
  CHECK(script->requests <= 3);
}

TEST_CASE("a silent server or one that fails every integrity check times out") {
  auto silent = std::make_shared<Script>();
  silent->respond = [](const stun::MessageView&) { return std::vector<Bytes>{}; };
  TurnClient client = ClientOf(silent, /*reliable=*/false, milliseconds(100));
  const Clock::time_point start = Clock::now();
  absl::StatusOr<Reply> reply =
      client.Request(Method::kBinding, {}, /*authenticate=*/false);
  CHECK(absl::IsDeadlineExceeded(reply.status()));
  CHECK(Clock::now() - start < std::chrono::seconds(5));

  auto forger = std::make_shared<Script>();
  forger->respond = [](const stun::MessageView& request) {
    if (!request.MessageIntegrity()) return std::vector<Bytes>{Unauthorized(request, "n1")};
    return std::vector<Bytes>{Allocated(request.transaction_id(), kDecoy,
                                 stun::HmacKey{1, 2, 3})};
  };
  TurnClient forged = ClientOf(forger, /*reliable=*/true, milliseconds(100));
  reply = AllocateOn(forged);
  REQUIRE_FALSE(reply.ok());
  CHECK(std::string(reply.status().message()).find("MESSAGE-INTEGRITY") !=
        std::string::npos);
}

TEST_CASE("relayed data that arrives during a request is kept and bounded") {
  auto script = std::make_shared<Script>();
  script->respond = [](const stun::MessageView& request) {
    std::vector<Bytes> out;
    for (uint8_t i = 0; i < 40; ++i) {
      out.push_back(EncodeChannelData(0x4000, Bytes{i}));
    }
    out.push_back(Answer(MessageClass::kSuccessResponse, request.method(),
                         request.transaction_id(), [](MessageBuilder&) {}));
    return out;
  };
  TurnClient client = ClientOf(script, true, milliseconds(50));
  auto is = [](uint8_t value) {
    return [value](const Relayed& got) { return got.data == Bytes{value}; };
  };
  // Of 40 frames the newest 16 are kept: 24 is, 23 was dropped.
  REQUIRE(client.Request(Method::kBinding, {}, false).ok());
  CHECK(client.WaitRelayed(Clock::now() + milliseconds(50), is(24)).ok());
  REQUIRE(client.Request(Method::kBinding, {}, false).ok());
  CHECK(absl::IsDeadlineExceeded(
      client.WaitRelayed(Clock::now() + milliseconds(20), is(23)).status()));
}

// A stream fed from memory in pieces of `piece` bytes.
class MemoryStream final : public StreamConnection {
 public:
  MemoryStream(Bytes input, size_t piece)
      : input_(std::move(input)), piece_(piece) {}
  Bytes written;

 protected:
  absl::Status WriteAll(absl::Span<const uint8_t> bytes,
                        Clock::time_point) override {
    written.insert(written.end(), bytes.begin(), bytes.end());
    return absl::OkStatus();
  }
  absl::StatusOr<size_t> ReadSome(absl::Span<uint8_t> into,
                                  Clock::time_point) override {
    const size_t n = std::min({piece_, into.size(), input_.size() - at_});
    std::copy_n(input_.begin() + static_cast<long>(at_), n, into.begin());
    at_ += n;
    return n;  // 0 once used up: the server closed
  }

 private:
  Bytes input_;
  size_t piece_;
  size_t at_ = 0;
};

TEST_CASE("a stream cut anywhere gives back whole messages") {
  const stun::TransactionId id{9};
  const Bytes stun_message =
      Answer(MessageClass::kSuccessResponse, 1, id, [](MessageBuilder& b) {
        b.AddXorAddress(AttributeType::kXorMappedAddress, kRelayed);
      });
  Bytes channel = EncodeChannelData(0x4000, Bytes{1, 2, 3});
  channel.push_back(0);  // RFC 8656 §12.5: padded to 4 on a stream
  Bytes input = stun_message;
  input.insert(input.end(), channel.begin(), channel.end());
  for (size_t piece : {size_t{1}, size_t{3}, size_t{7}, input.size()}) {
    INFO("piece " << piece);
    MemoryStream stream(input, piece);
    const Clock::time_point deadline = Clock::now() + milliseconds(100);
    absl::StatusOr<std::vector<uint8_t>> first = stream.Receive(deadline);
    REQUIRE(first.ok());
    CHECK(*first == stun_message);
    absl::StatusOr<std::vector<uint8_t>> second = stream.Receive(deadline);
    REQUIRE(second.ok());
    CHECK(*second == EncodeChannelData(0x4000, Bytes{1, 2, 3}));
    CHECK(absl::IsUnavailable(stream.Receive(deadline).status()));
  }
}

TEST_CASE("a broken stream ends the connection") {
  const Clock::time_point deadline = Clock::now() + milliseconds(100);
  MemoryStream garbage(Bytes(64, 0xFF), 64);
  CHECK(absl::IsDataLoss(garbage.Receive(deadline).status()));
  // A header that promises more than the server sends before closing.
  Bytes cut = EncodeChannelData(0x4000, Bytes(1000, 1));
  cut.resize(100);
  MemoryStream short_stream(cut, 100);
  CHECK(absl::IsUnavailable(short_stream.Receive(deadline).status()));
}

TEST_CASE("ChannelData sent on a stream is padded to 4 bytes") {
  MemoryStream stream({}, 1);
  REQUIRE(stream.Send(EncodeChannelData(0x4000, Bytes{1, 2, 3, 4, 5}),
                      Clock::now())
              .ok());
  CHECK(stream.written == Bytes{0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0});
}

}  // namespace
}  // namespace turnpike::cli::probe
