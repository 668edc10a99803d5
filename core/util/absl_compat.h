// Debian 12's Abseil (20220623) is built with ABSL_OPTION_USE_STD_STRING_VIEW
// = 0 (and likewise for optional/variant/any), so absl::string_view is its own
// type, not std::string_view. turnpike's APIs use the std types; this is the
// one bridge to Abseil's string functions.
#ifndef TURNPIKE_CORE_UTIL_ABSL_COMPAT_H_
#define TURNPIKE_CORE_UTIL_ABSL_COMPAT_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace turnpike {

inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view FromAbsl(absl::string_view s) {
  return std::string_view(s.data(), s.size());
}

}  // namespace turnpike

#endif  // TURNPIKE_CORE_UTIL_ABSL_COMPAT_H_
