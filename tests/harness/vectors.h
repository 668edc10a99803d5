// Loads the RFC 5769 / RFC 8489 test vectors from the directory CMake chose
// (TURNPIKE_TEST_VECTOR_DIR; see tests/data/vectors/README.md).
#ifndef TURNPIKE_TESTS_HARNESS_VECTORS_H_
#define TURNPIKE_TESTS_HARNESS_VECTORS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace turnpike::testing {

inline constexpr std::string_view kVector21 = "rfc5769-2.1-request.hex";
inline constexpr std::string_view kVector22 = "rfc5769-2.2-ipv4-response.hex";
inline constexpr std::string_view kVector23 = "rfc5769-2.3-ipv6-response.hex";
inline constexpr std::string_view kVector24 =
    "rfc5769-2.4-long-term-request.hex";
inline constexpr std::string_view kVectorB1 =
    "rfc8489-b1-sha256-userhash-request.hex";

// The directory the vectors are read from.
std::string VectorDir();

// The bytes of one vector file. A missing or malformed file aborts the test
// binary with a message naming the path: a vector test must never pass
// vacuously.
std::vector<uint8_t> LoadVector(std::string_view file_name);

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_HARNESS_VECTORS_H_
