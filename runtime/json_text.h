// The two pieces of JSON text the logger (log.cc) and the event writer
// (json_event_writer.cc) both produce: string literals and timestamps. Kept
// in one place so the two outputs escape and stamp identically.
#ifndef TURNPIKE_RUNTIME_JSON_TEXT_H_
#define TURNPIKE_RUNTIME_JSON_TEXT_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace turnpike::runtime {

// Appends `text` to `out` as a JSON string literal, quotes included
// (RFC 8259 §7). `"` and `\` are escaped; control characters U+0000..U+001F
// use \b \f \n \r \t or \u00XX, and DEL (0x7F) is written as \u007f so a
// terminal showing the line never receives a raw control byte. Well-formed
// UTF-8 (RFC 3629 §4: no overlong forms, no surrogates, nothing above
// U+10FFFF) passes through unchanged.
//
// `text` may hold any bytes (a USERNAME from the network): every byte that
// does not begin a well-formed UTF-8 sequence becomes \ufffd (U+FFFD
// REPLACEMENT CHARACTER), one per byte, and scanning resumes at the next
// byte. The output is therefore always valid JSON and valid UTF-8; the
// original bytes of an invalid name are not recoverable from it.
void AppendJsonString(std::string& out, std::string_view text);

// Appends `time` as RFC 3339 UTC with milliseconds, unquoted:
// "2026-12-02T15:38:47.123Z". Sub-millisecond digits are truncated.
void AppendRfc3339Millis(std::string& out, absl::Time time);

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_JSON_TEXT_H_
