// The admin endpoint's options (cli/admin_settings.h): off by default, the
// token from a flag or a file, and the refusal of an endpoint other hosts
// could reach without a token.
#include <doctest/doctest.h>

#include <string>

#include "tests/cli/fake_inputs.h"

namespace turnpike::cli {
namespace {

using testing::ErrorOf;
using testing::FakeFiles;
using testing::Load;

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("the admin endpoint and the UDP status are off by default") {
  absl::StatusOr<Settings> s = Load({});
  REQUIRE(s.ok());
  CHECK_FALSE(s->admin.listen.has_value());
  CHECK_FALSE(s->admin.status_udp.has_value());
  CHECK(s->admin.token.empty());
  CHECK_FALSE(s->admin.metrics_per_user);
  CHECK(s->admin.max_requests_per_ip == 2);
}

TEST_CASE("admin options load from flags and the token from its file") {
  absl::StatusOr<Settings> s =
      Load({"--admin-listen", "[::1]:9641", "--admin-token-file", "token",
            "--metrics-per-user", "--status-udp", "127.0.0.1:9642",
            "--admin-max-requests-per-ip", "unlimited"},
           {}, FakeFiles({{"token", "\n  s3cret \n"}}));
  REQUIRE_MESSAGE(s.ok(), s.status());
  REQUIRE(s->admin.listen.has_value());
  CHECK(s->admin.listen->ToString() == "[::1]:9641");
  CHECK(s->admin.token == "s3cret");
  CHECK(s->admin.metrics_per_user);
  CHECK(s->admin.status_udp->ToString() == "127.0.0.1:9642");
  CHECK(s->admin.max_requests_per_ip == 0);
}

TEST_CASE("an admin endpoint other hosts can reach needs a token") {
  const std::string error = ErrorOf(Load({"--admin-listen", "0.0.0.0:9641"}));
  CHECK(Contains(error, "admin-listen 0.0.0.0:9641"));
  CHECK(Contains(error, "set admin-token-file"));
  CHECK(Load({"--admin-listen", "0.0.0.0:9641", "--admin-token", "t"}).ok());
  CHECK(Load({"--admin-listen", "127.0.0.2:9641"}).ok());
  CHECK(Load({"--admin-listen", "[::ffff:127.0.0.1]:9641"}).ok());
  CHECK_FALSE(Load({"--admin-listen", "[::]:9641"}).ok());
}

TEST_CASE("an empty admin token file is refused") {
  const std::string error = ErrorOf(
      Load({"--admin-listen", "127.0.0.1:9641", "--admin-token-file", "token"},
           {}, FakeFiles({{"token", " \n"}})));
  CHECK(Contains(error, "token is empty"));
}

TEST_CASE("the UDP status listens on loopback only") {
  const std::string error = ErrorOf(Load({"--status-udp", "192.0.2.1:9642"}));
  CHECK(Contains(error, "status-udp 192.0.2.1:9642 is not a loopback address"));
  CHECK(Load({"--status-udp", "[::1]:9642"}).ok());
}

}  // namespace
}  // namespace turnpike::cli
