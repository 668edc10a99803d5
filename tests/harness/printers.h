// Readable doctest output for the codec's result enums: a failed CHECK says
// "kBadFingerprint", not "8". Declared in the enums' own namespaces so that
// argument-dependent lookup finds them.
#ifndef TURNPIKE_TESTS_HARNESS_PRINTERS_H_
#define TURNPIKE_TESTS_HARNESS_PRINTERS_H_

#include <doctest/doctest.h>

#include <optional>
#include <ostream>
#include <sstream>

#include "core/net/transport_address.h"
#include "core/stun/channel_data.h"
#include "core/stun/integrity.h"
#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"
#include "core/stun/opaque_string.h"
#include "core/stun/stream_framer.h"

namespace turnpike {

inline std::ostream& operator<<(std::ostream& os, const IpAddress& a) {
  return os << a.ToString();
}
inline std::ostream& operator<<(std::ostream& os, const TransportAddress& a) {
  return os << a.ToString();
}

namespace stun {

inline std::ostream& operator<<(std::ostream& os, ParseError e) {
  return os << ParseErrorName(e);
}
inline std::ostream& operator<<(std::ostream& os, ChannelDataError e) {
  return os << ChannelDataErrorName(e);
}
inline std::ostream& operator<<(std::ostream& os, FramingError e) {
  return os << FramingErrorName(e);
}
inline std::ostream& operator<<(std::ostream& os, FrameKind k) {
  return os << (k == FrameKind::kStun ? "STUN" : "ChannelData");
}
inline std::ostream& operator<<(std::ostream& os, BuildError e) {
  switch (e) {
    case BuildError::kBufferTooSmall:
      return os << "kBufferTooSmall";
    case BuildError::kValueTooLong:
      return os << "kValueTooLong";
    case BuildError::kAfterIntegrity:
      return os << "kAfterIntegrity";
    case BuildError::kAfterFingerprint:
      return os << "kAfterFingerprint";
  }
  return os << "BuildError(?)";
}
inline std::ostream& operator<<(std::ostream& os, IntegrityResult r) {
  switch (r) {
    case IntegrityResult::kAbsent:
      return os << "kAbsent";
    case IntegrityResult::kOk:
      return os << "kOk";
    case IntegrityResult::kBad:
      return os << "kBad";
  }
  return os << "IntegrityResult(?)";
}
inline std::ostream& operator<<(std::ostream& os, PrecisError e) {
  switch (e) {
    case PrecisError::kEmpty:
      return os << "kEmpty";
    case PrecisError::kInvalidUtf8:
      return os << "kInvalidUtf8";
    case PrecisError::kDisallowedCodePoint:
      return os << "kDisallowedCodePoint";
  }
  return os << "PrecisError(?)";
}
inline std::ostream& operator<<(std::ostream& os, MessageClass c) {
  switch (c) {
    case MessageClass::kRequest:
      return os << "request";
    case MessageClass::kIndication:
      return os << "indication";
    case MessageClass::kSuccessResponse:
      return os << "success response";
    case MessageClass::kErrorResponse:
      return os << "error response";
  }
  return os << "MessageClass(?)";
}

// doctest prints enums as numbers unless an overload of toString() is found
// by argument-dependent lookup; route them through operator<< above.
#define TURNPIKE_DOCTEST_ENUM_PRINTER(Enum)     \
  inline doctest::String toString(Enum value) { \
    std::ostringstream os;                      \
    os << value;                                \
    return os.str().c_str();                    \
  }
TURNPIKE_DOCTEST_ENUM_PRINTER(ParseError)
TURNPIKE_DOCTEST_ENUM_PRINTER(ChannelDataError)
TURNPIKE_DOCTEST_ENUM_PRINTER(FramingError)
TURNPIKE_DOCTEST_ENUM_PRINTER(FrameKind)
TURNPIKE_DOCTEST_ENUM_PRINTER(BuildError)
TURNPIKE_DOCTEST_ENUM_PRINTER(IntegrityResult)
TURNPIKE_DOCTEST_ENUM_PRINTER(PrecisError)
TURNPIKE_DOCTEST_ENUM_PRINTER(MessageClass)
#undef TURNPIKE_DOCTEST_ENUM_PRINTER

}  // namespace stun
}  // namespace turnpike

// doctest has no printer for std::optional; print the value or "nullopt".
namespace doctest {
template <typename T>
struct StringMaker<std::optional<T>> {
  static String convert(const std::optional<T>& value) {
    if (!value) return "nullopt";
    return StringMaker<T>::convert(*value);
  }
};
}  // namespace doctest

#endif  // TURNPIKE_TESTS_HARNESS_PRINTERS_H_
