// Issue 13, item 1, against the real binary: with the longest realm and
// SOFTWARE that --check-config accepts, the packets that once overflowed
// the response buffer and ended the process through __builtin_trap (an
// unauthenticated Allocate with FINGERPRINT, a Binding with PADDING) are
// answered over IPv4 and IPv6, the answers decode with the tests' own
// codec (stun_wire, which shares nothing with core/stun), and turnpike is
// still alive and stops cleanly. Every wait is bounded.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/runtime/skip.h"
#include "tests/runtime/stun_wire.h"
#include "tests/runtime/subprocess.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turnpike_process.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::testing {
namespace {

using std::chrono::milliseconds;
using wire::Bytes;

constexpr milliseconds kReplyTimeout{3000};
constexpr size_t kResponseLimit = 1280;  // core/response_budget.h

constexpr uint16_t kAllocateRequest = 0x0003;
constexpr uint16_t kAllocateError = 0x0113;
constexpr uint16_t kRealm = 0x0014;
constexpr uint16_t kRequestedTransport = 0x0019;
constexpr uint16_t kPadding = 0x0026;  // RFC 5780 §7.6

// RFC 8489 §14.9 and §14.14 allow 763 bytes each of realm and SOFTWARE.
const std::string kLongestRealm(763, 'r');
constexpr size_t kRfcMaxSoftware = 763;

std::string Text(const wire::Attribute* attribute) {
  return attribute
             ? std::string(attribute->value.begin(), attribute->value.end())
             : std::string();
}

// Runs --check-config with the longest realm and `software`; `output`
// receives what it printed.
std::optional<ExitInfo> CheckConfig(const std::string& software,
                                    std::string* output = nullptr) {
  std::unique_ptr<Subprocess> process = Subprocess::Start(
      TURNPIKE_BINARY, {"--check-config", "--listen", "127.0.0.1:0", "--realm",
                        kLongestRealm, "--software", software});
  REQUIRE(process);
  std::optional<ExitInfo> exit = process->WaitForExit(kExitTimeout);
  if (output) *output = process->Output();
  return exit;
}

bool Accepted(const std::string& software) {
  std::optional<ExitInfo> exit = CheckConfig(software);
  REQUIRE_MESSAGE(exit.has_value(), "--check-config did not exit");
  return exit->exited && exit->code == 0;
}

// The longest SOFTWARE --check-config accepts beside the longest realm,
// found by bisection (acceptance only shrinks as SOFTWARE grows). Asking
// the binary rather than hard-coding the answer keeps the test about
// whatever the check accepts.
std::string LongestAcceptedSoftware() {
  size_t accepted = 0;  // none found yet (an empty value is refused)
  size_t refused = kRfcMaxSoftware + 1;
  while (refused - accepted > 1) {
    const size_t middle = accepted + (refused - accepted) / 2;
    (Accepted(std::string(middle, 's')) ? accepted : refused) = middle;
  }
  REQUIRE(accepted > 0);
  return std::string(accepted, 's');
}

// Sends `request` and returns the decoded answer. Every answer must fit
// the response limit, carry `software` and a valid FINGERPRINT (the
// requests all carry one, RFC 8489 §7.3). A 401 challenge to a request
// that proved no password is minimal by design (docs/security.md,
// "Minimal unauthenticated answers"): the caller passes "" for it, and it
// must then carry no SOFTWARE.
std::optional<wire::Message> Ask(UdpSocket& socket,
                                 const TransportAddress& server,
                                 const Bytes& request,
                                 const std::string& software) {
  REQUIRE(socket.SendTo(server.ip.ToString(), server.port, request));
  std::optional<std::vector<uint8_t>> reply = socket.Receive(kReplyTimeout);
  if (!reply) return std::nullopt;
  CHECK(reply->size() <= kResponseLimit);
  std::optional<wire::Message> decoded = wire::Decode(*reply);
  REQUIRE_MESSAGE(decoded.has_value(), "the answer does not decode");
  CHECK(decoded->fingerprint_valid);
  if (software.empty()) {
    CHECK(decoded->Find(wire::kSoftware) == nullptr);
  } else {
    CHECK(Text(decoded->Find(wire::kSoftware)) == software);
  }
  return decoded;
}

TEST_CASE(
    "check-config refuses the longest realm beside the longest "
    "software and names both") {
  std::string output;
  std::optional<ExitInfo> exit =
      CheckConfig(std::string(kRfcMaxSoftware, 's'), &output);
  REQUIRE(exit.has_value());
  CHECK(exit->ToString() == ExitInfo{true, 2, 0}.ToString());
  CHECK(output.find("realm and software") != std::string::npos);
  CHECK(output.find("shorten") != std::string::npos);
}

TEST_CASE(
    "hostile requests with the longest accepted realm and software "
    "are answered and turnpike lives") {
  const std::string software = LongestAcceptedSoftware();
  MESSAGE("longest SOFTWARE accepted beside a 763-byte realm: "
          << software.size() << " bytes");
  for (const std::string ip : {"127.0.0.1", "::1"}) {
    CAPTURE(ip);
    if (!UdpSocket::Bind(ip)) {
      MESSAGE("this host cannot bind " << ip << ": that family is skipped");
      MarkSkipped();
      continue;
    }
    std::optional<RunningTurnpike> turnpike =
        StartTurnpike(ip, {"--realm", kLongestRealm, "--software", software,
                           "--user", "alice:secret", "--relay-ip", ip});
    REQUIRE(turnpike.has_value());
    std::optional<UdpSocket> socket = UdpSocket::Bind(ip);
    REQUIRE(socket.has_value());
    auto ask = [&](const Bytes& request) {
      return Ask(*socket, turnpike->address, request, software);
    };
    auto ask_unauthenticated = [&](const Bytes& request) {
      return Ask(*socket, turnpike->address, request, "");
    };

    // The 28-byte Allocate (header and FINGERPRINT) that used to end the
    // process, then one with REQUESTED-TRANSPORT: 401 with the realm.
    const Bytes bare =
        wire::Encode(kAllocateRequest, wire::MakeTransactionId(1), {}, true);
    CHECK(bare.size() == 28);
    const Bytes with_transport =
        wire::Encode(kAllocateRequest, wire::MakeTransactionId(2),
                     {{kRequestedTransport, {17, 0, 0, 0}}}, true);
    for (const Bytes& allocate : {bare, with_transport}) {
      std::optional<wire::Message> challenge = ask_unauthenticated(allocate);
      REQUIRE_MESSAGE(challenge.has_value(), "no answer to the Allocate");
      CHECK(challenge->type == kAllocateError);
      CHECK(wire::ErrorCode(*challenge) == 401);
      CHECK(Text(challenge->Find(kRealm)) == kLongestRealm);
    }

    // Binding with a 1200-byte PADDING (RFC 5780 §7.6).
    std::optional<wire::Message> padded =
        ask(wire::Encode(wire::kBindingRequest, wire::MakeTransactionId(3),
                         {{kPadding, Bytes(1200, 0)}}, true));
    REQUIRE_MESSAGE(padded.has_value(), "no answer to the padded Binding");
    CHECK(padded->type == wire::kBindingSuccess);
    CHECK(wire::XorMappedAddress(*padded).has_value());

    // 420 listing unknown comprehension-required attributes.
    std::vector<wire::Attribute> unknown;
    for (uint16_t i = 0; i < 12; ++i) {
      unknown.push_back({static_cast<uint16_t>(0x7F00 + i), {}});
    }
    std::optional<wire::Message> refused = ask(wire::Encode(
        wire::kBindingRequest, wire::MakeTransactionId(4), unknown, true));
    REQUIRE_MESSAGE(refused.has_value(), "no answer to the unknown attributes");
    CHECK(wire::ErrorCode(*refused) == 420);
    CHECK(!wire::UnknownAttributes(*refused).empty());

    // A real client still allocates, through the same long realm.
    std::optional<TurnClient> client =
        TurnClient::Create(ip, turnpike->address);
    REQUIRE(client.has_value());
    client->SetCredentials("alice", "secret");
    AllocateOptions options;
    if (ip == "::1") options.requested_family = 0x02;  // the relay's family
    std::optional<TurnReply> allocated = client->Allocate(options);
    REQUIRE(allocated.has_value());
    CHECK(allocated->ok());
    CHECK(allocated->integrity_valid);

    // Still alive: a plain Binding is answered, and SIGTERM ends it cleanly.
    CHECK(turnpike->process->Running());
    CHECK(ask(wire::Encode(wire::kBindingRequest, wire::MakeTransactionId(5),
                           {}, true))
              .has_value());
    std::optional<ExitInfo> exit = StopWith(*turnpike->process, SIGTERM);
    REQUIRE(exit.has_value());
    CHECK(exit->ToString() == ExitInfo{true, 0, 0}.ToString());
  }
}

}  // namespace
}  // namespace turnpike::testing
