// The OpaqueString profile (RFC 8265 §4.2) as RFC 8489 §9.2.2 uses it, within
// the subset opaque_string.h documents.
#include "core/stun/opaque_string.h"

#include <doctest/doctest.h>

#include <string>

#include "tests/harness/printers.h"

namespace turnpike::stun {
namespace {

void ExpectPrepared(std::string_view input, std::string_view expected) {
  CAPTURE(input);
  auto out = PrepareOpaqueString(input);
  REQUIRE(out.ok());
  CHECK(*out == expected);
}

void ExpectRejected(std::string_view input, PrecisError error) {
  CAPTURE(input);
  auto out = PrepareOpaqueString(input);
  REQUIRE_FALSE(out.ok());
  CHECK(out.error() == error);
}

TEST_CASE("OpaqueString: ASCII passes unchanged") {
  ExpectPrepared("alice", "alice");
  ExpectPrepared("VOkJxbRl1RmTxUk/WvJxBt", "VOkJxbRl1RmTxUk/WvJxBt");
  ExpectPrepared(" spaces are kept ", " spaces are kept ");
  ExpectPrepared("~!@#$%^&*()_+{}|:<>?", "~!@#$%^&*()_+{}|:<>?");
  // Case is preserved: OpaqueString does no case mapping.
  ExpectPrepared("TheMatrIX", "TheMatrIX");
}

TEST_CASE("OpaqueString: non-ASCII text passes unchanged") {
  // U+30DE ... U+30B9 (RFC 5769 §2.4's username), U+00E9, U+1F600.
  ExpectPrepared(
      "\xE3\x83\x9E\xE3\x83\x88\xE3\x83\xAA\xE3\x83\x83\xE3\x82\xAF\xE3\x82"
      "\xB9",
      "\xE3\x83\x9E\xE3\x83\x88\xE3\x83\xAA\xE3\x83\x83\xE3\x82\xAF\xE3\x82"
      "\xB9");
  ExpectPrepared("caf\xC3\xA9", "caf\xC3\xA9");
  ExpectPrepared("\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80");
  // The largest code point, U+10FFFD (a private-use character, allowed).
  ExpectPrepared("\xF4\x8F\xBF\xBD", "\xF4\x8F\xBF\xBD");
}

TEST_CASE("OpaqueString: non-ASCII spaces map to U+0020") {
  // RFC 8265 §4.2.1 additional mapping rule.
  ExpectPrepared(
      "a\xC2\xA0"
      "b",
      "a b");  // U+00A0 NO-BREAK SPACE
  ExpectPrepared(
      "a\xE3\x80\x80"
      "b",
      "a b");                             // U+3000 IDEOGRAPHIC SPACE
  ExpectPrepared("\xE2\x80\x83", " ");    // U+2003 EM SPACE
  ExpectPrepared("x\xE2\x80\xAF", "x ");  // U+202F
  // U+200B ZERO WIDTH SPACE is not a space separator (it is Cf).
  ExpectPrepared(
      "a\xE2\x80\x8B"
      "b",
      "a\xE2\x80\x8B"
      "b");
}

TEST_CASE("OpaqueString: empty is rejected") {
  ExpectRejected("", PrecisError::kEmpty);
}

TEST_CASE("OpaqueString: control characters are rejected") {
  ExpectRejected(std::string_view("a\0b", 3),
                 PrecisError::kDisallowedCodePoint);
  ExpectRejected("tab\there", PrecisError::kDisallowedCodePoint);
  ExpectRejected("line\n", PrecisError::kDisallowedCodePoint);
  ExpectRejected("\x7F", PrecisError::kDisallowedCodePoint);
  ExpectRejected("\xC2\x80", PrecisError::kDisallowedCodePoint);      // U+0080
  ExpectRejected("\xC2\x9F", PrecisError::kDisallowedCodePoint);      // U+009F
  ExpectRejected("\xEF\xB7\x90", PrecisError::kDisallowedCodePoint);  // U+FDD0
  ExpectRejected("\xEF\xBF\xBF", PrecisError::kDisallowedCodePoint);  // U+FFFF
  ExpectRejected("\xF4\x8F\xBF\xBF",
                 PrecisError::kDisallowedCodePoint);  // U+10FFFF
}

TEST_CASE("OpaqueString: invalid UTF-8 is rejected") {
  SUBCASE("overlong encodings") {
    ExpectRejected("\xC0\xAF", PrecisError::kInvalidUtf8);  // '/'
    ExpectRejected("\xC1\xBF", PrecisError::kInvalidUtf8);
    ExpectRejected("\xE0\x80\xAF", PrecisError::kInvalidUtf8);
    ExpectRejected("\xF0\x80\x80\xAF", PrecisError::kInvalidUtf8);
  }
  SUBCASE("surrogates") {
    ExpectRejected("\xED\xA0\x80", PrecisError::kInvalidUtf8);  // U+D800
    ExpectRejected("\xED\xBF\xBF", PrecisError::kInvalidUtf8);  // U+DFFF
  }
  SUBCASE("truncated sequences") {
    ExpectRejected("\xC3", PrecisError::kInvalidUtf8);
    ExpectRejected("abc\xE3\x83", PrecisError::kInvalidUtf8);
    ExpectRejected("\xF0\x9F\x98", PrecisError::kInvalidUtf8);
    // A lead byte followed by a non-continuation byte.
    ExpectRejected("\xE3\x41\x41", PrecisError::kInvalidUtf8);
  }
  SUBCASE("beyond U+10FFFF") {
    ExpectRejected("\xF4\x90\x80\x80", PrecisError::kInvalidUtf8);  // 0x110000
    ExpectRejected("\xF7\xBF\xBF\xBF", PrecisError::kInvalidUtf8);
    ExpectRejected("\xF8\x88\x80\x80\x80", PrecisError::kInvalidUtf8);
  }
  SUBCASE("stray continuation and invalid bytes") {
    ExpectRejected("\x80", PrecisError::kInvalidUtf8);
    ExpectRejected("a\xBF", PrecisError::kInvalidUtf8);
    ExpectRejected("\xFE", PrecisError::kInvalidUtf8);
    ExpectRejected("\xFF", PrecisError::kInvalidUtf8);
  }
}

}  // namespace
}  // namespace turnpike::stun
