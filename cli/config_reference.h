// docs/configuration.md, rendered from the option table so that the
// reference cannot drift from the code (a test compares the two).
#ifndef TURNPIKE_CLI_CONFIG_REFERENCE_H_
#define TURNPIKE_CLI_CONFIG_REFERENCE_H_

#include <string>

namespace turnpike::cli {

// The whole Markdown document.
std::string RenderConfigReference();

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_CONFIG_REFERENCE_H_
