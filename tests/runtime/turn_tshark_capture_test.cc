// Wireshark as an independent judge of what the running server sends (the
// encoder alone is judged by tests/wireshark/tshark_stun_check.sh): tshark
// captures on loopback, filtered to this server's port, while a client
// goes through Binding, 401, Allocate, CreatePermission, Send/Data,
// ChannelBind, ChannelData, Refresh and error responses. Then tshark reads
// the capture back: every packet must decode as STUN or ChannelData with
// no malformed mark and no expert info, each response must be the one the
// client got (type, error code, FINGERPRINT good), and the addresses
// Wireshark decodes must be those the client saw. Capturing needs root or
// CAP_NET_RAW; a host without tshark or without that right reports the case
// skipped, with the reason.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "core/stun/constants.h"
#include "tests/runtime/skip.h"
#include "tests/runtime/subprocess.h"
#include "tests/runtime/temp_files.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turn_test_support.h"
#include "tests/runtime/turnpike_process.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::testing {
namespace {

const std::string kIp = "127.0.0.1";
constexpr uint16_t kChannel = 0x4001;
// Bounds on tshark: capturing (it stops by itself at the expected packet
// count, or after this long) and reading a file back.
constexpr int kCaptureSeconds = 30;
constexpr std::chrono::milliseconds kTsharkTimeout{40000};
// tshark loads every dissector before it captures: seconds on a busy host.
constexpr std::chrono::milliseconds kTsharkStart{30000};

// One packet as tshark decodes it; list fields keep tshark's ','-joined
// text.
struct Decoded {
  std::string protocols;
  int source_port = 0;
  std::string type;     // stun.type, "0x0101"; empty for ChannelData
  std::string channel;  // stun.channel, ChannelData only
  std::string attributes;
  int error_code = 0;  // class * 100 + number; 0 without ERROR-CODE
  std::string ips;
  std::string ports;
  std::string lifetime;
  std::string fingerprint_status;  // "1" = Good
  std::string expert;
  std::string malformed;
};

// What the server must have sent, in order, checked against tshark's view.
struct ExpectedResponse {
  std::string type;
  int error_code = 0;
  std::string channel;  // ChannelData instead of a STUN message
  // A response to a request with FINGERPRINT carries one (RFC 8489 §7.3);
  // the server's Data indications and ChannelData need none.
  bool fingerprint = false;
};

std::string TypeText(uint16_t type) {
  char text[8];
  std::snprintf(text, sizeof(text), "0x%04x", type);
  return text;
}

// STUN message type of `method` and `message_class` (RFC 8489 §5).
uint16_t MessageType(uint16_t method, stun::MessageClass message_class) {
  const auto c = static_cast<uint16_t>(message_class);
  return static_cast<uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) |
                               ((method & 0x0F80) << 2) | ((c & 1) << 4) |
                               ((c & 2) << 7));
}

ExpectedResponse Expect(const std::optional<TurnReply>& reply) {
  REQUIRE(reply.has_value());
  return {TypeText(MessageType(reply->method, reply->message_class)),
          reply->error_code, "", true};
}

// Runs tshark to completion (bounded) and returns its output, or fails.
std::string RunTshark(const std::vector<std::string>& args) {
  std::unique_ptr<Subprocess> tshark = Subprocess::Start(TURNPIKE_TSHARK, args);
  REQUIRE(tshark != nullptr);
  std::optional<ExitInfo> exit = tshark->WaitForExit(kTsharkTimeout);
  REQUIRE_MESSAGE(exit.has_value(), "tshark did not finish");
  INFO("tshark output:\n" << tshark->Output());
  REQUIRE(exit->exited);
  REQUIRE(exit->code == 0);
  return tshark->Output();
}

