#include "cli/value_parsers.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/user_key.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli {
namespace {

// The kernel doubles socket buffer requests and stores them in an int.
constexpr int64_t kMaxSocketBufferBytes = int64_t{1} << 30;

absl::Status Invalid(std::string_view text, std::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("'", ToAbsl(text), "' ", ToAbsl(problem)));
}

bool AllDigits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == text.npos;
}

// Strips one binary suffix from `text` and returns its multiplier, or 1.
uint64_t TakeBinarySuffix(std::string_view& text, bool allow_giga) {
  if (text.empty()) return 1;
  const char last =
      absl::ascii_toupper(static_cast<unsigned char>(text.back()));
  uint64_t multiplier = 1;
  if (last == 'K') multiplier = uint64_t{1} << 10;
  if (last == 'M') multiplier = uint64_t{1} << 20;
  if (last == 'G' && allow_giga) multiplier = uint64_t{1} << 30;
  if (multiplier != 1) text.remove_suffix(1);
  return multiplier;
}

}  // namespace

absl::StatusOr<bool> ParseBool(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(ToAbsl(text));
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "1") {
    return true;
  }
  if (lower == "false" || lower == "no" || lower == "off" || lower == "0") {
    return false;
  }
  return Invalid(text,
                 "is not a boolean; write true or false (yes/no, "
                 "on/off and 1/0 work too)");
}

absl::StatusOr<uint64_t> ParseCount(std::string_view text, uint64_t max) {
  uint64_t value = 0;
  if (!AllDigits(text) || !absl::SimpleAtoi(ToAbsl(text), &value) ||
      value > max) {
    return Invalid(text, absl::StrCat("is not a whole number from 0 to ", max,
                                      "; write digits only (0 means "
                                      "unlimited where a limit is meant)"));
  }
  return value;
}

absl::StatusOr<uint64_t> ParseLimit(std::string_view text, uint64_t max) {
  if (absl::EqualsIgnoreCase(ToAbsl(text), "unlimited")) return 0;
  return ParseCount(text, max);
}

absl::StatusOr<uint16_t> ParsePort(std::string_view text, uint16_t min) {
  uint32_t value = 0;
  if (!AllDigits(text) || !absl::SimpleAtoi(ToAbsl(text), &value) ||
      value == 0 || value > 65535) {
    return Invalid(text, "is not a port (1-65535); write a decimal number");
  }
  if (value < min) {
    return Invalid(text, absl::StrCat("is a privileged port; use ", min,
                                      " or above (relay ports should stay in "
                                      "the dynamic range 49152-65535, RFC "
                                      "8656 §7.2)"));
  }
  return static_cast<uint16_t>(value);
}

absl::StatusOr<std::chrono::seconds> ParseSeconds(std::string_view text,
                                                  int64_t max_seconds) {
  int64_t value = 0;
  if (!AllDigits(text) || !absl::SimpleAtoi(ToAbsl(text), &value) ||
      value < 1 || value > max_seconds) {
    return Invalid(
        text, absl::StrCat("is not a number of seconds from 1 to ", max_seconds,
                           "; write whole seconds without a unit"));
  }
  return std::chrono::seconds(value);
}

absl::StatusOr<int> ParseBufferSize(std::string_view text) {
  std::string_view digits = text;
  const uint64_t multiplier = TakeBinarySuffix(digits, /*allow_giga=*/false);
  uint64_t count = 0;
  if (!AllDigits(digits) || !absl::SimpleAtoi(ToAbsl(digits), &count) ||
      count == 0 || count > kMaxSocketBufferBytes / multiplier) {
    return Invalid(text,
                   "is not a size; give a positive number of bytes up "
                   "to 1G, optionally with K or M (e.g. 4M)");
  }
  return static_cast<int>(count * multiplier);
}

absl::StatusOr<uint64_t> ParseRate(std::string_view text) {
  if (absl::EqualsIgnoreCase(ToAbsl(text), "unlimited")) return 0;
  std::string_view digits = text;
  const uint64_t multiplier = TakeBinarySuffix(digits, /*allow_giga=*/true);
  uint64_t count = 0;
  // 1 TiB/s is far beyond any NIC; the cap keeps the product in range.
  constexpr uint64_t kMaxRate = uint64_t{1} << 40;
  if (!AllDigits(digits) || !absl::SimpleAtoi(ToAbsl(digits), &count) ||
      count > kMaxRate / multiplier) {
    return Invalid(text,
                   "is not a rate; give bytes per second, optionally "
                   "with K, M or G (e.g. 512K), or 0 for unlimited");
  }
  return count * multiplier;
}

absl::StatusOr<TransportAddress> ParseListenAddress(std::string_view text) {
  std::optional<TransportAddress> address = TransportAddress::Parse(text);
  if (!address) {
    return Invalid(text,
                   "is not ADDR:PORT; write IPv4 as 192.0.2.1:3478 and "
                   "IPv6 in brackets as [2001:db8::1]:3478");
  }
  return *address;
}

absl::StatusOr<IpAddress> ParseIp(std::string_view text) {
  std::optional<IpAddress> ip = IpAddress::Parse(text);
  if (!ip) {
    return Invalid(text,
                   "is not an IP address; write 192.0.2.1 or "
                   "2001:db8::1, without a port or brackets");
  }
  return *ip;
}

absl::StatusOr<core::Cidr> ParseCidr(std::string_view text) {
  std::optional<core::Cidr> cidr = core::Cidr::Parse(text);
  if (!cidr) {
    return Invalid(text,
                   "is not an address prefix; write 10.0.0.0/8, "
                   "2001:db8::/32 or a single address, with the bits "
                   "past the prefix length zero (10.1.0.0/8 is "
                   "refused: did you mean 10.0.0.0/8 or 10.1.0.0/16?)");
  }
  return *cidr;
}

absl::StatusOr<core::Credential> ParseUserEntry(std::string_view text) {
  // The value holds a password: messages never repeat it.
  const size_t colon = text.find(':');
  if (colon == text.npos) {
    return absl::InvalidArgumentError(
        "has no ':'; write name:password (the value is not shown because it "
        "may hold a password)");
  }
  if (colon == 0) {
    return absl::InvalidArgumentError(
        "the user name before ':' is empty; write name:password");
  }
  if (colon + 1 == text.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("user '", ToAbsl(text.substr(0, colon)),
                     "' has an empty password; write name:password"));
  }
  core::Credential user{std::string(text.substr(0, colon)),
                        std::string(text.substr(colon + 1))};
  if (LooksLikeKey(user.password)) {
    if (absl::Status s = ParseUserKey(user.password, user); !s.ok()) return s;
  }
  return user;
}

}  // namespace turnpike::cli
