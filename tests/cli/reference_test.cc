// docs/configuration.md and --help are rendered from the option table; the
// committed reference must match what the table renders today.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "cli/config_reference.h"
#include "cli/help_text.h"
#include "cli/option_table.h"

namespace turnpike::cli {
namespace {

TEST_CASE("docs/configuration.md matches the option table") {
  const std::string path = TURNPIKE_SOURCE_DIR "/docs/configuration.md";
  std::ifstream file(path, std::ios::binary);
  REQUIRE_MESSAGE(file.good(), "cannot read " << path);
  std::ostringstream committed;
  committed << file.rdbuf();
  const bool same = committed.str() == RenderConfigReference();
  CHECK_MESSAGE(same,
                "docs/configuration.md is out of date with "
                "cli/option_table.cc; regenerate it from the source "
                "directory with\n  cmake --build build/asan-ubsan --target "
                "turnpike_config_reference && "
                "build/asan-ubsan/cli/turnpike_config_reference > "
                "docs/configuration.md");
}

TEST_CASE("help and reference name every option and its variable") {
  const std::string help = HelpText();
  const std::string reference = RenderConfigReference();
  for (const OptionSpec& spec : OptionTable()) {
    CAPTURE(spec.name);
    CHECK(help.find("--" + std::string(spec.name)) != std::string::npos);
    CHECK(reference.find("### " + std::string(spec.name) + "\n") !=
          std::string::npos);
    if ((spec.sources & kFromEnv) != 0) {
      CHECK(reference.find(EnvName(spec)) != std::string::npos);
    }
  }
}

TEST_CASE("option names are unique and their variables well formed") {
  CHECK(EnvName(*FindOption("udp-receive-buffer")) ==
        "TURNPIKE_UDP_RECEIVE_BUFFER");
  for (const OptionSpec& a : OptionTable()) {
    CHECK(FindOption(a.name) == &a);
    if (!a.short_alias.empty()) CHECK(FindShortOption(a.short_alias) == &a);
  }
}

}  // namespace
}  // namespace turnpike::cli