std::vector<Decoded> DecodeCapture(const std::string& pcap, uint16_t port) {
  const std::string output =
      RunTshark({"-n",
                 "-r",
                 pcap,
                 "-o",
                 "stun.stunversion:RFC5389 and later",
                 "-d",
                 "udp.port==" + std::to_string(port) + ",stun",
                 "-T",
                 "fields",
                 "-E",
                 "separator=|",
                 "-E",
                 "occurrence=a",
                 "-e",
                 "frame.protocols",
                 "-e",
                 "udp.srcport",
                 "-e",
                 "stun.type",
                 "-e",
                 "stun.channel",
                 "-e",
                 "stun.att.type",
                 "-e",
                 "stun.att.error.class",
                 "-e",
                 "stun.att.error",
                 "-e",
                 "stun.att.ipv4",
                 "-e",
                 "stun.att.port",
                 "-e",
                 "stun.att.lifetime",
                 "-e",
                 "stun.att.crc32.status",
                 "-e",
                 "_ws.expert",
                 "-e",
                 "_ws.malformed"});
  std::vector<Decoded> packets;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    // tshark's warning when run as root is not a packet.
    if (line.find('|') == std::string::npos) continue;
    std::vector<std::string> f = absl::StrSplit(line, '|');
    REQUIRE_MESSAGE(f.size() == 13, "unexpected tshark line: " << line);
    Decoded d;
    d.protocols = f[0];
    d.source_port = f[1].empty() ? 0 : std::stoi(f[1]);
    d.type = f[2];
    d.channel = f[3];
    d.attributes = f[4];
    if (!f[5].empty()) d.error_code = std::stoi(f[5]) * 100 + std::stoi(f[6]);
    d.ips = f[7];
    d.ports = f[8];
    d.lifetime = f[9];
    d.fingerprint_status = f[10];
    d.expert = f[11];
    d.malformed = f[12];
    packets.push_back(d);
  }
  return packets;
}

