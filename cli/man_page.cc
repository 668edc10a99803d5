#include "cli/man_page.h"

#include <cstdint>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "cli/option_table.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli {
namespace {

// Decodes one UTF-8 sequence at the front of `text`, consuming it; U+FFFD
// for a malformed one (one byte consumed).
uint32_t NextCodePoint(std::string_view& text) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(0);
  size_t length = lead < 0xC2 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  uint32_t code = lead < 0xE0   ? lead & 0x1F
                  : lead < 0xF0 ? lead & 0x0F
                                : lead & 0x07;
  if (lead >= 0xF5 || length > text.size()) length = 1;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) {
      length = 1;
      break;
    }
    code = (code << 6) | (byte(i) & 0x3F);
  }
  text.remove_prefix(length);
  return length == 1 ? 0xFFFD : code;
}

// One paragraph of help: the table breaks lines for --help's 80 columns;
// roff fills its own.
std::string Paragraph(std::string_view lines) {
  return RoffEscape(absl::StrReplaceAll(ToAbsl(lines), {{"\n", " "}}));
}

std::string Bold(std::string_view text) {
  return absl::StrCat("\\fB", RoffEscape(text), "\\fR");
}
std::string Italic(std::string_view text) {
  return absl::StrCat("\\fI", RoffEscape(text), "\\fR");
}

// ".TP" tag of an option: "-f, --config FILE" with the name bold and the
// value italic, as man-pages(7) sets them.
std::string OptionTag(const OptionSpec& spec) {
  const std::string value =
      spec.kind == OptionKind::kSwitch
          ? absl::StrCat("[=", Italic(spec.value_name), "]")
          : absl::StrCat(" ", Italic(spec.value_name));
  std::string tag;
  if (!spec.short_alias.empty()) {
    absl::StrAppend(&tag, Bold(spec.short_alias),
                    spec.kind == OptionKind::kSwitch
                        ? ""
                        : absl::StrCat(" ", Italic(spec.value_name)),
                    ", ");
  }
  absl::StrAppend(&tag, Bold(absl::StrCat("--", ToAbsl(spec.name))), value);
  return tag;
}

std::string Where(const OptionSpec& spec) {
  std::string text;
  if ((spec.sources & kFromFile) != 0) {
    absl::StrAppend(
        &text, "In the file: ", Bold(absl::StrCat(ToAbsl(spec.name), " = ")),
        Italic(spec.value_name),
        spec.kind == OptionKind::kList ? ", one line per value" : "", ".\n");
  } else {
    text += "Not read from the file.\n";
  }
  if ((spec.sources & kFromEnv) != 0) {
    absl::StrAppend(&text, "Environment: ", Bold(EnvName(spec)),
                    spec.kind == OptionKind::kList ? ", comma-separated" : "",
                    ".\n");
  }
  return text;
}

constexpr std::string_view kDescription = R"(.SH DESCRIPTION
.B turnpike
is a STUN and TURN server (RFC 8489, RFC 8656) for WebRTC and VoIP:
it answers Binding requests and relays media for clients behind NATs,
over UDP, TCP, TLS and DTLS.
It runs in the foreground and logs to standard error (the journal,
under systemd).
.PP
Every option can be given three ways under the same name:
as a flag (\fB\-\-name\fR \fIVALUE\fR or \fB\-\-name=\fR\fIVALUE\fR),
as a line \fBname = \fR\fIVALUE\fR of the configuration file named by
\fB\-\-config\fR, or as an environment variable \fBTURNPIKE_\fR\fINAME\fR
(upper case, \fB_\fR for \fB\-\fR).
A flag wins over the environment, which wins over the file, which wins
over the default.
A list option is taken whole from the highest source that sets it.
Booleans are \fBtrue\fR/\fBfalse\fR, \fByes\fR/\fBno\fR, \fBon\fR/\fBoff\fR
or \fB1\fR/\fB0\fR.
Unknown names are errors, so a typo cannot pass silently.
.PP
With no user and no REST secret configured, turnpike never runs open: it
makes up one credential for the run and prints it, with ready-to-use
\fBturn:\fR URLs, on standard output.
)";

