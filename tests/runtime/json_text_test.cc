// DumpJson and Rfc3339Millis (runtime/json_text.h): how the event lines, the
// JSON log lines and the event queue's summaries write strings that came
// from the network, and their time stamps.
#include "runtime/json_text.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace turnpike::runtime {
namespace {

constexpr std::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD

std::string Dumped(std::string_view text) {
  return DumpJson(Json(std::string(text)));
}

std::string Quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

TEST_CASE("json string: plain text is quoted and otherwise unchanged") {
  CHECK(Dumped("") == R"("")");
  CHECK(Dumped("alice@example.org 1:2") == R"("alice@example.org 1:2")");
}

TEST_CASE("json string: quote and backslash are escaped") {
  CHECK(Dumped(R"(a"b\c)") == R"("a\"b\\c")");
}

TEST_CASE("json string: control characters never appear raw") {
  CHECK(Dumped("\n\r\t\b\f") == R"("\n\r\t\b\f")");
  CHECK(Dumped(std::string_view("a\0b", 3)) == R"("a\u0000b")");
  CHECK(Dumped("\x01\x1f") == R"("\u0001\u001f")");
  CHECK(Dumped("\x1b[31m") == R"("\u001b[31m")");  // a terminal escape
}

TEST_CASE("json string: well-formed UTF-8 passes through") {
  CHECK(Dumped("caf\xc3\xa9") == Quoted("caf\xc3\xa9"));               // U+00E9
  CHECK(Dumped("\xf0\x9f\x98\x80") == Quoted("\xf0\x9f\x98\x80"));     // U+1F600
  CHECK(Dumped("\xf4\x8f\xbf\xbf") == Quoted("\xf4\x8f\xbf\xbf"));     // U+10FFFF
}

TEST_CASE("json string: invalid UTF-8 becomes U+FFFD and never throws") {
  const std::string r(kReplacement);
  // A lone continuation byte and bytes that never occur in UTF-8.
  CHECK(Dumped("a\x80z") == Quoted("a" + r + "z"));
  CHECK(Dumped("\xff\xfe") == Quoted(r + r));
  // A sequence cut short, at the end and before ASCII.
  CHECK(Dumped("\xc3") == Quoted(r));
  CHECK(Dumped("\xc3"
               "A") == Quoted(r + "A"));
  // An overlong "/" (RFC 3629 §3) and a UTF-16 surrogate (U+D800).
  CHECK(Dumped("\xc0\xaf") == Quoted(r + r));
  CHECK(Dumped("\xed\xa0\x80") == Quoted(r + r + r));
  // Scanning resumes after the bad byte: the valid é survives.
  CHECK(Dumped("\xc3\xc3\xa9") == Quoted(r + "\xc3\xa9"));
}

TEST_CASE("json string: every dumped line parses back as JSON") {
  for (std::string_view hostile :
       {std::string_view("a\"b\\\n\x01\xff\xc3\xa9"),
        std::string_view("\xe2\x82"), std::string_view("\xf4\x90\x80\x80")}) {
    const std::string line = DumpJson(Json{{"username", std::string(hostile)}});
    CHECK(line.find('\n') == std::string::npos);
    CHECK(Json::accept(line));
  }
}

TEST_CASE("rfc 3339 stamp: UTC, milliseconds, truncated") {
  CHECK(Rfc3339Millis(absl::FromUnixMillis(1764689927123)) ==
        "2025-12-02T15:38:47.123Z");
  CHECK(Rfc3339Millis(absl::FromUnixMicros(1764689927000999)) ==
        "2025-12-02T15:38:47.000Z");
  CHECK(Rfc3339Millis(absl::UnixEpoch()) == "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace turnpike::runtime
