// Prints docs/configuration.md: the tests compare the committed file with
// this output, and this is how to regenerate it.
#include <cstdio>

#include "cli/config_reference.h"

int main() {
  const std::string text = turnpike::cli::RenderConfigReference();
  return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() ? 0
                                                                         : 1;
}
