#include "cli/help_text.h"

#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/option_table.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli {
namespace {

constexpr size_t kIndent = 6;

void AppendIndented(std::string& text, std::string_view lines) {
  while (!lines.empty()) {
    const size_t end = lines.find('\n');
    text.append(kIndent, ' ');
    text.append(lines.substr(0, end));
    text += '\n';
    lines = end == lines.npos ? std::string_view() : lines.substr(end + 1);
  }
}

// Fills lines up to 76 columns, breaking at spaces.
void AppendWrapped(std::string& text, std::string_view paragraph) {
  constexpr size_t kWidth = 76;
  size_t column = 0;
  for (absl::string_view word : absl::StrSplit(ToAbsl(paragraph), ' ')) {
    if (column > 0 && column + 1 + word.size() > kWidth) {
      text += '\n';
      column = 0;
    } else if (column > 0) {
      text += ' ';
      ++column;
    }
    text.append(word.data(), word.size());
    column += word.size();
  }
  text += '\n';
}

// Says where an option may be given when that is not everywhere.
std::string_view Availability(const OptionSpec& spec) {
  if (spec.sources == kFromFlag) return "Command line only.";
  if (spec.sources == (kFromFlag | kFromEnv)) {
    return "Command line or environment; not in the file.";
  }
  return "";
}

}  // namespace

std::string HelpText() {
  std::string text =
      "Usage: turnpike [OPTION]...\n"
      "       turnpike users add|remove|list --users-file FILE ...\n"
      "       turnpike rest-credential --secret SECRET --user USER ...\n"
      "       turnpike probe turn:HOST[:PORT][?transport=udp|tcp] ... "
      "(checks a\n"
      "                deployment: Binding, two relays sending to each "
      "other)\n"
      "(the subcommands print their usage when called without arguments)\n"
      "\n"
      "turnpike is a STUN/TURN server (RFC 8489, RFC 8656) over UDP. It runs\n"
      "in the foreground until SIGINT or SIGTERM.\n"
      "\n"
      "Every option can be given three ways, under the same name:\n"
      "  flag          --name VALUE or --name=VALUE; a bare --switch means "
      "true\n"
      "  config file   name = VALUE, one per line, in the file of --config;\n"
      "                # starts a comment line; a list option repeats lines\n"
      "  environment   TURNPIKE_NAME, upper case with _ for -; a list option\n"
      "                takes comma-separated values\n"
      "Flags win over the environment, which wins over the file, which wins\n"
      "over the default. A list option is taken whole from the highest\n"
      "source that sets it. Booleans are true/false, yes/no, on/off or 1/0.\n"
      "\n"
      "Options:\n";
  for (const OptionSpec& spec : OptionTable()) {
    text += "  ";
    if (!spec.short_alias.empty()) {
      absl::StrAppend(&text, ToAbsl(spec.short_alias), ", ");
    }
    absl::StrAppend(&text, "--", ToAbsl(spec.name));
    if (spec.kind == OptionKind::kSwitch) {
      absl::StrAppend(&text, "[=", ToAbsl(spec.value_name), "]");
    } else {
      absl::StrAppend(&text, " ", ToAbsl(spec.value_name));
    }
    if (spec.kind == OptionKind::kList) text += "  (list)";
    text += '\n';
    AppendIndented(text, spec.help);
    AppendIndented(text, absl::StrCat("Default: ", ToAbsl(spec.default_text)));
    AppendIndented(text, Availability(spec));
  }
  std::vector<std::string> reloadable;
  for (const OptionSpec& spec : OptionTable()) {
    if (spec.reloadable) reloadable.emplace_back(spec.name);
  }
  text += "\n";
  AppendWrapped(text, absl::StrCat("SIGHUP re-reads the configuration and "
                                   "applies these options without a "
                                   "restart: ",
                                   absl::StrJoin(reloadable, ", "), "."));
  text +=
      "docs/configuration.md describes every option at length.\n"
      "\n"
      "Exit status: 0 after a clean stop, 1 when start-up fails (e.g. the\n"
      "port is in use), 2 for an invalid configuration.\n";
  return text;
}

}  // namespace turnpike::cli
