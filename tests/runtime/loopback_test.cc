// The real turnpike binary on loopback, driven over UDP (DESIGN.md testing
// pyramid, layer 4). Each case starts its own server on a free port, checks
// what a client sees on the wire, and stops the server with a signal,
// expecting a clean exit. Every wait is bounded.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/runtime/skip.h"
#include "tests/runtime/stun_wire.h"
#include "tests/runtime/subprocess.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::testing {
namespace {

using std::chrono::milliseconds;
using wire::Bytes;

// How long to wait for a reply that must come: only a failing run waits
// this long, so it is sized for a sanitizer build on a loaded machine.
constexpr milliseconds kReplyTimeout{10000};
// After the last expected reply, how long to listen for one that must not
// come. Order on loopback already proves most of it (see the drop checks).
constexpr milliseconds kSilenceWindow{200};
constexpr milliseconds kExitTimeout{10000};
// Readiness: one probe every 100 ms, at most this many (10 s in all, generous
// for a sanitizer build on a loaded machine).
constexpr int kReadinessProbes = 100;
// A free port can be taken by someone else between the probe and the
// server's bind; start again on a new port this many times.
constexpr int kStartAttempts = 3;
// An attribute type in the comprehension-required range (< 0x8000) that no
// RFC assigns, so the server must not know it.
constexpr uint16_t kUnknownRequiredAttribute = 0x7F01;

std::string ListenArgument(const std::string& ip, uint16_t port) {
  const std::string host =
      ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
  return host + ":" + std::to_string(port);
}

struct Server {
  std::unique_ptr<Subprocess> process;
  std::string ip;
  uint16_t port = 0;
};

// Probes from a socket of its own, so stray late answers to probes never
// reach the socket the test then uses.
bool WaitUntilAnswering(Subprocess& process, const std::string& ip,
                        uint16_t port) {
  std::optional<UdpSocket> probe = UdpSocket::Bind(ip);
  if (!probe) return false;
  const Bytes request =
      wire::Encode(wire::kBindingRequest, wire::MakeTransactionId(200), {},
                   /*fingerprint=*/false);
  for (int i = 0; i < kReadinessProbes; ++i) {
    if (!process.Running()) return false;
    probe->SendTo(ip, port, request);
    if (probe->Receive(milliseconds(100))) return true;
  }
  return false;
}

std::optional<Server> StartServer(const std::string& ip,
                                  const std::vector<std::string>& extra) {
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    std::optional<uint16_t> port = PickFreeUdpPort(ip);
    if (!port) return std::nullopt;
    std::vector<std::string> args = {"--listen", ListenArgument(ip, *port)};
    args.insert(args.end(), extra.begin(), extra.end());
    std::unique_ptr<Subprocess> process =
        Subprocess::Start(TURNPIKE_BINARY, args);
    if (!process) return std::nullopt;
    if (WaitUntilAnswering(*process, ip, *port)) {
      return Server{std::move(process), ip, *port};
    }
    MESSAGE("start attempt " << attempt + 1 << " on port " << *port
                             << " did not answer; output:\n"
                             << process->Output());
    // ~Subprocess kills and reaps it.
  }
  return std::nullopt;
}

std::optional<wire::Message> ReceiveMessage(UdpSocket& socket) {
  std::optional<Bytes> bytes = socket.Receive(kReplyTimeout);
  if (!bytes) return std::nullopt;
  return wire::Decode(*bytes);
}

// SIGTERM, then a clean exit with status 0 within kExitTimeout. Under the
// sanitizer build a leak at exit would also show up here as a non-zero code.
void StopAndExpectCleanExit(Server& server) {
  server.process->Signal(SIGTERM);
  std::optional<ExitInfo> exit = server.process->WaitForExit(kExitTimeout);
  REQUIRE_MESSAGE(exit.has_value(), "turnpike did not exit after SIGTERM");
  INFO("output:\n" << server.process->Output());
  CHECK(exit->exited);
  CHECK(exit->code == 0);
}

void CheckBindingSuccess(const wire::Message& reply,
                         const wire::TransactionId& id,
                         const UdpSocket& client) {
  CHECK(reply.type == wire::kBindingSuccess);
  CHECK(reply.id == id);
  std::optional<wire::Endpoint> mapped = wire::XorMappedAddress(reply);
  REQUIRE(mapped.has_value());
  CHECK(mapped->ip == client.local_ip());
  CHECK(mapped->port == client.local_port());
}

