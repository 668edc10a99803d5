// Writes turnpike(8) to the file named by its one argument (the build runs
// it; see cli/CMakeLists.txt), or to stdout without one.
#include <cstdio>
#include <string>

#include "cli/man_page.h"

int main(int argc, char** argv) {
  const std::string page =
      turnpike::cli::RenderManPage({TURNPIKE_VERSION, TURNPIKE_CONFIG_PATH});
  std::FILE* out = argc > 1 ? std::fopen(argv[1], "wb") : stdout;
  if (out == nullptr) {
    std::perror(argv[1]);
    return 1;
  }
  const bool written =
      std::fwrite(page.data(), 1, page.size(), out) == page.size();
  return (argc > 1 ? std::fclose(out) == 0 : std::fflush(out) == 0) && written
             ? 0
             : 1;
}
