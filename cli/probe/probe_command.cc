#include "cli/probe/probe_command.h"

#include <signal.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/admin_commands.h"
#include "cli/probe/probe_url.h"
#include "cli/probe/report.h"
#include "cli/probe/steps.h"
#include "core/stun/opaque_string.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli::probe {
namespace {

constexpr std::string_view kUsage =
    "usage: turnpike probe URL... [--user USER [--password PASSWORD] | "
    "--rest-secret SECRET [--user USER]]\n"
    "                      [--timeout SECONDS] [--insecure | --ca FILE]\n"
    "  URL: turn:HOST[:PORT][?transport=udp|tcp] or turns:... (TLS; DTLS "
    "with\n"
    "  ?transport=udp), or stun:HOST[:PORT] for a Binding only.\n"
    "  Each URL: Binding, two allocations that relay to each other through\n"
    "  Send indications and a channel, then both released. Exit 0 when\n"
    "  every step passed, 1 when one failed, 2 on a usage error. Without\n"
    "  --password the password is read from standard input.\n";
// The name a REST credential is minted for when --user is not given.
constexpr std::string_view kDefaultRestUser = "turnpike-probe";
// A REST credential needs to outlive only this run.
constexpr absl::Duration kRestTtl = absl::Hours(1);
// Bounds the operator's --timeout: a step that needs more is broken.
constexpr double kMaxTimeoutSeconds = 300;

struct Arguments {
  std::vector<std::string> urls;
  std::string user;
  std::string password;
  std::string rest_secret;
  bool has_password = false;
  double timeout_seconds = 5;
  bool insecure = false;
  std::string ca_file;
};

absl::StatusOr<Arguments> Parse(const std::vector<std::string_view>& args) {
  Arguments out;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string arg(args[i]);
    std::optional<std::string> value;
    if (absl::StartsWith(arg, "--")) {
      if (const size_t eq = arg.find('='); eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg.resize(eq);
      }
    } else {
      out.urls.push_back(arg);
      continue;
    }
    if (arg == "--insecure") {
      if (value) return absl::InvalidArgumentError("--insecure takes no value");
      out.insecure = true;
      continue;
    }
    if (!value) {
      if (i + 1 == args.size()) {
        return absl::InvalidArgumentError(absl::StrCat(arg, " needs a value"));
      }
      value = std::string(args[++i]);
    }
    if (arg == "--user") {
      out.user = *value;
    } else if (arg == "--password") {
      out.password = *value;
      out.has_password = true;
    } else if (arg == "--rest-secret") {
      out.rest_secret = *value;
    } else if (arg == "--timeout") {
      if (!absl::SimpleAtod(*value, &out.timeout_seconds) ||
          !(out.timeout_seconds > 0) ||
          out.timeout_seconds > kMaxTimeoutSeconds) {
        return absl::InvalidArgumentError(
            "--timeout: give seconds, more than 0 and at most 300");
      }
    } else if (arg == "--ca") {
      out.ca_file = *value;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option ", arg));
    }
  }
  if (out.urls.empty()) {
    return absl::InvalidArgumentError("give at least one turn: or turns: URL");
  }
  if (out.insecure && !out.ca_file.empty()) {
    return absl::InvalidArgumentError("give --insecure or --ca, not both");
  }
  if (!out.rest_secret.empty() && out.has_password) {
    return absl::InvalidArgumentError(
        "give --password or --rest-secret, not both");
  }
  if (out.has_password && out.user.empty()) {
    return absl::InvalidArgumentError("--password needs --user");
  }
  return out;
}

// The password of --user given without --password: one line of `in`.
absl::Status ReadPassword(std::FILE* in, Arguments& arguments) {
  if (arguments.user.empty() || arguments.has_password ||
      !arguments.rest_secret.empty()) {
    return absl::OkStatus();
  }
  char line[1024];
  if (std::fgets(line, sizeof(line), in) == nullptr) {
    return absl::InvalidArgumentError(
        "--user needs a password: give it on standard input (one line), "
        "with --password, or use --rest-secret");
  }
  arguments.password = line;
  while (!arguments.password.empty() && (arguments.password.back() == '\n' ||
                                         arguments.password.back() == '\r')) {
    arguments.password.pop_back();
  }
  arguments.has_password = true;
  return absl::OkStatus();
}

