#include "core/policy/cidr.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/util/absl_compat.h"

namespace turnpike::core {
namespace {

// True when the first `bits` bits of `a` and `b` agree.
bool PrefixEqual(const std::array<uint8_t, 16>& a,
                 const std::array<uint8_t, 16>& b, int bits) {
  int i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (a[i] != b[i]) return false;
  }
  if (bits == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xFF << (8 - bits));
  return (a[i] & mask) == (b[i] & mask);
}

}  // namespace

std::optional<Cidr> Cidr::Make(const IpAddress& network, int prefix_length) {
  const int width = network.size() * 8;
  if (prefix_length < 0 || prefix_length > width) return std::nullopt;
  // Host bits must be zero.
  for (int bit = prefix_length; bit < width; ++bit) {
    if (network.bytes()[bit / 8] & (0x80 >> (bit % 8))) return std::nullopt;
  }
  return Cidr(network, prefix_length);
}

std::optional<Cidr> Cidr::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  std::optional<IpAddress> ip = IpAddress::Parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  if (slash == text.npos) return Make(*ip, ip->size() * 8);
  const std::string_view length_text = text.substr(slash + 1);
  int length = 0;
  if (length_text.empty() || length_text.size() > 3 ||
      length_text.find_first_not_of("0123456789") != length_text.npos ||
      !absl::SimpleAtoi(ToAbsl(length_text), &length)) {
    return std::nullopt;
  }
  return Make(*ip, length);
}

bool Cidr::Contains(const IpAddress& address) const {
  return address.family() == network_.family() &&
         PrefixEqual(address.bytes(), network_.bytes(), prefix_length_);
}

std::string Cidr::ToString() const {
  return absl::StrCat(network_.ToString(), "/", prefix_length_);
}

}  // namespace turnpike::core
