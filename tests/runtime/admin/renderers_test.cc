// The admin endpoint's renderers: Prometheus text, the JSON status, the
// HTML status page and the UDP status text, over hand-made snapshots.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "runtime/admin/metrics_text.h"
#include "runtime/admin/status_json.h"
#include "runtime/admin/status_page.h"
#include "runtime/admin/status_text.h"
#include "tests/runtime/admin/snapshots.h"

namespace turnpike::runtime::admin::testing {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST_CASE("metrics text sums the workers and labels each worker's loop lag") {
  const Snapshots two = {Worker(0, 3), Worker(1, 2)};
  const std::string text = RenderMetrics(two, {});
  CHECK(Has(text, "\nturnpike_workers 2\n"));
  CHECK(Has(text, "\nturnpike_allocations{transport=\"udp\"} 5\n"));
  CHECK(Has(text, "\nturnpike_permissions 10\n"));
  CHECK(Has(text, "\nturnpike_allocations_created_total 7\n"));
  CHECK(Has(text,
            "\nturnpike_allocations_deleted_total{reason=\"expired\"} 2\n"));
  CHECK(Has(text, "\nturnpike_auth_verdicts_total{outcome=\"accepted\"} 14\n"));
  CHECK(Has(text, "\nturnpike_requests_total{method=\"Allocate\"} 8\n"));
  CHECK(Has(text, "\nturnpike_error_responses_total{code=\"401\"} 4\n"));
  // Deleted allocations' packets plus the live ones', over both workers.
  CHECK(Has(text,
            "\nturnpike_relayed_packets_total{direction=\"to_peer\"} 30\n"));
  CHECK(Has(text, "\nturnpike_connections{transport=\"tcp\"} 2\n"));
  CHECK(Has(text, "\nturnpike_loop_lag_seconds{worker=\"0\"} 0.002\n"));
  CHECK(Has(text, "\nturnpike_loop_lag_seconds{worker=\"1\"} 0.002\n"));
  CHECK(Has(text, "# TYPE turnpike_drops_total counter\n"));
  // Every family has its HELP and TYPE once.
  CHECK(text.find("# TYPE turnpike_allocations gauge") ==
        text.rfind("# TYPE turnpike_allocations gauge"));
}

TEST_CASE("per-user metrics appear only when asked for and escape the label") {
  const std::string hostile = "eve\"} 1\nfake_metric{a=\"\\";
  const Snapshots one = {Worker(0, 1, {hostile})};
  CHECK_FALSE(Has(RenderMetrics(one, {}), "turnpike_user_allocations"));
  const std::string text = RenderMetrics(one, {.per_user = true});
  CHECK(Has(text,
            "\nturnpike_user_allocations{user=\"eve\\\"} 1\\nfake_metric{a="
            "\\\"\\\\\"} 1\n"));
  CHECK_FALSE(Has(text, "\nfake_metric"));
}

TEST_CASE("the JSON status carries a hostile username verbatim") {
  const std::string hostile = "<b>\"quoted\"\\\n\x01";
  const Snapshots one = {Worker(0, 1, {hostile, "\xff\xfe not utf-8"})};
  const std::string text = RenderStatusJson(one, kProcess, kNow);
  const nlohmann::json doc = nlohmann::json::parse(text);
  CHECK(doc["version"] == "9.9.9");
  CHECK(doc["uptime_seconds"] == 1000);
  CHECK(doc["allocations"]["live"] == 1);
  CHECK(doc["allocations"]["deleted"]["expired"] == 1);
  REQUIRE(doc["allocation_list"].size() == 2);
  CHECK(doc["allocation_list"][0]["username"] == hostile);
  CHECK(doc["allocation_list"][0]["relayed"][0] == "203.0.113.5:50000");
  CHECK(doc["allocation_list"][0]["lifetime_left_seconds"] == 590);
  // Invalid UTF-8 from a client is replaced, not thrown on.
  CHECK(doc["allocation_list"][1]["username"] ==
        "\xEF\xBF\xBD\xEF\xBF\xBD not utf-8");
  CHECK(doc["workers"][0]["loop_lag_seconds"] == doctest::Approx(0.002));
}

TEST_CASE("the turn page escapes a hostile username") {
  const std::string hostile = "<script>alert('x')</script>&\"";
  const Snapshots one = {Worker(0, 1, {hostile})};
  const std::string page = RenderTurnPage(one, std::nullopt);
  CHECK(
      Has(page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"));
  CHECK_FALSE(Has(page, "<script>"));
  CHECK_FALSE(Has(page, "http-equiv=\"refresh\""));
  CHECK(Has(page, "<p id=\"count\">1 live, 1 listed</p>"));
  CHECK(Has(page, "203.0.113.5:50000"));
}

TEST_CASE("the refresh period comes from r and is clamped") {
  CHECK(RefreshFromQuery("r=2") == 2);
  CHECK(RefreshFromQuery("x=1&r=5") == 5);
  CHECK(RefreshFromQuery("r=0") == kMinRefresh);
  CHECK(RefreshFromQuery("r=-3") == kMinRefresh);
  CHECK(RefreshFromQuery("r=999999999999") == kMaxRefresh);
  CHECK(RefreshFromQuery("r=abc") == std::nullopt);
  CHECK(RefreshFromQuery("") == std::nullopt);
  const Snapshots one = {Worker(0, 0)};
  const std::string page = RenderTurnPage(one, RefreshFromQuery("r=7"));
  CHECK(Has(page, "<meta http-equiv=\"refresh\" content=\"7\">"));
  CHECK(Has(page, "href=\"/?r=7\""));
  const std::string index = RenderIndexPage(one, kProcess, kNow, 7);
  CHECK(Has(index, "href=\"/turn?r=7\""));
  CHECK(Has(index, "<h1>turnpike 9.9.9</h1>"));
}

TEST_CASE("the UDP status text is bounded and terminal-safe") {
  std::vector<std::string> names;
  for (int i = 0; i < 100; ++i)
    names.push_back("user\x1b[2J" + std::to_string(i));
  const Snapshots one = {Worker(0, 100, names)};
  const std::string turn =
      RenderStatusText("turn\n", one, kProcess, kNow, {}, 400);
  CHECK(turn.size() <= 400);
  CHECK(turn.starts_with("100 allocations\n"));
  CHECK(turn.ends_with("... (truncated)\n"));
  CHECK(Has(turn, "user=user?[2J0 "));
  CHECK_FALSE(Has(turn, "\x1b"));
  const std::string status =
      RenderStatusText(" status ", one, kProcess, kNow, {}, 8192);
  CHECK(status.starts_with("turnpike 9.9.9, up 1000 s, 1 workers\n"));
  CHECK(Has(status, "\nallocations 100 (udp 100,"));
  CHECK(RenderStatusText("bogus", one, kProcess, kNow, {}, 8192)
            .starts_with("unknown keyword"));
}

}  // namespace
}  // namespace turnpike::runtime::admin::testing
