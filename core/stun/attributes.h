// Decoded values of the STUN attributes whose content has structure. Views
// (string_view, Span) borrow from the message bytes they were read from.
#ifndef TURNPIKE_CORE_STUN_ATTRIBUTES_H_
#define TURNPIKE_CORE_STUN_ATTRIBUTES_H_

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "absl/types/span.h"
#include "core/net/transport_address.h"

namespace turnpike::stun {

// RFC 8489 §14.8: class * 100 + number, 300..699.
struct ErrorCodeValue {
  int code = 0;
  std::string_view reason;
  friend bool operator==(const ErrorCodeValue&,
                         const ErrorCodeValue&) = default;
};

// RFC 8489 §14.11/§14.12: one algorithm and its (usually empty) parameters.
struct PasswordAlgorithmValue {
  uint16_t algorithm = 0;
  absl::Span<const uint8_t> parameters;
  friend bool operator==(const PasswordAlgorithmValue& a,
                         const PasswordAlgorithmValue& b) {
    return a.algorithm == b.algorithm &&
           std::equal(a.parameters.begin(), a.parameters.end(),
                      b.parameters.begin(), b.parameters.end());
  }
};

// RFC 8656 §18.11: why one family of a dual allocation failed.
struct AddressErrorCodeValue {
  uint8_t family = 0;  // raw: 0x01 IPv4, 0x02 IPv6
  int code = 0;
  std::string_view reason;
  friend bool operator==(const AddressErrorCodeValue&,
                         const AddressErrorCodeValue&) = default;
};

// RFC 8656 §18.13.
struct IcmpValue {
  uint8_t type = 0;  // 7 bits
  uint8_t code = 0;
  uint32_t error_data = 0;
  friend bool operator==(const IcmpValue&, const IcmpValue&) = default;
};

// RFC 5780 §7.2.
struct ChangeRequestValue {
  bool change_ip = false;
  bool change_port = false;
  friend bool operator==(const ChangeRequestValue&,
                         const ChangeRequestValue&) = default;
};

}  // namespace turnpike::stun

#endif  // TURNPIKE_CORE_STUN_ATTRIBUTES_H_
