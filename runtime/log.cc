#include "runtime/log.h"

#include <cstdio>
#include <string>

namespace turnpike::runtime {
namespace {

void Write(std::string_view level, std::string_view message) {
  // One fwrite per line so lines from concurrent writers do not interleave
  // mid-line, and stderr's lack of buffering costs one write(2) per line.
  std::string line;
  line.reserve(16 + level.size() + message.size());
  line.append("turnpike: ").append(level).append(message).push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

void LogInfo(std::string_view message) { Write("", message); }
void LogWarning(std::string_view message) { Write("warning: ", message); }
void LogError(std::string_view message) { Write("error: ", message); }

}  // namespace turnpike::runtime
