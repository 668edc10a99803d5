#include "runtime/host_addresses.h"

#include <uv.h>

#include <cstdint>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "core/util/absl_compat.h"
#include "runtime/socket_address.h"

namespace turnpike::runtime {
namespace {

enum class Scope : uint8_t { kUnusable, kPrivate, kGlobal };

struct Classified {
  Scope scope;
  std::string_view why;  // for kUnusable: the reason it was skipped
};

Classified ClassifyV4(const IpAddress& ip) {
  const uint32_t a = ip.v4_host_order();
  const auto in = [a](uint32_t prefix, int bits) {
    return (a >> (32 - bits)) == (prefix >> (32 - bits));
  };
  if (a == 0) return {Scope::kUnusable, "unspecified"};
  if (in(0x7F000000, 8)) return {Scope::kUnusable, "loopback"};
  if (in(0xA9FE0000, 16)) return {Scope::kUnusable, "link-local"};
  if (in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16) ||
      in(0x64400000, 10)) {
    return {Scope::kPrivate, ""};
  }
  return {Scope::kGlobal, ""};
}

Classified ClassifyV6(const IpAddress& ip) {
  const auto& b = ip.bytes();
  bool all_zero_but_last = true;
  for (int i = 0; i < 15; ++i) all_zero_but_last &= b[i] == 0;
  if (all_zero_but_last && b[15] == 0) return {Scope::kUnusable, "unspecified"};
  if (all_zero_but_last && b[15] == 1) return {Scope::kUnusable, "loopback"};
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) {
    return {Scope::kUnusable, "link-local"};
  }
  if ((b[0] & 0xFE) == 0xFC) return {Scope::kPrivate, ""};
  return {Scope::kGlobal, ""};
}

struct FamilyPick {
  std::optional<IpAddress> global;
  std::optional<IpAddress> private_one;
  std::string skipped;  // "::1 on lo: loopback, ..."
};

std::string MissingReason(std::string_view family, const FamilyPick& pick) {
  if (pick.skipped.empty()) {
    return absl::StrCat("no ", ToAbsl(family), " interface address");
  }
  return absl::StrCat("no usable ", ToAbsl(family),
                      " interface address (skipped ", pick.skipped, ")");
}

}  // namespace

HostRelayAddresses PickRelayAddresses(
    absl::Span<const InterfaceAddress> addresses) {
  FamilyPick v4;
  FamilyPick v6;
  for (const InterfaceAddress& entry : addresses) {
    const IpAddress& ip = entry.address;
    FamilyPick& pick = ip.is_v4() ? v4 : v6;
    const Classified c = ip.is_v4() ? ClassifyV4(ip) : ClassifyV6(ip);
    switch (c.scope) {
      case Scope::kGlobal:
        if (!pick.global) pick.global = ip;
        break;
      case Scope::kPrivate:
        if (!pick.private_one) pick.private_one = ip;
        break;
      case Scope::kUnusable:
        absl::StrAppend(&pick.skipped, pick.skipped.empty() ? "" : ", ",
                        ip.ToString(), " on ", entry.interface_name, ": ",
                        ToAbsl(c.why));
        break;
    }
  }
  HostRelayAddresses result;
  result.ipv4 = v4.global ? v4.global : v4.private_one;
  result.ipv6 = v6.global ? v6.global : v6.private_one;
  if (!result.ipv4) result.ipv4_missing_reason = MissingReason("IPv4", v4);
  if (!result.ipv6) result.ipv6_missing_reason = MissingReason("IPv6", v6);
  return result;
}

absl::StatusOr<std::vector<InterfaceAddress>> ListInterfaceAddresses() {
  uv_interface_address_t* list = nullptr;
  int count = 0;
  if (const int rc = uv_interface_addresses(&list, &count); rc != 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot list the host's interface addresses: ", uv_strerror(rc)));
  }
  std::vector<InterfaceAddress> out;
  out.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    const uv_interface_address_t& entry = list[i];
    if (entry.is_internal) continue;
    // address4 and address6 share storage; the family field says which.
    const std::optional<TransportAddress> address =
        FromSockaddr(reinterpret_cast<const sockaddr*>(&entry.address));
    if (!address) continue;
    out.push_back(InterfaceAddress{entry.name, address->ip});
  }
  uv_free_interface_addresses(list, count);
  return out;
}

}  // namespace turnpike::runtime
