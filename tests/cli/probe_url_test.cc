// The TURN URLs `turnpike probe` takes (cli/probe/probe_url.h): RFC 7065's
// turn:/turns: with their default ports and transports, RFC 7064's
// stun:/stuns:, and the mistakes operators make refused with a hint.
#include "cli/probe/probe_url.h"

#include <doctest/doctest.h>

#include <string>

namespace turnpike::cli::probe {
namespace {

ProbeUrl MustParse(const std::string& text) {
  absl::StatusOr<ProbeUrl> url = ParseProbeUrl(text);
  INFO(text);
  REQUIRE(url.ok());
  return *url;
}

std::string ErrorOf(const std::string& text) {
  absl::StatusOr<ProbeUrl> url = ParseProbeUrl(text);
  INFO(text);
  REQUIRE_FALSE(url.ok());
  return std::string(url.status().message());
}

TEST_CASE("turn and turns take the RFC 7065 default ports and transports") {
  const ProbeUrl udp = MustParse("turn:turn.example.net");
  CHECK(udp.transport == ProbeTransport::kUdp);
  CHECK(udp.port == 3478);
  CHECK(udp.host == "turn.example.net");
  CHECK_FALSE(udp.host_is_ip);
  CHECK_FALSE(udp.stun_only);

  const ProbeUrl tls = MustParse("turns:turn.example.net");
  CHECK(tls.transport == ProbeTransport::kTls);
  CHECK(tls.port == 5349);

  CHECK(MustParse("turn:192.0.2.1:3479?transport=tcp").transport ==
        ProbeTransport::kTcp);
  CHECK(MustParse("turn:192.0.2.1:3479?transport=tcp").port == 3479);
  CHECK(MustParse("turns:192.0.2.1?transport=udp").transport ==
        ProbeTransport::kDtls);
  CHECK(MustParse("turns:192.0.2.1?transport=tcp").transport ==
        ProbeTransport::kTls);
  CHECK(MustParse("TURN:192.0.2.1?transport=TCP").transport ==
        ProbeTransport::kTcp);
}

TEST_CASE("an IPv6 literal goes in brackets") {
  const ProbeUrl url = MustParse("turn:[2001:db8::1]:3480?transport=udp");
  CHECK(url.host == "2001:db8::1");
  CHECK(url.host_is_ip);
  CHECK(url.port == 3480);
  CHECK(MustParse("turns:[::1]").port == 5349);
  CHECK(ErrorOf("turn:2001:db8::1").find("brackets") != std::string::npos);
  CHECK(ErrorOf("turn:[192.0.2.1]").find("IPv6") != std::string::npos);
  CHECK_FALSE(ParseProbeUrl("turn:[::1").ok());
  CHECK_FALSE(ParseProbeUrl("turn:[::1]x").ok());
}

TEST_CASE("stun URLs ask for a Binding only") {
  const ProbeUrl url = MustParse("stun:192.0.2.1");
  CHECK(url.stun_only);
  CHECK(url.port == 3478);
  CHECK(MustParse("stuns:192.0.2.1").transport == ProbeTransport::kTls);
  CHECK_FALSE(ParseProbeUrl("stun:192.0.2.1?transport=tcp").ok());
}

TEST_CASE("malformed URLs are refused with the reason") {
  CHECK(ErrorOf("turn://192.0.2.1").find("'//'") != std::string::npos);
  CHECK(ErrorOf("http:192.0.2.1").find("scheme") != std::string::npos);
  CHECK(ErrorOf("192.0.2.1").find("no scheme") != std::string::npos);
  CHECK(ErrorOf("turn:").find("no host") != std::string::npos);
  for (const char* port : {"0", "65536", "-1", "+5", "12a", "999999", ""}) {
    CHECK_FALSE(ParseProbeUrl(std::string("turn:192.0.2.1:") + port).ok());
  }
  CHECK(ErrorOf("turn:192.0.2.1?transport=sctp").find("udp or tcp") !=
        std::string::npos);
  CHECK(ErrorOf("turn:192.0.2.1?proto=udp").find("transport") !=
        std::string::npos);
  CHECK(ErrorOf("turn:bad host").find("neither") != std::string::npos);
  CHECK_FALSE(ParseProbeUrl("turn:" + std::string(300, 'a')).ok());
}

}  // namespace
}  // namespace turnpike::cli::probe