// The conversation every address family must pass.
void RunBindingConversation(const std::string& ip) {
  std::optional<UdpSocket> client = UdpSocket::Bind(ip);
  REQUIRE(client.has_value());
  std::optional<Server> server = StartServer(ip, {});
  REQUIRE_MESSAGE(server.has_value(), "turnpike never answered on " << ip);
  const std::string output_before_stop = server->process->Output();
  CHECK(output_before_stop.find("listening on udp " +
                                ListenArgument(ip, server->port)) !=
        std::string::npos);

  // RFC 8489 §7.3.1: a Binding request with FINGERPRINT gets the reflexive
  // address and, answering in kind, a FINGERPRINT.
  {
    const wire::TransactionId id = wire::MakeTransactionId(1);
    REQUIRE(client->SendTo(ip, server->port,
                           wire::Encode(wire::kBindingRequest, id, {},
                                        /*fingerprint=*/true)));
    std::optional<wire::Message> reply = ReceiveMessage(*client);
    REQUIRE_MESSAGE(reply.has_value(), "no STUN answer to a Binding request");
    CheckBindingSuccess(*reply, id, *client);
    CHECK(reply->fingerprint_valid);
    // Privacy by default: no --software, no SOFTWARE attribute.
    CHECK(reply->Find(wire::kSoftware) == nullptr);
  }

  // RFC 8489 §6.3.1.1: an unknown comprehension-required attribute → 420
  // listing it in UNKNOWN-ATTRIBUTES.
  {
    const wire::TransactionId id = wire::MakeTransactionId(2);
    REQUIRE(
        client->SendTo(ip, server->port,
                       wire::Encode(wire::kBindingRequest, id,
                                    {{kUnknownRequiredAttribute, {1, 2, 3, 4}}},
                                    /*fingerprint=*/true)));
    std::optional<wire::Message> reply = ReceiveMessage(*client);
    REQUIRE_MESSAGE(reply.has_value(), "no answer to the 420 case");
    CHECK(reply->type == wire::kBindingError);
    CHECK(reply->id == id);
    CHECK(wire::ErrorCode(*reply) == 420);
    CHECK(wire::UnknownAttributes(*reply) ==
          std::vector<uint16_t>{kUnknownRequiredAttribute});
    CHECK(reply->fingerprint_valid);
  }

  // Garbage and a response-class message are dropped without an answer
  // (RFC 8489 §6.3). The probe behind them proves it: the server handles
  // datagrams in order on one thread and loopback keeps the order, so the
  // first datagram back must be the probe's answer.
  {
    const std::string text = "not STUN at all, just text";
    const std::vector<Bytes> unanswerable = {
        // An empty datagram.
        Bytes{},
        // No STUN header at all.
        Bytes(text.begin(), text.end()),
        // The size of a media packet, but zeros: no magic cookie.
        Bytes(1400, 0x00),
        // A well-formed response: a server expects none from clients.
        wire::Encode(wire::kBindingSuccess, wire::MakeTransactionId(3), {},
                     /*fingerprint=*/false),
    };
    for (const Bytes& datagram : unanswerable) {
      REQUIRE(client->SendTo(ip, server->port, datagram));
    }
    const wire::TransactionId probe_id = wire::MakeTransactionId(4);
    REQUIRE(client->SendTo(ip, server->port,
                           wire::Encode(wire::kBindingRequest, probe_id, {},
                                        /*fingerprint=*/false)));
    std::optional<wire::Message> reply = ReceiveMessage(*client);
    REQUIRE_MESSAGE(reply.has_value(),
                    "server stopped answering after unanswerable input");
    CheckBindingSuccess(*reply, probe_id, *client);
    CHECK_FALSE(reply->fingerprint_valid);  // none asked, none sent
    CHECK_FALSE(client->Receive(kSilenceWindow).has_value());
  }

  // A burst larger than one recvmmsg batch, queued while the server is
  // stopped so that it wakes to many datagrams at once and reads them in
  // batches (one slab, datagram k at slot k): every request must be answered
  // once, with its own transaction ID.
  {
    constexpr int kBurst = 48;
    server->process->Signal(SIGSTOP);
    for (int i = 0; i < kBurst; ++i) {
      REQUIRE(client->SendTo(
          ip, server->port,
          wire::Encode(wire::kBindingRequest,
                       wire::MakeTransactionId(static_cast<uint8_t>(100 + i)),
                       {}, /*fingerprint=*/true)));
    }
    server->process->Signal(SIGCONT);
    std::vector<int> answers(kBurst, 0);
    for (int i = 0; i < kBurst; ++i) {
      std::optional<wire::Message> reply = ReceiveMessage(*client);
      REQUIRE_MESSAGE(reply.has_value(), "burst reply " << i << " missing");
      CHECK(reply->type == wire::kBindingSuccess);
      CHECK(reply->fingerprint_valid);
      for (int k = 0; k < kBurst; ++k) {
        if (reply->id ==
            wire::MakeTransactionId(static_cast<uint8_t>(100 + k))) {
          ++answers[k];
        }
      }
    }
    CHECK(answers == std::vector<int>(kBurst, 1));
  }

  StopAndExpectCleanExit(*server);
}