// RFC 8489 §9.2.2: username and password enter the key prepared by the
// OpaqueString profile.
absl::StatusOr<std::string> Prepare(const std::string& text,
                                    std::string_view what) {
  auto prepared = stun::PrepareOpaqueString(text);
  if (!prepared.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        ToAbsl(what),
        " is not usable in STUN (RFC 8265 OpaqueString: non-empty UTF-8 "
        "without control characters)"));
  }
  return *prepared;
}

absl::StatusOr<ProbeOptions> Options(const Arguments& arguments,
                                     absl::Time now) {
  ProbeOptions options;
  options.timeout = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(arguments.timeout_seconds));
  options.tls.insecure = arguments.insecure;
  options.tls.ca_file = arguments.ca_file;
  std::string username = arguments.user;
  std::string password = arguments.password;
  if (!arguments.rest_secret.empty()) {
    // draft-uberti-behave-turn-rest-00 §2.2, as `turnpike rest-credential`.
    const RestCredential minted = MintRestCredential(
        arguments.rest_secret,
        username.empty() ? kDefaultRestUser : std::string_view(username),
        kRestTtl, now);
    username = minted.username;
    password = minted.password;
  }
  if (!username.empty()) {
    auto user = Prepare(username, "--user");
    if (!user.ok()) return user.status();
    auto pass = Prepare(password, "--password");
    if (!pass.ok()) return pass.status();
    options.username = *user;
    options.password = *pass;
  }
  return options;
}

}  // namespace

bool IsProbeCommand(std::string_view first_argument) {
  return first_argument == "probe";
}

int RunProbeCommand(const std::vector<std::string_view>& args, absl::Time now,
                    std::FILE* in, std::FILE* out, std::FILE* err) {
  // A server that closes a TLS connection while the probe writes must give
  // a FAIL with the reason, not kill the process: BoringSSL writes to the
  // socket without MSG_NOSIGNAL.
  signal(SIGPIPE, SIG_IGN);
  absl::StatusOr<Arguments> arguments = Parse(args);
  if (arguments.ok()) {
    if (absl::Status s = ReadPassword(in, *arguments); !s.ok()) arguments = s;
  }
  absl::StatusOr<ProbeOptions> options =
      arguments.ok() ? Options(*arguments, now)
                     : absl::StatusOr<ProbeOptions>(arguments.status());
  std::vector<ProbeUrl> urls;
  absl::Status status = options.status();
  for (size_t i = 0; status.ok() && i < arguments->urls.size(); ++i) {
    absl::StatusOr<ProbeUrl> url = ParseProbeUrl(arguments->urls[i]);
    if (!url.ok()) {
      status = url.status();
    } else {
      urls.push_back(*std::move(url));
    }
  }
  if (!status.ok()) {
    std::fprintf(err, "turnpike probe: %s\n%s",
                 std::string(FromAbsl(status.message())).c_str(),
                 kUsage.data());
    return 2;
  }
  std::vector<std::string> summaries;
  bool passed = true;
  for (const ProbeUrl& url : urls) {
    std::fputs(FormatHeading(url).c_str(), out);
    std::fflush(out);
    const std::vector<StepResult> steps =
        RunProbe(url, *options, [out](const StepResult& step) {
          std::fputs(FormatStep(step).c_str(), out);
          std::fflush(out);
        });
    passed = AllPassed(steps) && passed;
    summaries.push_back(FormatSummary(url, steps));
  }
  for (const std::string& summary : summaries) std::fputs(summary.c_str(), out);
  std::fflush(out);
  return passed ? 0 : 1;
}

}  // namespace turnpike::cli::probe
