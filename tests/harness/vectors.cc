#include "tests/harness/vectors.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "tests/harness/hex.h"

#ifndef TURNPIKE_TEST_VECTOR_DIR
#error "CMake must define TURNPIKE_TEST_VECTOR_DIR"
#endif

namespace turnpike::testing {

std::string VectorDir() { return TURNPIKE_TEST_VECTOR_DIR; }

std::vector<uint8_t> LoadVector(std::string_view file_name) {
  const std::string path = VectorDir() + "/" + std::string(file_name);
  std::ifstream in(path);
  std::optional<std::vector<uint8_t>> bytes;
  if (in.is_open()) {
    std::stringstream text;
    text << in.rdbuf();
    bytes = ParseHex(text.str());
  }
  if (!bytes || bytes->empty()) {
    std::fprintf(stderr, "cannot read test vector %s\n", path.c_str());
    std::abort();
  }
  return *bytes;
}

}  // namespace turnpike::testing
