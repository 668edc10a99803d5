// Hex text <-> bytes for test vectors and failure messages.
#ifndef TURNPIKE_TESTS_HARNESS_HEX_H_
#define TURNPIKE_TESTS_HARNESS_HEX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"

namespace turnpike::testing {

// Pairs of hex digits; whitespace between (not inside) pairs is ignored.
// nullopt on any other character or an odd digit count.
std::optional<std::vector<uint8_t>> ParseHex(std::string_view text);

// Like ParseHex, for literals in tests: aborts on malformed text.
std::vector<uint8_t> Hex(std::string_view text);

// Lowercase pairs separated by spaces ("00 01 ff").
std::string ToHex(absl::Span<const uint8_t> bytes);

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_HARNESS_HEX_H_
