#include "flags.h"

#include <arpa/inet.h>

#include <cerrno>
#include <cstdlib>

namespace turnpike::e2e {

std::optional<Flags> ParseFlagPairs(int argc, char** argv, std::string& bad) {
  Flags flags;
  for (int i = 1; i < argc; i += 2) {
    const std::string name = argv[i];
    if (name.rfind("--", 0) != 0 || i + 1 >= argc) {
      bad = name;
      return std::nullopt;
    }
    flags[name.substr(2)] = argv[i + 1];
  }
  return flags;
}

std::string FlagOr(const Flags& flags, const std::string& name,
                   const std::string& fallback) {
  const auto found = flags.find(name);
  return found == flags.end() ? fallback : found->second;
}

std::optional<sockaddr_in> ParseIpv4Endpoint(const std::string& text) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos ||
      inet_pton(AF_INET, text.substr(0, colon).c_str(), &address.sin_addr) !=
          1) {
    return std::nullopt;
  }
  const char* port_text = text.c_str() + colon + 1;
  char* end = nullptr;
  errno = 0;
  const long port = std::strtol(port_text, &end, 10);
  if (end == port_text || *end != '\0' || errno != 0 || port < 0 ||
      port > 65535) {
    return std::nullopt;
  }
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

std::optional<std::pair<std::string, std::string>> ParseUser(
    const std::string& text) {
  const size_t separator = text.find(':');
  if (separator == std::string::npos) return std::nullopt;
  return std::pair{text.substr(0, separator), text.substr(separator + 1)};
}

}  // namespace turnpike::e2e