constexpr std::string_view kAfterOptions = R"(.SH SUBCOMMANDS
.TP
\fBturnpike users add\fR|\fBremove\fR|\fBlist \-\-users\-file\fR \fIFILE\fR \fB\-\-realm\fR \fIREALM\fR [\fB\-\-sha256\fR] [\fINAME\fR]
Edit a users file in place (a running turnpike reloads it when it
changes) and print the keys stored.
A password not given with \fB\-\-password\fR is read from standard input.
.TP
\fBturnpike probe\fR \fIURL\fR... [\fB\-\-user\fR \fIUSER\fR [\fB\-\-password\fR \fIPASSWORD\fR] | \fB\-\-rest\-secret\fR \fISECRET\fR] [\fB\-\-timeout\fR \fISECONDS\fR] [\fB\-\-insecure\fR | \fB\-\-ca\fR \fIFILE\fR]
Check a deployment the way two WebRTC peers use it: for each
\fBturn:\fR or \fBturns:\fR URL, a Binding, two allocations that
relay to each other both ways, and their release, with the verdict and
round-trip time of each step.
Exits 0 only when every step passed.
A password not given with \fB\-\-password\fR is read from standard input.
.TP
\fBturnpike rest\-credential \-\-secret\fR \fISECRET\fR \fB\-\-user\fR \fIUSER\fR [\fB\-\-ttl\fR \fISECONDS\fR]
Print a time-limited username and password of the TURN REST API.
.SH SIGNALS
.TP
.B SIGHUP
Load the configuration again and apply the options marked
\(lqreloaded on SIGHUP\(rq without dropping any allocation; a
configuration that does not load changes nothing.
A changed users file or user database is reloaded without a signal.
.TP
.BR SIGTERM ", " SIGINT
Delete every allocation and exit.
.SH SYSTEMD
Under systemd with \fBType=notify\fR turnpike reports \fBREADY=1\fR once every
listener is bound, \fBRELOADING=1\fR and \fBREADY=1\fR around each reload,
\fBSTOPPING=1\fR at shutdown and a one-line \fBSTATUS=\fR for
\fBsystemctl status\fR.
With \fBWatchdogSec=\fR set it sends \fBWATCHDOG=1\fR at half that
interval, and only while its event loop answers, so a hung relay is
restarted.
Outside systemd (no \fBNOTIFY_SOCKET\fR) none of this happens.
.SH EXIT STATUS
.TP
.B 0
Clean stop, or \fB\-\-check\-config\fR found the configuration valid.
.TP
.B 1
Start-up failed (a port in use, an address the host does not have).
.TP
.B 2
The configuration is invalid; the message names the setting and the fix.
)";

}  // namespace

std::string RoffEscape(std::string_view text) {
  std::string out;
  bool line_start = true;
  while (!text.empty()) {
    const char c = text.front();
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    line_start = c == '\n';
    if (static_cast<uint8_t>(c) >= 0x80) {
      absl::StrAppend(&out, absl::StrFormat("\\[u%04X]", NextCodePoint(text)));
      continue;
    }
    text.remove_prefix(1);
    switch (c) {
      case '\\':
        out += "\\e";
        break;
      case '-':
        out += "\\-";
        break;
      // groff turns ` and ' into curly quotes in UTF-8 output; the
      // configuration lines they quote must paste as typed.
      case '`':
        out += "\\(ga";
        break;
      case '\'':
        out += "\\(aq";
        break;
      default:
        out += c;
        break;
    }
  }
  return out;
}

std::string RenderManPage(const ManPageInfo& info) {
  std::string page = absl::StrCat(
      ".\\\" Generated from cli/option_table.cc by turnpike_man_page; do not "
      "edit.\n",
      ".TH TURNPIKE 8 \"\" \"turnpike ", RoffEscape(info.version),
      "\" \"System Administration\"\n",
      ".SH NAME\nturnpike \\- STUN and TURN relay server\n",
      ".SH SYNOPSIS\n.B turnpike\n[\\fIOPTION\\fR]...\n.br\n",
      ".B turnpike users\n\\fBadd\\fR|\\fBremove\\fR|\\fBlist\\fR ...\n"
      ".br\n.B turnpike rest\\-credential\n"
      "\\fB\\-\\-secret\\fR \\fISECRET\\fR \\fB\\-\\-user\\fR \\fIUSER\\fR "
      "\\&...\n.br\n.B turnpike probe\n"
      "\\fIURL\\fR... \\fB\\-\\-user\\fR \\fIUSER\\fR \\&...\n",
      ToAbsl(kDescription), ".SH OPTIONS\n");
  for (const OptionSpec& spec : OptionTable()) {
    absl::StrAppend(&page, ".TP\n", OptionTag(spec), "\n", Paragraph(spec.help),
                    "\n.br\nDefault: ", RoffEscape(spec.default_text), ".\n",
                    Where(spec),
                    spec.kind == OptionKind::kList ? "May be given more than "
                                                     "once.\n"
                                                   : "",
                    spec.reloadable ? "Reloaded on SIGHUP.\n" : "");
  }
  absl::StrAppend(
      &page, ToAbsl(kAfterOptions), ".SH FILES\n.TP\n.I ",
      RoffEscape(info.config_path),
      "\nThe configuration file the packaged service reads "
      "(\\fB\\-\\-config\\fR).\n",
      ".SH SEE ALSO\n", ".BR systemd.service (5),\n", ".BR sd_notify (3)\n",
      ".PP\n",
      "docs/configuration.md and docs/operations.md in the source tree.\n");
  return page;
}

}  // namespace turnpike::cli
