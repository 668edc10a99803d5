// Loading the operator's PEM files: what a mistake says, and reload keeping
// the old certificate when the new files are bad.
#include "runtime/transport/tls_context.h"

#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "tests/runtime/temp_files.h"
#include "tests/transport/test_certificate.h"

namespace turnpike::runtime {
namespace {

using testing::MakeSelfSigned;
using testing::TempDir;

std::string Write(const TempDir& dir, const std::string& name,
                  const std::string& text) {
  const std::string path = (dir.path() / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string MessageOf(const TlsFiles& files) {
  auto loaded = TlsContext::Load(files);
  REQUIRE_FALSE(loaded.ok());
  return std::string(loaded.status().message());
}

TEST_CASE("TlsContext loads a matching certificate and key") {
  TempDir dir;
  const auto cert = MakeSelfSigned("ok.test");
  auto loaded = TlsContext::Load({Write(dir, "c.pem", cert.certificate_pem),
                                  Write(dir, "k.pem", cert.key_pem)});
  REQUIRE(loaded.ok());
  CHECK((*loaded)->stream() != nullptr);
  CHECK((*loaded)->datagram() != nullptr);
}

TEST_CASE("a missing certificate file names the file and tls-cert") {
  TempDir dir;
  const auto cert = MakeSelfSigned("ok.test");
  const std::string missing = (dir.path() / "nope.pem").string();
  const std::string message =
      MessageOf({missing, Write(dir, "k.pem", cert.key_pem)});
  CHECK(message.find(missing) != std::string::npos);
  CHECK(message.find("tls-cert") != std::string::npos);
  CHECK(message.find("No such file") != std::string::npos);
}

TEST_CASE("a missing key file names the file and tls-key") {
  TempDir dir;
  const auto cert = MakeSelfSigned("ok.test");
  const std::string missing = (dir.path() / "nokey.pem").string();
  const std::string message =
      MessageOf({Write(dir, "c.pem", cert.certificate_pem), missing});
  CHECK(message.find(missing) != std::string::npos);
  CHECK(message.find("tls-key") != std::string::npos);
}

TEST_CASE("a certificate file without PEM says what it expected") {
  TempDir dir;
  const auto cert = MakeSelfSigned("ok.test");
  const std::string message =
      MessageOf({Write(dir, "c.pem", "not a certificate\n"),
                 Write(dir, "k.pem", cert.key_pem)});
  CHECK(message.find("tls-cert") != std::string::npos);
  CHECK(message.find("BEGIN CERTIFICATE") != std::string::npos);
  CHECK(message.find("c.pem") != std::string::npos);
}

TEST_CASE("a key file without a PEM key is refused") {
  TempDir dir;
  const auto cert = MakeSelfSigned("ok.test");
  const std::string message =
      MessageOf({Write(dir, "c.pem", cert.certificate_pem),
                 Write(dir, "k.pem", cert.certificate_pem)});
  CHECK(message.find("tls-key") != std::string::npos);
  CHECK(message.find("k.pem") != std::string::npos);
}

TEST_CASE("a key that does not match the certificate is refused") {
  TempDir dir;
  const auto one = MakeSelfSigned("one.test");
  const auto other = MakeSelfSigned("other.test");
  const std::string message =
      MessageOf({Write(dir, "c.pem", one.certificate_pem),
                 Write(dir, "k.pem", other.key_pem)});
  CHECK(message.find("does not match") != std::string::npos);
  CHECK(message.find("k.pem") != std::string::npos);
  CHECK(message.find("c.pem") != std::string::npos);
}

TEST_CASE("a failed reload keeps the old context") {
  TempDir dir;
  const auto cert = MakeSelfSigned("ok.test");
  const TlsFiles good{Write(dir, "c.pem", cert.certificate_pem),
                      Write(dir, "k.pem", cert.key_pem)};
  auto loaded = TlsContext::Load(good);
  REQUIRE(loaded.ok());
  TlsContextHolder holder(*loaded);
  const TlsContext* before = holder.current().get();
  CHECK_FALSE(holder.Reload({good.certificate_chain,
                             (dir.path() / "gone.pem").string()})
                  .ok());
  CHECK(holder.current().get() == before);
  REQUIRE(holder.Reload(good).ok());
  CHECK(holder.current().get() != before);
}

}  // namespace
}  // namespace turnpike::runtime
