// turnpike(8) is rendered from the option table (cli/man_page.cc): every
// option must be in it, and text from the table must never turn into roff
// requests. tests/cli/man_page_render.sh checks that groff and man render
// the generated file without a warning.
#include "cli/man_page.h"

#include <doctest/doctest.h>

#include <set>
#include <sstream>
#include <string>

#include "cli/option_table.h"

namespace turnpike::cli {
namespace {

const ManPageInfo kInfo{"9.9.9", "/etc/turnpike/turnpike.conf"};

TEST_CASE("the man page lists every option and its variable") {
  const std::string page = RenderManPage(kInfo);
  for (const OptionSpec& spec : OptionTable()) {
    CAPTURE(spec.name);
    CHECK(page.find("\\fB" + RoffEscape("--" + std::string(spec.name)) +
                    "\\fR") != std::string::npos);
    if ((spec.sources & kFromEnv) != 0) {
      CHECK(page.find("\\fB" + EnvName(spec) + "\\fR") != std::string::npos);
    }
  }
  CHECK(page.find("turnpike 9.9.9") != std::string::npos);
  CHECK(page.find(RoffEscape("/etc/turnpike/turnpike.conf")) !=
        std::string::npos);
}

TEST_CASE("every line of the man page is text or a man macro") {
  // A line that starts with '.' or '\'' is a request: only the man(7)
  // macros the renderer writes may appear, so no help text can become one.
  const std::set<std::string> macros = {"\\\"", "TH", "SH", "TP", "PP",
                                        "B",    "BR", "I",  "br"};
  std::istringstream lines(RenderManPage(kInfo));
  std::string line;
  int requests = 0;
  while (std::getline(lines, line)) {
    CAPTURE(line);
    CHECK(line.find('\t') == std::string::npos);
    for (const char c : line) CHECK(static_cast<unsigned char>(c) < 0x80);
    if (line.empty() || (line[0] != '.' && line[0] != '\'')) continue;
    ++requests;
    const std::string name = line.substr(1, line.find(' ') - 1);
    CHECK(macros.count(name) == 1);
  }
  CHECK(requests > 0);
}

TEST_CASE("roff escaping keeps text as text") {
  CHECK(RoffEscape("a.b") == "a.b");
  CHECK(RoffEscape(".TH x") == "\\&.TH x");
  CHECK(RoffEscape("'br") == "\\&\\(aqbr");
  CHECK(RoffEscape("x\n.SH y") == "x\n\\&.SH y");
  CHECK(RoffEscape("C:\\dir") == "C:\\edir");
  CHECK(RoffEscape("--max-port") == "\\-\\-max\\-port");
  CHECK(RoffEscape("`name = value`") == "\\(ganame = value\\(ga");
  CHECK(RoffEscape("RFC 8656 \xC2\xA7"
                   "7.2") == "RFC 8656 \\[u00A7]7.2");
  CHECK(RoffEscape("\xE2\x86\x92") == "\\[u2192]");
  CHECK(RoffEscape("\xF0\x9F\x99\x82") == "\\[u1F642]");
  // Malformed UTF-8: a stray continuation byte, a truncated sequence.
  CHECK(RoffEscape("\x80z") == "\\[uFFFD]z");
  CHECK(RoffEscape("a\xC2") == "a\\[uFFFD]");
  CHECK(RoffEscape("\xE2\x28\xA1") == "\\[uFFFD](\\[uFFFD]");
}

}  // namespace
}  // namespace turnpike::cli
