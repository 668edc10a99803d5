// The generated credential's banner: one URL per listener in RFC 7065's
// form, and an iceServers entry a browser accepts.
#include <doctest/doctest.h>

#include <string>

#include "cli/generated_credential.h"

namespace turnpike::cli {
namespace {

TransportAddress At(const char* text) { return *TransportAddress::Parse(text); }

TEST_CASE("banner URLs name each listener's transport as RFC 7065 writes it") {
  CHECK(TurnUrl(core::Transport::kUdp, At("192.0.2.1:3478")) ==
        "turn:192.0.2.1:3478?transport=udp");
  CHECK(TurnUrl(core::Transport::kTcp, At("192.0.2.1:3478")) ==
        "turn:192.0.2.1:3478?transport=tcp");
  CHECK(TurnUrl(core::Transport::kTls, At("[2001:db8::1]:443")) ==
        "turns:[2001:db8::1]:443?transport=tcp");
  CHECK(TurnUrl(core::Transport::kDtls, At("192.0.2.1:5349")) ==
        "turns:192.0.2.1:5349?transport=udp");
}

TEST_CASE("the banner's iceServers leave out DTLS, which browsers lack") {
  core::Credential credential;
  credential.username = "turnpike";
  credential.password = "pw";
  const std::string banner = CredentialBanner(
      credential, {{core::Transport::kUdp, At("192.0.2.1:3478")},
                   {core::Transport::kTcp, At("192.0.2.1:3478")},
                   {core::Transport::kDtls, At("192.0.2.1:5349")}});
  INFO(banner);
  const size_t ice = banner.find("iceServers");
  REQUIRE(ice != std::string::npos);
  const std::string urls = banner.substr(0, ice);
  const std::string servers = banner.substr(ice);
  CHECK(urls.find("turn:192.0.2.1:3478?transport=tcp") != std::string::npos);
  CHECK(urls.find("turns:192.0.2.1:5349?transport=udp") != std::string::npos);
  CHECK(servers.find("\"turn:192.0.2.1:3478?transport=udp\"") !=
        std::string::npos);
  CHECK(servers.find("\"turn:192.0.2.1:3478?transport=tcp\"") !=
        std::string::npos);
  CHECK(servers.find("5349") == std::string::npos);
}

}  // namespace
}  // namespace turnpike::cli
