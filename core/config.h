// The validated configuration of one core Server. The cli turns flags, files
// and environment into this; Server::Create checks what the types cannot.
#ifndef TURNPIKE_CORE_CONFIG_H_
#define TURNPIKE_CORE_CONFIG_H_

#include <optional>
#include <string>

namespace turnpike::core {

struct ServerConfig {
  // SOFTWARE attribute on responses (RFC 8489 §14.14); nullopt sends none,
  // which hides the version from scanners.
  std::optional<std::string> software;
};

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_CONFIG_H_
