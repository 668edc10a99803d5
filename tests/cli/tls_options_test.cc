// tls-cert, tls-key, tls-handshake-timeout and max-dtls-handshakes: the
// certificate loads through the configuration's file reader (so
// --check-config and SIGHUP check it), a tls:// or dtls:// listener needs
// one, and with one but no listen option the defaults add tls:// and
// dtls:// on 5349.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "tests/cli/fake_inputs.h"
#include "tests/transport/test_certificate.h"

namespace turnpike::cli {
namespace {

using testing::ErrorOf;
using testing::FakeFiles;
using testing::Load;

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

FileReader CertificateFiles() {
  const ::turnpike::testing::TestCertificate cert =
      ::turnpike::testing::MakeSelfSigned("cli.test");
  const ::turnpike::testing::TestCertificate other =
      ::turnpike::testing::MakeSelfSigned("other.test");
  return FakeFiles({{"c.pem", cert.certificate_pem},
                    {"k.pem", cert.key_pem},
                    {"other-key.pem", other.key_pem},
                    {"garbage.pem", "not PEM at all\n"}});
}

TEST_CASE("a certificate makes the defaults listen tls and dtls on 5349") {
  absl::StatusOr<Settings> s =
      Load({"--tls-cert", "c.pem", "--tls-key", "k.pem"}, {},
           CertificateFiles());
  REQUIRE(s.ok());
  CHECK(s->tls_context != nullptr);
  int tls = 0;
  int dtls = 0;
  for (const runtime::ListenerSpec& spec : s->worker.listeners) {
    if (spec.transport == core::Transport::kTls) ++tls;
    if (spec.transport == core::Transport::kDtls) ++dtls;
    if (spec.transport == core::Transport::kTls ||
        spec.transport == core::Transport::kDtls) {
      CHECK(spec.address.port == 5349);
    }
  }
  CHECK(tls == 2);  // IPv4 and IPv6, as the UDP defaults
  CHECK(dtls == 2);
  // Given listen addresses replace the defaults, secure ones included.
  absl::StatusOr<Settings> given =
      Load({"--tls-cert", "c.pem", "--tls-key", "k.pem", "--listen",
            "127.0.0.1:3478"},
           {}, CertificateFiles());
  REQUIRE(given.ok());
  CHECK(given->worker.listeners.size() == 1);
}

TEST_CASE("without a certificate there is no TLS and tls listeners are refused") {
  absl::StatusOr<Settings> plain = Load({});
  REQUIRE(plain.ok());
  CHECK(plain->tls_context == nullptr);
  for (const runtime::ListenerSpec& spec : plain->worker.listeners) {
    CHECK(spec.transport != core::Transport::kTls);
    CHECK(spec.transport != core::Transport::kDtls);
  }
  for (const char* scheme : {"tls", "dtls"}) {
    const std::string listen = std::string(scheme) + "://127.0.0.1:5349";
    const std::string error = ErrorOf(Load({"--listen", listen}));
    CAPTURE(error);
    CHECK(Contains(error, listen));
    CHECK(Contains(error, "set tls-cert and tls-key"));
  }
}

TEST_CASE("certificate mistakes name the option, the file and the fix") {
  const FileReader files = CertificateFiles();
  const std::string missing =
      ErrorOf(Load({"--tls-cert", "nope.pem", "--tls-key", "k.pem"}, {}, files));
  CHECK(Contains(missing, "tls-cert"));
  CHECK(Contains(missing, "nope.pem"));
  const std::string garbage = ErrorOf(
      Load({"--tls-cert", "garbage.pem", "--tls-key", "k.pem"}, {}, files));
  CHECK(Contains(garbage, "garbage.pem"));
  CHECK(Contains(garbage, "BEGIN CERTIFICATE"));
  const std::string mismatch = ErrorOf(
      Load({"--tls-cert", "c.pem", "--tls-key", "other-key.pem"}, {}, files));
  CHECK(Contains(mismatch, "does not match"));
  CHECK(Contains(ErrorOf(Load({"--tls-cert", "c.pem"}, {}, files)),
                 "set tls-key"));
  CHECK(Contains(ErrorOf(Load({"--tls-key", "k.pem"}, {}, files)),
                 "set tls-cert"));
}

TEST_CASE("tls-handshake-timeout and max-dtls-handshakes") {
  absl::StatusOr<Settings> defaults = Load({});
  REQUIRE(defaults.ok());
  CHECK(defaults->worker.transport.handshake_timeout ==
        std::chrono::seconds(10));
  CHECK(defaults->worker.transport.max_dtls_handshakes == 1024);
  absl::StatusOr<Settings> s =
      Load({"--tls-handshake-timeout", "3", "--max-dtls-handshakes", "7"});
  REQUIRE(s.ok());
  CHECK(s->worker.transport.handshake_timeout == std::chrono::seconds(3));
  CHECK(s->worker.transport.max_dtls_handshakes == 7);
  CHECK_FALSE(Load({"--tls-handshake-timeout", "0"}).ok());
  CHECK_FALSE(Load({"--tls-handshake-timeout", "61"}).ok());
  CHECK(Contains(ErrorOf(Load({"--max-dtls-handshakes", "0"})),
                 "give at least 1"));
}

}  // namespace
}  // namespace turnpike::cli
