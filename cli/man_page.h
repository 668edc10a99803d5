// turnpike(8), rendered from the option table like --help and
// docs/configuration.md, so the installed manual cannot drift from the
// binary. The build writes it (cli/man_page_main.cc); cmake --install and
// the .deb put it in share/man/man8.
#ifndef TURNPIKE_CLI_MAN_PAGE_H_
#define TURNPIKE_CLI_MAN_PAGE_H_

#include <string>
#include <string_view>

namespace turnpike::cli {

struct ManPageInfo {
  std::string_view version;      // "0.1.0", in the page footer
  std::string_view config_path;  // "/etc/turnpike/turnpike.conf" (FILES)
};

// The whole page, in man(7) macros.
std::string RenderManPage(const ManPageInfo& info);

// `text` made safe as roff input text: backslashes, hyphens (as \- so they
// stay ASCII minus signs that can be pasted into a shell), quotes and
// non-ASCII characters escaped, and a line that would start with a control
// character ('.' or '\'') protected. Invalid UTF-8 becomes U+FFFD.
std::string RoffEscape(std::string_view text);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_MAN_PAGE_H_
