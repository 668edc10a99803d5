// The OpaqueString profile of RFC 8265 §4.2, which RFC 8489 §9.2.2 requires
// for usernames, realms and passwords before they are hashed into a key.
//
// What is implemented (docs/architecture.md repeats this):
//   * the input must be well-formed UTF-8 (no overlongs, surrogates or code
//     points above U+10FFFF) and non-empty;
//   * additional mapping rule: non-ASCII space separators (Unicode Zs, e.g.
//     U+00A0, U+3000) become U+0020;
//   * disallowed: control characters (Cc, U+0000-U+001F, U+007F-U+009F),
//     surrogates and noncharacters (U+FDD0-U+FDEF, U+xFFFE/U+xFFFF);
//   * not implemented: NFC normalization and the full derived-property table
//     of RFC 8264 (unassigned code points are passed through). Input that is
//     already NFC, as every mainstream client sends, is unaffected.
#ifndef TURNPIKE_CORE_STUN_OPAQUE_STRING_H_
#define TURNPIKE_CORE_STUN_OPAQUE_STRING_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/util/expected.h"

namespace turnpike::stun {

enum class PrecisError : uint8_t {
  kEmpty,
  kInvalidUtf8,
  kDisallowedCodePoint,
};

Expected<std::string, PrecisError> PrepareOpaqueString(std::string_view input);

}  // namespace turnpike::stun

#endif  // TURNPIKE_CORE_STUN_OPAQUE_STRING_H_
