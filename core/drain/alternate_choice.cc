#include "core/drain/alternate_choice.h"

namespace turnpike::core::drain {

uint32_t ClientHash(const IpAddress& ip) {
  // FNV-1a: the offset basis and prime of the 32-bit variant.
  uint32_t hash = 2166136261u;
  const size_t size = ip.is_v4() ? 4 : 16;
  for (size_t i = 0; i < size; ++i) {
    hash ^= ip.bytes()[i];
    hash *= 16777619u;
  }
  return hash;
}

std::optional<TransportAddress> ChooseAlternate(
    absl::Span<const TransportAddress> alternates, const IpAddress& client) {
  size_t count = 0;
  for (const TransportAddress& a : alternates) {
    if (a.family() == client.family()) ++count;
  }
  if (count == 0) return std::nullopt;
  size_t wanted = ClientHash(client) % count;
  for (const TransportAddress& a : alternates) {
    if (a.family() != client.family()) continue;
    if (wanted == 0) return a;
    --wanted;
  }
  return std::nullopt;  // unreachable: count matched above
}

}  // namespace turnpike::core::drain
