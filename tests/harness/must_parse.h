// MustParse for doctest cases: parse or fail the test, with the bytes kept
// alive. MessageView borrows its bytes, so a view of a temporary (the usual
// shape of a test: MustParse(RawStun()...Build())) would dangle; the bytes are
// moved into an arena that lives as long as the test binary.
#ifndef TURNPIKE_TESTS_HARNESS_MUST_PARSE_H_
#define TURNPIKE_TESTS_HARNESS_MUST_PARSE_H_

#include <doctest/doctest.h>

#include <cstdint>
#include <deque>
#include <vector>

#include "core/stun/message_view.h"
#include "tests/harness/printers.h"

namespace turnpike::testing {

// Keeps `bytes` alive until the process exits and returns a view of them.
inline absl::Span<const uint8_t> KeepAlive(std::vector<uint8_t> bytes) {
  static std::deque<std::vector<uint8_t>>* arena =
      new std::deque<std::vector<uint8_t>>();
  arena->push_back(std::move(bytes));
  return arena->back();
}

inline stun::MessageView MustParse(std::vector<uint8_t> bytes) {
  auto parsed = stun::MessageView::Parse(KeepAlive(std::move(bytes)));
  if (!parsed.ok()) FAIL("does not parse: " << parsed.error().error);
  return *parsed;
}

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_HARNESS_MUST_PARSE_H_
