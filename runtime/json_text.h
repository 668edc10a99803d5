// JSON text for the three JSON outputs (lifecycle events, JSON log lines,
// the event queue's summaries): one library, nlohmann-json (Debian's
// nlohmann-json3-dev), does the escaping, and this file fixes how its
// output is dumped and how times are stamped, so the outputs agree.
#ifndef TURNPIKE_RUNTIME_JSON_TEXT_H_
#define TURNPIKE_RUNTIME_JSON_TEXT_H_

#include <string>

#include <nlohmann/json.hpp>

#include "absl/time/time.h"

namespace turnpike::runtime {

// Objects keep their keys in insertion order: a line reads "ts", "event",
// then the rest, the same every time.
using Json = nlohmann::ordered_json;

// `value` as one line of JSON text (RFC 8259), no spaces. Strings may hold
// any bytes (a USERNAME from the network): every invalid UTF-8 sequence
// becomes U+FFFD, so the line is always valid JSON and valid UTF-8 and
// never throws; control characters are escaped (\n, \u0001), so a line
// never breaks in two.
std::string DumpJson(const Json& value);

// `time` as RFC 3339 UTC with milliseconds: "2026-12-02T15:38:47.123Z".
// Sub-millisecond digits are truncated.
std::string Rfc3339Millis(absl::Time time);

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_JSON_TEXT_H_
