#include "core/net/transport_address.h"

#include <cstdio>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/util/absl_compat.h"

namespace turnpike {
namespace {

std::optional<IpAddress> ParseV4(std::string_view text) {
  std::array<uint8_t, 4> out{};
  int i = 0;
  for (absl::string_view part : absl::StrSplit(ToAbsl(text), '.')) {
    uint32_t v = 0;
    // Leading zeros are refused: "010" is octal to inet_aton and decimal to
    // others, and an address filter must not guess which one was meant.
    if (i == 4 || part.empty() || part.size() > 3 ||
        (part.size() > 1 && part[0] == '0') || !absl::SimpleAtoi(part, &v) ||
        v > 255 || part.find_first_not_of("0123456789") != part.npos) {
      return std::nullopt;
    }
    out[i++] = static_cast<uint8_t>(v);
  }
  if (i != 4) return std::nullopt;
  return IpAddress::V4(out);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses groups of "h16" separated by ':' (an embedded IPv4 tail allowed when
// `allow_v4_tail`) into 16-bit words. Returns the word count or -1.
int ParseGroups(std::string_view text, uint16_t* words, int max_words,
                bool allow_v4_tail) {
  if (text.empty()) return 0;
  int n = 0;
  std::vector<absl::string_view> parts = absl::StrSplit(ToAbsl(text), ':');
  for (size_t p = 0; p < parts.size(); ++p) {
    std::string_view part = FromAbsl(parts[p]);
    if (p + 1 == parts.size() && allow_v4_tail && part.find('.') != part.npos) {
      std::optional<IpAddress> v4 = ParseV4(part);
      if (!v4 || n + 2 > max_words) return -1;
      words[n++] = static_cast<uint16_t>(v4->bytes()[0] << 8 | v4->bytes()[1]);
      words[n++] = static_cast<uint16_t>(v4->bytes()[2] << 8 | v4->bytes()[3]);
      continue;
    }
    if (part.empty() || part.size() > 4 || n >= max_words) return -1;
    uint16_t w = 0;
    for (char c : part) {
      int d = HexDigit(c);
      if (d < 0) return -1;
      w = static_cast<uint16_t>(w << 4 | d);
    }
    words[n++] = w;
  }
  return n;
}

std::optional<IpAddress> ParseV6(std::string_view text) {
  uint16_t words[8] = {};
  size_t gap = text.find("::");
  if (gap == text.npos) {
    if (ParseGroups(text, words, 8, true) != 8) return std::nullopt;
  } else {
    std::string_view head = text.substr(0, gap);
    std::string_view tail = text.substr(gap + 2);
    if (tail.find("::") != tail.npos) return std::nullopt;
    uint16_t tail_words[8] = {};
    int h = ParseGroups(head, words, 8, false);
    int t = ParseGroups(tail, tail_words, 8, true);
    if (h < 0 || t < 0 || h + t > 7) return std::nullopt;
    for (int i = 0; i < t; ++i) words[8 - t + i] = tail_words[i];
  }
  std::array<uint8_t, 16> bytes{};
  for (int i = 0; i < 8; ++i) {
    bytes[2 * i] = static_cast<uint8_t>(words[i] >> 8);
    bytes[2 * i + 1] = static_cast<uint8_t>(words[i]);
  }
  return IpAddress::V6(bytes);
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.find(':') != text.npos) return ParseV6(text);
  return ParseV4(text);
}

std::string IpAddress::ToString() const {
  if (is_v4()) {
    return absl::StrCat(bytes_[0], ".", bytes_[1], ".", bytes_[2], ".",
                        bytes_[3]);
  }
  uint16_t words[8];
  for (int i = 0; i < 8; ++i) {
    words[i] = static_cast<uint16_t>(bytes_[2 * i] << 8 | bytes_[2 * i + 1]);
  }
  // RFC 5952 §4.2: compress the longest run (leftmost on ties) of two or
  // more zero words.
  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (words[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && words[j] == 0) ++j;
    if (j - i > best_len && j - i >= 2) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    char buf[5];
    std::snprintf(buf, sizeof(buf), "%x", words[i]);
    out += buf;
  }
  return out;
}

std::string TransportAddress::ToString() const {
  if (ip.is_v4()) return absl::StrCat(ip.ToString(), ":", port);
  return absl::StrCat("[", ip.ToString(), "]:", port);
}

std::optional<TransportAddress> TransportAddress::Parse(std::string_view text) {
  std::string_view host, port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find("]:");
    if (close == text.npos) return std::nullopt;
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    if (host.find(':') == host.npos) return std::nullopt;
  } else {
    size_t colon = text.rfind(':');
    if (colon == text.npos) return std::nullopt;
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != host.npos) return std::nullopt;
  }
  std::optional<IpAddress> ip = IpAddress::Parse(host);
  uint32_t port = 0;
  if (!ip || port_text.empty() ||
      port_text.find_first_not_of("0123456789") != port_text.npos ||
      !absl::SimpleAtoi(ToAbsl(port_text), &port) || port > 65535) {
    return std::nullopt;
  }
  return TransportAddress{*ip, static_cast<uint16_t>(port)};
}

}  // namespace turnpike
