#include "core/stun/opaque_string.h"

namespace turnpike::stun {
namespace {

// Decodes one UTF-8 sequence at `in[*pos]`; returns the code point or -1.
int32_t DecodeUtf8(std::string_view in, size_t* pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(in[i]); };
  const uint8_t lead = byte(*pos);
  int32_t cp;
  size_t extra;
  int32_t min;
  if (lead < 0x80) {
    ++*pos;
    return lead;
  } else if ((lead & 0xE0) == 0xC0) {
    cp = lead & 0x1F, extra = 1, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    cp = lead & 0x0F, extra = 2, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    cp = lead & 0x07, extra = 3, min = 0x10000;
  } else {
    return -1;
  }
  if (in.size() - *pos <= extra) return -1;
  for (size_t i = 1; i <= extra; ++i) {
    const uint8_t b = byte(*pos + i);
    if ((b & 0xC0) != 0x80) return -1;
    cp = cp << 6 | (b & 0x3F);
  }
  // Overlong forms, UTF-16 surrogates and values past Unicode are not UTF-8
  // (RFC 3629 §3).
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  *pos += extra + 1;
  return cp;
}

// Unicode general category Zs, excluding U+0020 itself.
bool IsNonAsciiSpace(int32_t cp) {
  return cp == 0x00A0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool IsDisallowed(int32_t cp) {
  const bool control = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
  const bool noncharacter =
      (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
  return control || noncharacter;
}

}  // namespace

Expected<std::string, PrecisError> PrepareOpaqueString(std::string_view input) {
  if (input.empty()) return Unexpected(PrecisError::kEmpty);
  std::string out;
  out.reserve(input.size());
  size_t pos = 0;
  while (pos < input.size()) {
    const size_t start = pos;
    const int32_t cp = DecodeUtf8(input, &pos);
    if (cp < 0) return Unexpected(PrecisError::kInvalidUtf8);
    if (IsDisallowed(cp)) return Unexpected(PrecisError::kDisallowedCodePoint);
    if (IsNonAsciiSpace(cp)) {
      out.push_back(' ');
    } else {
      out.append(input.substr(start, pos - start));
    }
  }
  return out;
}

}  // namespace turnpike::stun
