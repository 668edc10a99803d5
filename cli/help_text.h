// The --help text, rendered from the option table.
#ifndef TURNPIKE_CLI_HELP_TEXT_H_
#define TURNPIKE_CLI_HELP_TEXT_H_

#include <string>

namespace turnpike::cli {

// Every option with its value, meaning and default, and the rules for the
// file and environment forms.
std::string HelpText();

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_HELP_TEXT_H_
