#include "cli/admin_commands.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/user_key.h"
#include "cli/users_file.h"
#include "core/stun/integrity.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli {
namespace {

// As in cli/option_table.cc: `lhs` is declared from a StatusOr or the
// function returns its error.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define TURNPIKE_ASSIGN_OR_RETURN(lhs, expr)    \
  auto lhs##_or = (expr);                       \
  if (!lhs##_or.ok()) return lhs##_or.status(); \
  auto lhs = *std::move(lhs##_or)
// NOLINTEND(bugprone-macro-parentheses)

constexpr std::string_view kUsage =
    "usage: turnpike users add NAME --users-file FILE --realm REALM "
    "[--sha256] [--password PASSWORD]\n"
    "       turnpike users remove NAME --users-file FILE\n"
    "       turnpike users list --users-file FILE\n"
    "       turnpike rest-credential --secret SECRET --user USER "
    "[--ttl SECONDS]\n";

// `--flag value` pairs, `--sha256`, and the positional words in order.
struct Arguments {
  std::map<std::string, std::string, std::less<>> flags;
  bool sha256 = false;
  std::vector<std::string> words;
};

absl::StatusOr<Arguments> Split(const std::vector<std::string_view>& args) {
  Arguments out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--sha256") {
      out.sha256 = true;
    } else if (absl::StartsWith(ToAbsl(arg), "--")) {
      if (i + 1 == args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat(ToAbsl(arg), " needs a value"));
      }
      out.flags[std::string(arg.substr(2))] = std::string(args[++i]);
    } else {
      out.words.emplace_back(arg);
    }
  }
  return out;
}

absl::StatusOr<std::string> Flag(const Arguments& arguments,
                                 std::string_view name) {
  auto it = arguments.flags.find(name);
  if (it == arguments.flags.end() || it->second.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("give --", ToAbsl(name)));
  }
  return it->second;
}

absl::StatusOr<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    // A users file that does not exist yet starts empty.
    if (errno == ENOENT) return std::string();
    return absl::NotFoundError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes `text` beside `path` with the old file's mode (0600 for a new
// one: it holds secrets), then renames it over `path`.
absl::Status ReplaceFile(const std::string& path, const std::string& text) {
  struct stat old {};
  const mode_t mode =
      stat(path.c_str(), &old) == 0 ? (old.st_mode & 07777) : 0600;
  std::string temporary = path + ".XXXXXX";
  const int fd = mkstemp(temporary.data());
  if (fd < 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot create a file beside ", path, ": ", std::strerror(errno)));
  }
  bool ok = fchmod(fd, mode) == 0;
  size_t written = 0;
  while (ok && written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  ok = ok && fsync(fd) == 0;
  ok = (close(fd) == 0) && ok;
  if (!ok || rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    unlink(temporary.c_str());
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write ", path, ": ", reason));
  }
  return absl::OkStatus();
}

// The name a users-file line is for, or "" for a comment or blank line.
std::string_view NameOf(std::string_view line) {
  const std::string_view stripped =
      FromAbsl(absl::StripAsciiWhitespace(ToAbsl(line)));
  if (stripped.empty() || stripped.front() == '#') return {};
  return stripped.substr(0, stripped.find(':'));
}

absl::StatusOr<std::string> ReadPassword(const Arguments& arguments,
                                         std::FILE* in) {
  if (auto it = arguments.flags.find("password"); it != arguments.flags.end()) {
    return it->second;
  }
  char line[1024];
  if (std::fgets(line, sizeof(line), in) == nullptr) {
    return absl::InvalidArgumentError(
        "give the password on standard input (one line) or with --password");
  }
  std::string password(line);
  while (!password.empty() &&
         (password.back() == '\n' || password.back() == '\r')) {
    password.pop_back();
  }
  return password;
}

absl::Status Users(const Arguments& arguments, std::FILE* in, std::FILE* out) {
  if (arguments.words.size() < 2) {
    return absl::InvalidArgumentError("say add, remove or list");
  }
  const std::string& action = arguments.words[1];
  TURNPIKE_ASSIGN_OR_RETURN(path, Flag(arguments, "users-file"));
  TURNPIKE_ASSIGN_OR_RETURN(text, ReadAll(path));
  if (action == "list") {
    TURNPIKE_ASSIGN_OR_RETURN(users, ParseUsersFile(text, path));
    for (const core::Credential& user : users) {
      const char* kind =
          !user.key_algorithm ? "password"
          : *user.key_algorithm == stun::PasswordAlgorithmId::kMd5
              ? "md5 key"
              : "sha256 key";
      std::fprintf(out, "%s\t%s\n", user.username.c_str(), kind);
    }
    return absl::OkStatus();
  }
  if (arguments.words.size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("users ", action, " takes one NAME"));
  }
  const std::string& name = arguments.words[2];
  if (action == "remove") {
    TURNPIKE_ASSIGN_OR_RETURN(edited, EditUsersText(text, name, ""));
    return ReplaceFile(path, edited);
  }
  if (action != "add") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown action '", action, "'; say add, remove or list"));
  }
  if (name.find(':') != std::string::npos) {
    return absl::InvalidArgumentError("a user name cannot hold ':'");
  }
  TURNPIKE_ASSIGN_OR_RETURN(realm, Flag(arguments, "realm"));
  TURNPIKE_ASSIGN_OR_RETURN(password, ReadPassword(arguments, in));
  TURNPIKE_ASSIGN_OR_RETURN(
      key, FormatUserKey(name, realm, password, arguments.sha256));
  TURNPIKE_ASSIGN_OR_RETURN(edited, EditUsersText(text, name, key));
  // The edited file must still load: check it before replacing the old.
  if (auto parsed = ParseUsersFile(edited, path); !parsed.ok()) {
    return parsed.status();
  }
  if (absl::Status s = ReplaceFile(path, edited); !s.ok()) return s;
  std::fprintf(out, "%s:%s\n", name.c_str(), key.c_str());
  return absl::OkStatus();
}

