// Scenario tests for the core Server's STUN Binding service (RFC 8489 §6.3,
// §7.3): input bytes in, exact commands out, then nothing more.
#include <doctest/doctest.h>

#include <array>
#include <string>
#include <variant>

#include "core/server.h"
#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"
#include "tests/core/scenario/test_server.h"

namespace turnpike::core {
namespace {

using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::MessageView;
using stun::Method;

const Now kT0{MonoTime(std::chrono::seconds(1000)),
              absl::FromUnixSeconds(1'800'000'000)};

FiveTuple Client() {
  return FiveTuple{
      Transport::kUdp, *TransportAddress::Parse("192.0.2.10:40000"),
      *TransportAddress::Parse("198.51.100.1:3478"), ListenerId{3}};
}

stun::TransactionId Tid(uint8_t seed) {
  stun::TransactionId id;
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(seed + i);
  return id;
}

struct Encoded {
  std::array<uint8_t, 512> buffer{};
  size_t size = 0;
  absl::Span<const uint8_t> span() const {
    return absl::MakeConstSpan(buffer.data(), size);
  }
};

template <typename F>
Encoded Encode(MessageClass c, uint16_t method, const stun::TransactionId& id,
               F add_attributes) {
  Encoded e;
  MessageBuilder b(absl::MakeSpan(e.buffer), c, method, id);
  add_attributes(b);
  auto out = b.Finish();
  REQUIRE(out.ok());
  e.size = out->size();
  return e;
}

ServerConfig WithSoftware(std::string software) {
  ServerConfig config;
  config.software = std::move(software);
  return config;
}

// Binding needs none of the collaborators' answers, only their presence.
Deps BindingDeps() {
  static testing::CounterRandom random;
  static testing::FakeCredentials credentials;
  static HmacAuthenticator authenticator;
  static LocalQuotaLedger quotas;
  return Deps{&random, &credentials, &authenticator, &quotas};
}

std::unique_ptr<Server> MakeServer(ServerConfig config = {}) {
  auto server = Server::Create(std::move(config), BindingDeps());
  REQUIRE(server.ok());
  return std::move(*server);
}

// Drains exactly one Transmit and checks the queue is empty afterwards.
Transmit ExpectOneTransmit(Server& server) {
  std::optional<Command> command = server.PollCommand();
  REQUIRE(command.has_value());
  REQUIRE(std::holds_alternative<Transmit>(*command));
  CHECK_FALSE(server.PollCommand().has_value());
  return std::get<Transmit>(std::move(*command));
}

TEST_CASE("Binding request gets XOR-MAPPED-ADDRESS back to the sender") {
  auto server = MakeServer();
  const Encoded request =
      Encode(MessageClass::kRequest, 0x001, Tid(1), [](MessageBuilder&) {});
  server->HandleClientMessage(kT0, Client(), request.span());

  const Transmit sent = ExpectOneTransmit(*server);
  CHECK(sent.via == SocketRef{Client().listener});
  CHECK(sent.to == Client().client);
  CHECK(sent.transport == Transport::kUdp);
  auto response = MessageView::Parse(sent.bytes);
  REQUIRE(response.ok());
  CHECK(response->message_class() == MessageClass::kSuccessResponse);
  CHECK(response->method() == 0x001);
  CHECK(response->transaction_id() == Tid(1));
  CHECK(response->XorMappedAddress() == Client().client);
  // No FINGERPRINT was asked for and no SOFTWARE configured.
  CHECK_FALSE(response->Fingerprint().has_value());
  CHECK_FALSE(response->Software().has_value());
  CHECK(server->stats().requests[1] == 1);
  CHECK(server->stats().success_responses[1] == 1);
}

TEST_CASE("Binding over IPv6 reflects the IPv6 address") {
  auto server = MakeServer();
  FiveTuple from = Client();
  from.client = *TransportAddress::Parse("[2001:db8::7]:5555");
  from.server = *TransportAddress::Parse("[2001:db8::1]:3478");
  const Encoded request =
      Encode(MessageClass::kRequest, 0x001, Tid(2), [](MessageBuilder&) {});
  server->HandleClientMessage(kT0, from, request.span());
  const Transmit sent = ExpectOneTransmit(*server);
  auto response = MessageView::Parse(sent.bytes);
  REQUIRE(response.ok());
  CHECK(response->XorMappedAddress() == from.client);
}

TEST_CASE("FINGERPRINT and SOFTWARE are added when due") {
  auto server = MakeServer(WithSoftware("turnpike-test"));
  const Encoded request = Encode(MessageClass::kRequest, 0x001, Tid(3),
                                 [](MessageBuilder& b) { b.AddFingerprint(); });
  server->HandleClientMessage(kT0, Client(), request.span());
  const Transmit sent = ExpectOneTransmit(*server);
  auto response = MessageView::Parse(sent.bytes);
  REQUIRE(response.ok());  // Parse verifies the FINGERPRINT value itself
  CHECK(response->Fingerprint().has_value());
  CHECK(response->Software() == "turnpike-test");
}

TEST_CASE("Binding indication is accepted silently") {
  auto server = MakeServer();
  const Encoded indication =
      Encode(MessageClass::kIndication, 0x001, Tid(4), [](MessageBuilder&) {});
  server->HandleClientMessage(kT0, Client(), indication.span());
  CHECK_FALSE(server->PollCommand().has_value());
  CHECK(server->stats().indications[1] == 1);
  CHECK(server->stats().dropped(DropReason::kUnknownIndication) == 0);
}

TEST_CASE("unknown comprehension-required attributes get 420 listing them") {
  auto server = MakeServer();
  const std::array<uint8_t, 4> junk = {1, 2, 3, 4};
  const Encoded request =
      Encode(MessageClass::kRequest, 0x001, Tid(5), [&](MessageBuilder& b) {
        b.AddBytes(uint16_t{0x7F01}, junk)
            .AddBytes(uint16_t{0xC0FE}, junk)  // optional: not listed
            .AddBytes(uint16_t{0x0031}, junk)
            .AddFingerprint();
      });
  server->HandleClientMessage(kT0, Client(), request.span());
  const Transmit sent = ExpectOneTransmit(*server);
  auto response = MessageView::Parse(sent.bytes);
  REQUIRE(response.ok());
  CHECK(response->message_class() == MessageClass::kErrorResponse);
  CHECK(response->transaction_id() == Tid(5));
  REQUIRE(response->ErrorCode().has_value());
  CHECK(response->ErrorCode()->code == 420);
  const auto unknown = response->UnknownAttributes();
  REQUIRE(unknown.size() == 2);
  CHECK(unknown[0] == 0x7F01);
  CHECK(unknown[1] == 0x0031);
  CHECK(response->Fingerprint().has_value());
  CHECK(server->stats().errors_with_code(420) == 1);
}

TEST_CASE("a request with a malformed attribute gets 400") {
  auto server = MakeServer();
  // LIFETIME must be 4 bytes; 2 makes the request malformed, but its header
  // (and so its transaction ID) is sound.
  const std::array<uint8_t, 2> short_value = {0, 1};
  const Encoded request =
      Encode(MessageClass::kRequest, 0x001, Tid(6), [&](MessageBuilder& b) {
        b.AddBytes(AttributeType::kLifetime, short_value);
      });
  server->HandleClientMessage(kT0, Client(), request.span());
  const Transmit sent = ExpectOneTransmit(*server);
  auto response = MessageView::Parse(sent.bytes);
  REQUIRE(response.ok());
  CHECK(response->transaction_id() == Tid(6));
  CHECK(response->ErrorCode()->code == 400);
}

TEST_CASE("an unknown method gets 400") {
  auto server = MakeServer();
  const Encoded request =
      Encode(MessageClass::kRequest, 0x0FF, Tid(7), [](MessageBuilder&) {});
  server->HandleClientMessage(kT0, Client(), request.span());
  const Transmit sent = ExpectOneTransmit(*server);
  auto response = MessageView::Parse(sent.bytes);
  REQUIRE(response.ok());
  CHECK(response->method() == 0x0FF);
  CHECK(response->ErrorCode()->code == 400);
}

TEST_CASE("what must not be answered is dropped and counted") {
  auto server = MakeServer();
  SUBCASE("garbage") {
    const std::array<uint8_t, 7> garbage = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3};
    server->HandleClientMessage(kT0, Client(), garbage);
    CHECK(server->stats().dropped(DropReason::kNotStun) == 1);
  }
  SUBCASE("a success response from a client") {
    const Encoded response = Encode(MessageClass::kSuccessResponse, 0x001,
                                    Tid(8), [](MessageBuilder&) {});
    server->HandleClientMessage(kT0, Client(), response.span());
    CHECK(server->stats().dropped(DropReason::kUnexpectedClass) == 1);
  }
  SUBCASE("a request with a wrong FINGERPRINT") {
    Encoded request = Encode(MessageClass::kRequest, 0x001, Tid(9),
                             [](MessageBuilder& b) { b.AddFingerprint(); });
    request.buffer[request.size - 1] ^= 0x01;
    server->HandleClientMessage(kT0, Client(), request.span());
    CHECK(server->stats().dropped(DropReason::kBadFingerprint) == 1);
  }
  SUBCASE("a header whose length disagrees with the datagram") {
    Encoded request =
        Encode(MessageClass::kRequest, 0x001, Tid(10), [](MessageBuilder&) {});
    request.size += 4;  // four stray bytes after the message
    server->HandleClientMessage(kT0, Client(), request.span());
    CHECK(server->stats().dropped(DropReason::kMalformed) == 1);
  }
  SUBCASE("an indication for a method with no handler") {
    const Encoded indication = Encode(MessageClass::kIndication, 0x0FF, Tid(11),
                                      [](MessageBuilder&) {});
    server->HandleClientMessage(kT0, Client(), indication.span());
    CHECK(server->stats().dropped(DropReason::kUnknownIndication) == 1);
  }
  CHECK_FALSE(server->PollCommand().has_value());
}

// --- RFC 3489 clients (RFC 8489 §12.2) -------------------------------------

constexpr uint32_t kClassicCookie = 0xC1A55100;  // not 0x2112A442

// A request without the magic cookie: its 16-byte transaction ID is
// kClassicCookie followed by Tid(seed).
template <typename F>
Encoded Classic(uint8_t seed, F add_attributes, uint16_t method = 0x001,
                MessageClass c = MessageClass::kRequest) {
  Encoded e;
  MessageBuilder b(absl::MakeSpan(e.buffer), c, method, Tid(seed));
  b.SetCookieField(kClassicCookie);
  add_attributes(b);
  auto out = b.Finish();
  REQUIRE(out.ok());
  e.size = out->size();
  return e;
}

Encoded ClassicBinding(uint8_t seed, bool change_ip = false,
                       bool change_port = false) {
  // Vovida's `stun` always sends CHANGE-REQUEST, with no flags for test I.
  return Classic(seed, [&](MessageBuilder& b) {
    b.AddChangeRequest({change_ip, change_port});
  });
}

// RFC 5780 §4.1: two IPs × two ports; the client arrives on listener 0.
ServerConfig NatDiscovery() {
  ServerConfig config;
  config.nat_discovery = true;
  config.listeners = {
      {ListenerId{0}, Transport::kUdp,
       *TransportAddress::Parse("198.51.100.1:3478")},
      {ListenerId{1}, Transport::kUdp,
       *TransportAddress::Parse("198.51.100.1:3479")},
      {ListenerId{2}, Transport::kUdp,
       *TransportAddress::Parse("198.51.100.2:3478")},
      {ListenerId{3}, Transport::kUdp,
       *TransportAddress::Parse("198.51.100.2:3479")},
  };
  return config;
}

FiveTuple ClientOnListener0() {
  FiveTuple tuple = Client();
  tuple.listener = ListenerId{0};
  return tuple;
}

std::string Hex(absl::Span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

TEST_CASE("an RFC 3489 Binding request gets MAPPED-ADDRESS and its whole ID") {
  // SOFTWARE is configured but RFC 3489 has no such attribute.
  auto server = MakeServer(WithSoftware("turnpike test"));
  server->HandleClientMessage(kT0, Client(), ClassicBinding(20).span());
  const Transmit sent = ExpectOneTransmit(*server);
  CHECK(sent.to == Client().client);
  CHECK(sent.via == SocketRef{Client().listener});
  // Binding success (0x0101), 12 bytes of body, the client's 16-byte ID,
  // then only MAPPED-ADDRESS (0x0001): IPv4, port 40000, 192.0.2.10.
  CHECK(Hex(sent.bytes) ==
        "0101000c"
        "c1a55100"
        "1415161718191a1b1c1d1e1f"
        "00010008"
        "00019c40"
        "c000020a");
  CHECK(server->stats().requests[1] == 1);
  CHECK(server->stats().success_responses[1] == 1);
}

TEST_CASE("an RFC 3489 client gets a Binding answer and nothing else") {
  auto server = MakeServer();
  SUBCASE("TURN methods, indications and responses without the cookie") {
    for (auto [method, c] :
         {std::pair{uint16_t{0x003}, MessageClass::kRequest},
          std::pair{uint16_t{0x004}, MessageClass::kRequest},
          std::pair{uint16_t{0x001}, MessageClass::kIndication},
          std::pair{uint16_t{0x016}, MessageClass::kIndication},
          std::pair{uint16_t{0x001}, MessageClass::kSuccessResponse}}) {
      CAPTURE(method);
      server->HandleClientMessage(kT0, Client(),
                                  Classic(
                                      21, [](MessageBuilder&) {}, method, c)
                                      .span());
    }
    CHECK(server->stats().dropped(DropReason::kNotStun) == 5);
  }
  SUBCASE("RESPONSE-ADDRESS (RFC 3489 §11.2.2) is not honoured") {
    server->HandleClientMessage(
        kT0, Client(), Classic(22, [](MessageBuilder& b) {
                         b.AddAddress(
                             static_cast<AttributeType>(0x0002),
                             *TransportAddress::Parse("203.0.113.9:7"));
                       }).span());
    CHECK(server->stats().dropped(DropReason::kRfc3489Unanswered) == 1);
  }
  SUBCASE("a change of address without NAT discovery is not answered") {
    for (auto [ip, port] : {std::pair{true, true}, std::pair{false, true},
                            std::pair{true, false}}) {
      server->HandleClientMessage(kT0, Client(),
                                  ClassicBinding(23, ip, port).span());
    }
    CHECK(server->stats().dropped(DropReason::kRfc3489Unanswered) == 3);
  }
  SUBCASE("a FINGERPRINT, broken framing or garbage is not taken for one") {
    Encoded with_fingerprint =
        Classic(24, [](MessageBuilder& b) { b.AddFingerprint(); });
    server->HandleClientMessage(kT0, Client(), with_fingerprint.span());
    Encoded long_length = ClassicBinding(25);
    long_length.buffer[3] = 12;
    server->HandleClientMessage(kT0, Client(), long_length.span());
    const std::array<uint8_t, 20> zeros{};  // type 0x0000
    server->HandleClientMessage(kT0, Client(), zeros);
    CHECK(server->stats().dropped(DropReason::kNotStun) == 3);
  }
  CHECK_FALSE(server->PollCommand().has_value());
  CHECK(server->stats().success_responses[1] == 0);
}

TEST_CASE(
    "RFC 3489 with NAT discovery: SOURCE-ADDRESS and CHANGED-ADDRESS and "
    "CHANGE-REQUEST honoured") {
  auto server = MakeServer(NatDiscovery());
  struct Case {
    bool ip, port;
    uint16_t listener;
    const char* source;  // SOURCE-ADDRESS: where the answer leaves from
  };
  for (const Case& c : {Case{false, false, 0, "00010d96c6336401"},
                        Case{false, true, 1, "00010d97c6336401"},
                        Case{true, false, 2, "00010d96c6336402"},
                        Case{true, true, 3, "00010d97c6336402"}}) {
    CAPTURE(c.listener);
    server->HandleClientMessage(kT0, ClientOnListener0(),
                                ClassicBinding(30, c.ip, c.port).span());
    const Transmit sent = ExpectOneTransmit(*server);
    CHECK(sent.via == SocketRef{ListenerId{c.listener}});
    CHECK(sent.to == Client().client);
    // MAPPED-ADDRESS, SOURCE-ADDRESS (0x0004), CHANGED-ADDRESS (0x0005,
    // the other IP and port: 198.51.100.2:3479), the ID echoed.
    CHECK(Hex(sent.bytes) == std::string("01010024"
                                         "c1a55100"
                                         "1e1f20212223242526272829"
                                         "0001000800019c40c000020a"
                                         "00040008") +
                                 c.source +
                                 "00050008"
                                 "00010d97c6336402");
  }
}

TEST_CASE("Create rejects a SOFTWARE value over the RFC limit") {
  auto server =
      Server::Create(WithSoftware(std::string(764, 'x')), BindingDeps());
  REQUIRE_FALSE(server.ok());
  CHECK(server.status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace turnpike::core
