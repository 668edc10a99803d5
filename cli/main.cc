// turnpike: parse flags, start one worker, serve until SIGINT/SIGTERM.
#include <cstdio>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/flags.h"
#include "core/util/absl_compat.h"
#include "runtime/log.h"
#include "runtime/worker.h"

namespace {

// Exit statuses, as documented in --help.
constexpr int kExitOk = 0;
constexpr int kExitStartupFailed = 1;
constexpr int kExitBadConfig = 2;

}  // namespace

int main(int argc, char** argv) {
  using turnpike::runtime::LogError;
  using turnpike::runtime::LogInfo;

  const std::vector<std::string_view> args(argv + 1, argv + argc);
  absl::StatusOr<turnpike::cli::Options> options =
      turnpike::cli::ParseFlags(args);
  if (!options.ok()) {
    LogError(turnpike::FromAbsl(options.status().message()));
    return kExitBadConfig;
  }
  if (options->help) {
    std::fputs(turnpike::cli::HelpText().c_str(), stdout);
    return kExitOk;
  }
  if (options->version) {
    std::fputs("turnpike " TURNPIKE_VERSION "\n", stdout);
    return kExitOk;
  }

  absl::StatusOr<std::unique_ptr<turnpike::runtime::Worker>> worker =
      turnpike::runtime::Worker::Create(std::move(options->worker));
  if (!worker.ok()) {
    LogError(turnpike::FromAbsl(worker.status().message()));
    return absl::IsInvalidArgument(worker.status()) ? kExitBadConfig
                                                    : kExitStartupFailed;
  }
  LogInfo("version " TURNPIKE_VERSION
          "; serving STUN Binding (RFC 8489) only, TURN is not implemented "
          "yet");
  if (absl::Status status = (*worker)->Run(); !status.ok()) {
    LogError(turnpike::FromAbsl(status.message()));
    return kExitStartupFailed;
  }
  return kExitOk;
}
