#include "cli/config_reference.h"

#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cli/option_table.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli {
namespace {

constexpr std::string_view kIntro = R"(# Configuration reference

<!-- Generated from cli/option_table.cc; do not edit by hand. Regenerate with
     build/asan-ubsan/cli/turnpike_config_reference > docs/configuration.md -->

turnpike reads its configuration from three sources. Every option has one
name and can be given in each of them (the few exceptions are marked):

| source | form | example |
| --- | --- | --- |
| command line | `--name VALUE` or `--name=VALUE` | `--max-port 60000` |
| environment | `TURNPIKE_NAME`: upper case, `-` becomes `_` | `TURNPIKE_MAX_PORT=60000` |
| configuration file | `name = VALUE`, one per line | `max-port = 60000` |

## Precedence

A flag wins over an environment variable, which wins over the file, which
wins over the default. A *list* option (one that may hold several values,
such as `listen` or `user`) is taken whole from the highest source that
sets it: `--listen` on the command line replaces every `listen` line of the
file rather than adding to them. A scalar option given several times in one
source takes the last value.

## The configuration file

`--config FILE` (or `-f FILE`, or `TURNPIKE_CONFIG`) names it; without one
no file is read. Each line is `name = value`; blanks around the name and
the value are ignored. A line whose first non-blank character is `#` is a
comment, and blank lines are skipped. A `#` later in a line is part of the
value, because passwords and secrets may contain it. A list option repeats
its line once per value. A switch (a boolean option) may stand alone on its
line to mean true.

```
# /etc/turnpike/turnpike.conf
listen = 192.0.2.10:3478
relay-ip = 192.0.2.10
realm = example.org
users-file = /etc/turnpike/users
user-quota = 10
peer-deny = 198.51.100.0/24
```

## The environment

A variable is `TURNPIKE_` followed by the option name in upper case with
`-` replaced by `_`. A list option takes comma-separated values
(`TURNPIKE_LISTEN=127.0.0.1:3478,[::1]:3478`). Booleans everywhere are
`true`/`false`, `yes`/`no`, `on`/`off` or `1`/`0`; as a flag, a bare
`--nat-discovery` means true.

## Errors

A bad value stops start-up with exit status 2 and a message that starts
with where the value came from and ends with how to fix it:

```
turnpike.conf:12: max-port: '70000' is not a port (1-65535); write a decimal number
--max-port: '70000' is not a port (1-65535); write a decimal number
TURNPIKE_MAX_PORT: '70000' is not a port (1-65535); write a decimal number
```

Unknown names in the file, unknown `TURNPIKE_*` variables and unknown
flags are errors too, so a typo cannot pass silently. Checks that involve
two options (such as `min-port` above `max-port`) name both and where each
value came from. `turnpike --check-config` runs every check, prints a
one-line summary and exits with 0, or 2 with the error.

## Reloading

On SIGHUP turnpike loads the configuration again (same flags and
environment, the file re-read). These options take effect without a
restart: )";

std::string OneParagraph(std::string_view lines) {
  return absl::StrReplaceAll(ToAbsl(lines), {{"\n", " "}});
}

std::string Availability(const OptionSpec& spec, std::string_view form,
                         uint8_t source) {
  if ((spec.sources & source) != 0) return std::string(form);
  return "not available";
}

}  // namespace

std::string RenderConfigReference() {
  std::string text(kIntro);
  bool first = true;
  for (const OptionSpec& spec : OptionTable()) {
    if (!spec.reloadable) continue;
    absl::StrAppend(&text, first ? "" : ", ", "`", ToAbsl(spec.name), "`");
    first = false;
  }
  text +=
      ". Every other option keeps the value it had at start-up until "
      "turnpike is restarted.\n\n## Options\n";
  for (const OptionSpec& spec : OptionTable()) {
    const std::string value =
        spec.kind == OptionKind::kSwitch
            ? absl::StrCat("[=", ToAbsl(spec.value_name), "]")
            : absl::StrCat(" ", ToAbsl(spec.value_name));
    const std::string flag = absl::StrCat(
        "`--", ToAbsl(spec.name), value, "`",
        spec.short_alias.empty()
            ? ""
            : absl::StrCat(" or `", ToAbsl(spec.short_alias),
                           spec.kind == OptionKind::kSwitch
                               ? ""
                               : absl::StrCat(" ", ToAbsl(spec.value_name)),
                           "`"));
    const std::string file = absl::StrCat(
        "`", ToAbsl(spec.name), " = ", ToAbsl(spec.value_name), "`",
        spec.kind == OptionKind::kList ? ", one line per value" : "");
    const std::string env =
        absl::StrCat("`", EnvName(spec), "`",
                     spec.kind == OptionKind::kList ? ", comma-separated" : "");
    absl::StrAppend(&text, "\n### ", ToAbsl(spec.name), "\n\n",
                    OneParagraph(spec.help), "\n\n",
                    "- Flag: ", Availability(spec, flag, kFromFlag), "\n",
                    "- File: ", Availability(spec, file, kFromFile), "\n",
                    "- Environment: ", Availability(spec, env, kFromEnv), "\n",
                    "- Default: ", ToAbsl(spec.default_text), "\n", "- Kind: ",
                    spec.kind == OptionKind::kList     ? "list"
                    : spec.kind == OptionKind::kSwitch ? "boolean"
                                                       : "single value",
                    spec.reloadable ? "; reloaded on SIGHUP" : "", "\n");
  }
  return text;
}

}  // namespace turnpike::cli
