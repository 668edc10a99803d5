// Small pieces shared by the TURN integration tests: addresses, payloads,
// the echo step of a peer, and reading the JSON-lines event file.
#ifndef TURNPIKE_TESTS_RUNTIME_TURN_TEST_SUPPORT_H_
#define TURNPIKE_TESTS_RUNTIME_TURN_TEST_SUPPORT_H_

#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "core/net/transport_address.h"
#include "tests/runtime/temp_files.h"
#include "tests/runtime/turn_client.h"
#include "tests/runtime/turnpike_process.h"
#include "tests/runtime/udp_socket.h"

namespace turnpike::testing {

// How long to listen for a datagram that must not come. Loopback delivers
// in well under a millisecond, so this is a wide margin, not a race.
inline constexpr std::chrono::milliseconds kSilenceWindow{300};
// How long to wait for a datagram that must come (only a failing run waits
// it out).
inline constexpr std::chrono::milliseconds kDatagramTimeout{10000};

inline TransportAddress AddressOf(const UdpSocket& socket) {
  return TransportAddress{*IpAddress::Parse(socket.local_ip()),
                          socket.local_port()};
}

inline Payload Bytes(std::string_view text) {
  return Payload(text.begin(), text.end());
}

// ::1 can be bound: the host has IPv6 loopback.
inline bool HostHasIpv6Loopback() { return UdpSocket::Bind("::1").has_value(); }

// The peer's side of one relayed exchange: the datagram must come from
// `relayed` and hold `expected`; the peer answers `reply` to where it heard
// from.
inline void PeerExpectsAndAnswers(UdpSocket& peer,
                                  const TransportAddress& relayed,
                                  const Payload& expected,
                                  const Payload& reply) {
  std::optional<Datagram> got = peer.ReceiveFrom(kDatagramTimeout);
  REQUIRE_MESSAGE(got.has_value(), "the peer heard nothing from the relay");
  CHECK(IpAddress::Parse(got->source_ip) == relayed.ip);
  CHECK(got->source_port == relayed.port);
  CHECK(got->bytes == expected);
  REQUIRE(peer.SendTo(got->source_ip, got->source_port, reply));
}

// SIGTERM, then turnpike must exit 0 within kExitTimeout.
inline void ExpectCleanExit(RunningTurnpike& server) {
  std::optional<ExitInfo> exit = StopWith(*server.process, SIGTERM);
  REQUIRE_MESSAGE(exit.has_value(), "turnpike did not exit after SIGTERM");
  INFO("output:\n" << server.process->Output());
  CHECK(exit->exited);
  CHECK(exit->code == 0);
}

// A client of `server` on `ip` with the given credentials.
inline TurnClient NewClient(const std::string& ip,
                            const RunningTurnpike& server,
                            const std::string& user,
                            const std::string& password) {
  std::optional<TurnClient> client = TurnClient::Create(ip, server.address);
  REQUIRE(client.has_value());
  client->SetCredentials(user, password);
  return std::move(*client);
}

// True when one line of the JSON-lines `file` holds every one of `parts`
// (such as "\"event\":\"allocation_deleted\"" and "\"reason\":\"expired\"").
inline bool EventFileHasLine(const std::filesystem::path& file,
                             std::initializer_list<std::string_view> parts) {
  std::istringstream lines(ReadWholeFile(file));
  for (std::string line; std::getline(lines, line);) {
    bool all = true;
    for (std::string_view part : parts) {
      all = all && line.find(part) != std::string::npos;
    }
    if (all) return true;
  }
  return false;
}

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_RUNTIME_TURN_TEST_SUPPORT_H_
