#include "runtime/transport/dtls_client_hello.h"

#include <cstddef>

namespace turnpike::runtime {
namespace {

constexpr size_t kRecordHeader = 13;     // RFC 6347 §4.1
constexpr size_t kHandshakeHeader = 12;  // RFC 6347 §4.2.2
constexpr uint8_t kContentHandshake = 22;
constexpr uint8_t kClientHello = 1;
// DTLS versions are 0xfeXX (1.0 = 0xfeff, 1.2 = 0xfefd).
constexpr uint8_t kDtlsMajor = 0xfe;
// version(2) + random(32) + session_id length(1) + cookie length(1) +
// cipher_suites length(2) + one suite(2) + compression length(1) + null(1).
constexpr size_t kMinClientHelloBody = 2 + 32 + 1 + 1 + 2 + 2 + 1 + 1;

uint32_t Read24(const uint8_t* p) {
  return uint32_t{p[0]} << 16 | uint32_t{p[1]} << 8 | p[2];
}

}  // namespace

bool IsDtlsClientHello(absl::Span<const uint8_t> datagram) {
  if (datagram.size() < kRecordHeader + kHandshakeHeader) return false;
  const uint8_t* record = datagram.data();
  if (record[0] != kContentHandshake || record[1] != kDtlsMajor) return false;
  // Epoch 0: the hello is sent in the clear (§4.1).
  if (record[3] != 0 || record[4] != 0) return false;
  const size_t record_length = size_t{record[11]} << 8 | record[12];
  if (record_length < kHandshakeHeader ||
      record_length > datagram.size() - kRecordHeader) {
    return false;
  }
  const uint8_t* handshake = record + kRecordHeader;
  if (handshake[0] != kClientHello) return false;
  const uint32_t length = Read24(handshake + 1);
  const uint32_t fragment_offset = Read24(handshake + 6);
  const uint32_t fragment_length = Read24(handshake + 9);
  // Whole, in this one record: a server keeps no reassembly buffer for a
  // client it has not heard a hello from.
  if (fragment_offset != 0 || fragment_length != length ||
      length < kMinClientHelloBody ||
      length > record_length - kHandshakeHeader) {
    return false;
  }
  return handshake[kHandshakeHeader] == kDtlsMajor;
}

}  // namespace turnpike::runtime
