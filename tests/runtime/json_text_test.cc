// AppendJsonString and AppendRfc3339Millis (runtime/json_text.h): the escaping
// both the logger and the event writer rely on.
#include "runtime/json_text.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace turnpike::runtime {
namespace {

std::string Json(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

TEST_CASE("json string: plain text is quoted and otherwise unchanged") {
  CHECK(Json("") == R"("")");
  CHECK(Json("alice@example.org 1:2") == R"("alice@example.org 1:2")");
}

TEST_CASE("json string: quote and backslash are escaped") {
  CHECK(Json(R"(a"b\c)") == R"("a\"b\\c")");
  CHECK(Json(R"(\")") == R"("\\\"")");
}

TEST_CASE("json string: control characters never appear raw") {
  CHECK(Json("\n\r\t\b\f") == R"("\n\r\t\b\f")");
  CHECK(Json(std::string_view("a\0b", 3)) == R"("a\u0000b")");
  CHECK(Json("\x01\x1f") == R"("\u0001\u001f")");
  CHECK(Json("\x1b[31m") == R"("\u001b[31m")");  // a terminal escape
  CHECK(Json("\x7f") == R"("\u007f")");
  CHECK(Json(" ~") == R"(" ~")");  // the printable ASCII edges pass
}

TEST_CASE("json string: well-formed UTF-8 passes through") {
  CHECK(Json("caf\xc3\xa9") == "\"caf\xc3\xa9\"");            // U+00E9
  CHECK(Json("\xe2\x82\xac") == "\"\xe2\x82\xac\"");          // U+20AC
  CHECK(Json("\xed\x9f\xbf") == "\"\xed\x9f\xbf\"");          // U+D7FF
  CHECK(Json("\xf0\x9f\x98\x80") == "\"\xf0\x9f\x98\x80\"");  // U+1F600
  CHECK(Json("\xf4\x8f\xbf\xbf") == "\"\xf4\x8f\xbf\xbf\"");  // U+10FFFF
}

TEST_CASE("json string: each byte of invalid UTF-8 becomes \\ufffd") {
  // A lone continuation byte and bytes that never occur in UTF-8.
  CHECK(Json("a\x80z") == R"("a\ufffdz")");
  CHECK(Json("\xff\xfe") == R"("\ufffd\ufffd")");
  // A sequence cut short, at the end and before ASCII.
  CHECK(Json("\xc3") == R"("\ufffd")");
  CHECK(Json("\xc3"
             "A") == R"("\ufffdA")");
  CHECK(Json("\xe2\x82") == R"("\ufffd\ufffd")");
  // Overlong forms (RFC 3629 §3 forbids them): "/" as C0 AF, NUL as E0 80 80.
  CHECK(Json("\xc0\xaf") == R"("\ufffd\ufffd")");
  CHECK(Json("\xe0\x80\x80") == R"("\ufffd\ufffd\ufffd")");
  CHECK(Json("\xf0\x8f\xbf\xbf") == R"("\ufffd\ufffd\ufffd\ufffd")");
  // A UTF-16 surrogate (U+D800) and a code point above U+10FFFF.
  CHECK(Json("\xed\xa0\x80") == R"("\ufffd\ufffd\ufffd")");
  CHECK(Json("\xf4\x90\x80\x80") == R"("\ufffd\ufffd\ufffd\ufffd")");
  // Scanning resumes right after the bad byte: the valid é survives.
  CHECK(Json("\xc3\xc3\xa9") == "\"\\ufffd\xc3\xa9\"");
}

TEST_CASE("rfc 3339 stamp: UTC, milliseconds, truncated") {
  std::string out;
  AppendRfc3339Millis(out, absl::FromUnixMillis(1764689927123));
  CHECK(out == "2025-12-02T15:38:47.123Z");
  out.clear();
  AppendRfc3339Millis(out, absl::FromUnixMicros(1764689927000999));
  CHECK(out == "2025-12-02T15:38:47.000Z");
  out.clear();
  AppendRfc3339Millis(out, absl::UnixEpoch());
  CHECK(out == "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace turnpike::runtime
