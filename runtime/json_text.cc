#include "runtime/json_text.h"

namespace turnpike::runtime {

std::string DumpJson(const Json& value) {
  // indent -1: one line. ensure_ascii false: valid UTF-8 (a name in any
  // script) stays readable. replace: invalid UTF-8 becomes U+FFFD instead
  // of an exception.
  return value.dump(-1, ' ', /*ensure_ascii=*/false,
                    Json::error_handler_t::replace);
}

std::string Rfc3339Millis(absl::Time time) {
  // %E3S is seconds with exactly three fractional digits (truncated).
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

}  // namespace turnpike::runtime