absl::Status Rest(const Arguments& arguments, absl::Time now, std::FILE* out) {
  TURNPIKE_ASSIGN_OR_RETURN(secret, Flag(arguments, "secret"));
  TURNPIKE_ASSIGN_OR_RETURN(user, Flag(arguments, "user"));
  int64_t ttl = 86400;
  if (auto it = arguments.flags.find("ttl"); it != arguments.flags.end()) {
    if (!absl::SimpleAtoi(it->second, &ttl) || ttl <= 0) {
      return absl::InvalidArgumentError(
          "--ttl: give the lifetime in whole seconds, more than 0");
    }
  }
  const RestCredential minted =
      MintRestCredential(secret, user, absl::Seconds(ttl), now);
  std::fprintf(out, "username: %s\npassword: %s\n", minted.username.c_str(),
               minted.password.c_str());
  return absl::OkStatus();
}

}  // namespace

bool IsAdminCommand(std::string_view first_argument) {
  return first_argument == "users" || first_argument == "rest-credential";
}

int RunAdminCommand(const std::vector<std::string_view>& args, absl::Time now,
                    std::FILE* in, std::FILE* out, std::FILE* err) {
  absl::StatusOr<Arguments> arguments = Split(args);
  absl::Status status = arguments.status();
  if (status.ok()) {
    status = arguments->words.front() == "users" ? Users(*arguments, in, out)
                                                 : Rest(*arguments, now, out);
  }
  if (!status.ok()) {
    std::fprintf(err, "turnpike %s: %s\n%s", std::string(args.front()).c_str(),
                 std::string(FromAbsl(status.message())).c_str(),
                 kUsage.data());
    return 2;
  }
  return 0;
}

absl::StatusOr<std::string> EditUsersText(std::string_view text,
                                          std::string_view name,
                                          std::string_view value) {
  std::string out;
  bool found = false;
  for (absl::string_view line : absl::StrSplit(ToAbsl(text), '\n')) {
    if (NameOf(FromAbsl(line)) == name) {
      found = true;
      if (!value.empty()) {
        absl::StrAppend(&out, ToAbsl(name), ":", ToAbsl(value), "\n");
      }
      continue;
    }
    absl::StrAppend(&out, line, "\n");
  }
  // StrSplit yields one empty piece after a final newline: drop the extra.
  if (absl::EndsWith(out, "\n\n") || (out == "\n")) out.pop_back();
  if (!found && value.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no user '", ToAbsl(name), "' in the users file"));
  }
  if (!found) {
    if (!out.empty() && out.back() != '\n') out.push_back('\n');
    absl::StrAppend(&out, ToAbsl(name), ":", ToAbsl(value), "\n");
  }
  return out;
}

RestCredential MintRestCredential(std::string_view secret,
                                  std::string_view user, absl::Duration ttl,
                                  absl::Time now) {
  RestCredential out;
  out.username =
      absl::StrCat(absl::ToUnixSeconds(now + ttl), ":", ToAbsl(user));
  const auto mac = stun::HmacSha1(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(secret.data()),
                          secret.size()),
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(out.username.data()),
                          out.username.size()));
  out.password = absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
  return out;
}

}  // namespace turnpike::cli
