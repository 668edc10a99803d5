// --nat-discovery (RFC 5780) needs two IPs, each listening on the same two
// ports: the configuration check refuses it without them and says which
// listen addresses to give (issue 13 item 8).
#include <doctest/doctest.h>

#include <string>

#include "tests/cli/fake_inputs.h"

namespace turnpike::cli {
namespace {

using testing::ErrorOf;
using testing::Load;

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("nat-discovery with the default wildcard listeners is refused") {
  const std::string error = ErrorOf(Load({"--nat-discovery"}));
  CHECK(Contains(error, "nat-discovery (true, from --nat-discovery)"));
  CHECK(Contains(error, "0.0.0.0:3478 is a wildcard"));
  CHECK(Contains(error, "--listen 192.0.2.1:3479"));
}

TEST_CASE("nat-discovery without a second address is refused") {
  const std::string error =
      ErrorOf(Load({"--nat-discovery", "--listen", "127.0.0.1:3478", "--listen",
                    "127.0.0.1:3479"}));
  CHECK(
      Contains(error, "listener 127.0.0.1:3478 has no partner on a second IP"));
  CHECK(Contains(error, "--listen 192.0.2.2:3478"));
}

TEST_CASE("nat-discovery without a second port, or on port 0, is refused") {
  CHECK(Contains(ErrorOf(Load({"--nat-discovery", "--listen", "127.0.0.1:3478",
                               "--listen", "127.0.0.2:3478"})),
                 "has no partner on a second port"));
  CHECK(Contains(ErrorOf(Load({"--nat-discovery", "--listen", "127.0.0.1:0",
                               "--listen", "127.0.0.2:0"})),
                 "127.0.0.1:0 has no fixed port"));
}

TEST_CASE("nat-discovery with two IPs on the same two ports is accepted") {
  auto settings = Load({"--nat-discovery", "--listen", "127.0.0.1:3478",
                        "--listen", "127.0.0.1:3479", "--listen",
                        "127.0.0.2:3478", "--listen", "127.0.0.2:3479"});
  REQUIRE(settings.ok());
  CHECK(settings->worker.server.nat_discovery);
  CHECK(settings->worker.listeners.size() == 4);
  // Off, the same listeners need nothing more.
  CHECK(Load({"--listen", "127.0.0.1:3478"}).ok());
}

}  // namespace
}  // namespace turnpike::cli