TEST_CASE("IPv4 loopback: Binding, 420, silent drops, clean SIGTERM exit") {
  RunBindingConversation("127.0.0.1");
}

TEST_CASE("IPv6 loopback: Binding, 420, silent drops, clean SIGTERM exit") {
  if (!UdpSocket::Bind("::1")) {
    MESSAGE("SKIPPED: this host has no IPv6 loopback (::1)");
    MarkSkipped();
    return;
  }
  RunBindingConversation("::1");
}

TEST_CASE("--software puts a SOFTWARE attribute in responses") {
  const std::string ip = "127.0.0.1";
  std::optional<UdpSocket> client = UdpSocket::Bind(ip);
  REQUIRE(client.has_value());
  std::optional<Server> server =
      StartServer(ip, {"--software", "turnpike loopback test"});
  REQUIRE(server.has_value());

  const wire::TransactionId id = wire::MakeTransactionId(7);
  REQUIRE(client->SendTo(ip, server->port,
                         wire::Encode(wire::kBindingRequest, id, {},
                                      /*fingerprint=*/false)));
  std::optional<wire::Message> reply = ReceiveMessage(*client);
  REQUIRE(reply.has_value());
  CheckBindingSuccess(*reply, id, *client);
  const wire::Attribute* software = reply->Find(wire::kSoftware);
  REQUIRE(software != nullptr);
  CHECK(std::string(software->value.begin(), software->value.end()) ==
        "turnpike loopback test");

  StopAndExpectCleanExit(*server);
}

TEST_CASE("SIGINT stops the server cleanly too") {
  std::optional<Server> server = StartServer("127.0.0.1", {});
  REQUIRE(server.has_value());
  server->process->Signal(SIGINT);
  std::optional<ExitInfo> exit = server->process->WaitForExit(kExitTimeout);
  REQUIRE(exit.has_value());
  INFO("output:\n" << server->process->Output());
  CHECK(exit->exited);
  CHECK(exit->code == 0);
}

// Runs turnpike with `args`, which must make it refuse to start.
ExitInfo RunExpectingRefusal(const std::vector<std::string>& args,
                             std::string* output) {
  std::unique_ptr<Subprocess> process =
      Subprocess::Start(TURNPIKE_BINARY, args);
  REQUIRE(process != nullptr);
  std::optional<ExitInfo> exit = process->WaitForExit(kExitTimeout);
  *output = process->Output();
  REQUIRE_MESSAGE(exit.has_value(), "turnpike kept running; output:\n"
                                        << *output);
  return *exit;
}

TEST_CASE("a bad flag value stops start-up with exit code 2, naming the flag") {
  struct Case {
    std::vector<std::string> args;
    std::string named;  // must appear in the message
  };
  const std::vector<Case> cases = {
      {{"--listen", "nonsense"}, "--listen"},
      {{"--listen", "127.0.0.1"}, "--listen"},        // no port
      {{"--listen", "127.0.0.1:65536"}, "--listen"},  // port out of range
      {{"--listen", "::1:3478"}, "--listen"},         // IPv6 needs brackets
      {{"--listen"}, "--listen"},                     // value missing
      {{"--software", ""}, "--software"},
      {{"--udp-receive-buffer", "lots"}, "--udp-receive-buffer"},
      {{"--no-such-flag"}, "--no-such-flag"},
  };
  for (const Case& c : cases) {
    std::string output;
    const ExitInfo exit = RunExpectingRefusal(c.args, &output);
    INFO("args: " << (c.args.empty() ? "" : c.args[0])
                  << " ... output: " << output);
    CHECK(exit.exited);
    CHECK(exit.code == 2);
    CHECK(output.find(c.named) != std::string::npos);
  }
}

TEST_CASE("a port already in use stops start-up with exit code 1") {
  // Holding the port ourselves makes the conflict certain.
  std::optional<UdpSocket> holder = UdpSocket::Bind("127.0.0.1");
  REQUIRE(holder.has_value());
  const std::string address = ListenArgument("127.0.0.1", holder->local_port());
  std::string output;
  const ExitInfo exit = RunExpectingRefusal({"--listen", address}, &output);
  INFO("output: " << output);
  CHECK(exit.exited);
  CHECK(exit.code == 1);
  CHECK(output.find(address) != std::string::npos);
  CHECK(output.find("in use") != std::string::npos);
}

}  // namespace
}  // namespace turnpike::testing