TEST_CASE("tshark decodes what the running server sent as the client saw it") {
  const std::string tshark_path = TURNPIKE_TSHARK;
  if (tshark_path.empty() || tshark_path.ends_with("NOTFOUND")) {
    MESSAGE("SKIPPED: tshark not found (Debian package tshark)");
    MarkSkipped();
    return;
  }
  TempDir dir;
  const std::string pcap = (dir.path() / "conversation.pcapng").string();
  std::optional<RunningTurnpike> server =
      StartTurnpike(kIp, {"--relay-ip", kIp, "--user", "alice:secret",
                          "--peer-allow", "127.0.0.0/8"});
  REQUIRE(server.has_value());
  const uint16_t port = server->address.port;

  // Packets to and from the server's port, counted below as they go.
  int packets = 0;
  std::vector<ExpectedResponse> responses;
  auto transact = [&](int round_trips, const std::optional<TurnReply>& reply) {
    packets += 2 * round_trips;
    responses.push_back(Expect(reply));
    return reply;
  };

  // The conversation is fixed, so its packet count is known before it
  // runs; tshark stops at that count (or kCaptureSeconds).
  constexpr int kPackets = 26;
  std::unique_ptr<Subprocess> capture = Subprocess::Start(
      TURNPIKE_TSHARK,
      {"-n", "-i", "lo", "-f", "udp port " + std::to_string(port), "-c",
       std::to_string(kPackets), "-a",
       "duration:" + std::to_string(kCaptureSeconds), "-w", pcap});
  REQUIRE(capture != nullptr);
  // tshark says "Capturing on 'Loopback: lo'" before dumpcap's capture is
  // live; "Capture started" comes once it is. A tshark that is refused the
  // capture (no root, no CAP_NET_RAW) exits saying so: skipped, visibly.
  if (!WaitForOutput(*capture, "Capture started", kTsharkStart)) {
    const std::string output = capture->Output();
    if (!capture->Running() && output.find("ermission") != std::string::npos) {
      MESSAGE(
          "SKIPPED: tshark may not capture on lo here (needs root or "
          "CAP_NET_RAW); its output:\n"
          << output);
      MarkSkipped();
      return;
    }
    FAIL("tshark did not start capturing; its output:\n" << output);
  }

  std::optional<TurnClient> client = TurnClient::Create(kIp, server->address);
  REQUIRE(client.has_value());
  std::optional<UdpSocket> peer = UdpSocket::Bind(kIp);
  REQUIRE(peer.has_value());
  const TransportAddress peer_address = AddressOf(*peer);

  std::optional<TurnReply> binding = transact(1, client->Binding());
  REQUIRE(binding->ok());
  // No credentials: 401 with REALM and NONCE.
  CHECK(transact(1, client->Allocate())->error_code ==
        stun::error_code::kUnauthenticated);
  client->SetCredentials("alice", "secret");
  // 401 again (the client sends no credentials until challenged), then
  // the Allocate success.
  responses.push_back(
      {TypeText(MessageType(static_cast<uint16_t>(stun::Method::kAllocate),
                            stun::MessageClass::kErrorResponse)),
       stun::error_code::kUnauthenticated, "", true});
  std::optional<TurnReply> allocated = transact(2, client->Allocate());
  REQUIRE(allocated->ok());
  const TransportAddress relayed = allocated->relayed.at(0);
  REQUIRE(transact(1, client->CreatePermission({peer_address}))->ok());
  // Refused by policy: 403 (RFC 8656 §9.1).
  CHECK(transact(1, client->CreatePermission(
                        {*TransportAddress::Parse("10.0.0.1:4000")}))
            ->error_code == stun::error_code::kForbidden);

  // Send indication out, Data indication back (§11).
  REQUIRE(client->SendIndication(peer_address, Bytes("ping")));
  PeerExpectsAndAnswers(*peer, relayed, Bytes("ping"), Bytes("pong"));
  REQUIRE(client->ReceiveRelayed().has_value());
  packets += 2;
  responses.push_back(
      {TypeText(MessageType(static_cast<uint16_t>(stun::Method::kData),
                            stun::MessageClass::kIndication)),
       0, "", false});

  // A channel number outside 0x4000-0x4FFF: 400 (§12.1); then a good one
  // and ChannelData both ways (§12).
  CHECK(transact(1, client->ChannelBind(0x3FFF, peer_address))->error_code ==
        stun::error_code::kBadRequest);
  REQUIRE(transact(1, client->ChannelBind(kChannel, peer_address))->ok());
  REQUIRE(client->SendChannelData(kChannel, Bytes("ping over channel")));
  PeerExpectsAndAnswers(*peer, relayed, Bytes("ping over channel"),
                        Bytes("pong over channel"));
  REQUIRE(client->ReceiveRelayed().has_value());
  packets += 2;
  responses.push_back({"", 0, TypeText(kChannel), false});

  // Refresh, delete, and a Refresh of nothing: 437 (§7.3).
  REQUIRE(transact(1, client->Refresh(std::nullopt))->ok());
  REQUIRE(transact(1, client->Refresh(0))->ok());
  CHECK(transact(1, client->Refresh(std::nullopt))->error_code ==
        stun::error_code::kAllocationMismatch);
  REQUIRE(packets == kPackets);

  std::optional<ExitInfo> captured = capture->WaitForExit(kTsharkTimeout);
  REQUIRE_MESSAGE(captured.has_value(), "tshark did not stop capturing");
  INFO("capture output:\n" << capture->Output());
  REQUIRE(captured->exited);
  REQUIRE(captured->code == 0);
  ExpectCleanExit(*server);

  const std::vector<Decoded> decoded = DecodeCapture(pcap, port);
  REQUIRE_MESSAGE(decoded.size() == static_cast<size_t>(kPackets),
                  "tshark stopped before it saw every packet");
  std::vector<const Decoded*> sent;  // by the server, in order
  for (const Decoded& packet : decoded) {
    INFO("packet: " << packet.protocols << " type " << packet.type
                    << " channel " << packet.channel);
    // Send/Data indications and ChannelData carry their payload as "data".
    CHECK((packet.protocols.ends_with(":udp:stun") ||
           packet.protocols.ends_with(":udp:stun:data")));
    CHECK(packet.expert.empty());
    CHECK(packet.malformed.empty());
    CHECK((packet.type.empty() != packet.channel.empty()));
    if (packet.source_port == port) sent.push_back(&packet);
  }
  REQUIRE(sent.size() == responses.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    const Decoded& got = *sent[i];
    const ExpectedResponse& want = responses[i];
    INFO("response " << i << ": want type '" << want.type << "' error "
                     << want.error_code << " channel '" << want.channel << "'");
    CHECK(got.type == want.type);
    CHECK(got.channel == want.channel);
    CHECK(got.error_code == want.error_code);
    // Wireshark must find the FINGERPRINT good ("1").
    if (want.fingerprint) CHECK(got.fingerprint_status == "1");
  }
  // The Allocate success: Wireshark un-XORs the addresses the client saw
  // (XOR-RELAYED-ADDRESS, XOR-MAPPED-ADDRESS) and the lifetime.
  const Decoded& allocate = *sent[3];
  CHECK(allocate.lifetime == std::to_string(*allocated->lifetime));
  CHECK(allocate.ips == kIp + "," + kIp);
  CHECK(allocate.ports == std::to_string(relayed.port) + "," +
                              std::to_string(client->local_address().port));
  CHECK(allocate.attributes.find("0x0016") != std::string::npos);
  CHECK(allocate.attributes.find("0x0020") != std::string::npos);
  // The Binding success: XOR-MAPPED-ADDRESS is the client's address.
  CHECK(sent[0]->ips == kIp);
  CHECK(sent[0]->ports == std::to_string(client->local_address().port));
}

}  // namespace
}  // namespace turnpike::testing
