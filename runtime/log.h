// Operator-facing log lines on stderr, one line per call, prefixed with
// "turnpike: " and the level. Deliberately tiny until the structured event
// sinks arrive with the TURN runtime.
#ifndef TURNPIKE_RUNTIME_LOG_H_
#define TURNPIKE_RUNTIME_LOG_H_

#include <string_view>

namespace turnpike::runtime {

void LogInfo(std::string_view message);
void LogWarning(std::string_view message);
void LogError(std::string_view message);

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_LOG_H_
