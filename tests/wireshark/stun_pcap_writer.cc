// Writes a pcap holding one TURN Allocate success response, as the server
// would send it from port 3478, so that Wireshark's STUN dissector can judge
// our encoder (tests/wireshark/tshark_stun_check.sh).
//
// Usage: turnpike_stun_pcap_writer OUT.pcap [--corrupt=MODE]
//   MODE breaks the packet on purpose so the check can prove it notices:
//   fingerprint   flip a bit in the FINGERPRINT value
//   body          flip a bit inside SOFTWARE (FINGERPRINT no longer matches)
//   length        make the STUN length 4 bytes longer than the datagram
//   udp-checksum  flip a bit in the UDP checksum
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/transport_address.h"
#include "core/stun/integrity.h"
#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"
#include "core/util/byte_io.h"
#include "tests/harness/pcap_writer.h"

namespace turnpike::testing {
namespace {

using stun::AttributeType;

// The values the shell check looks for in tshark's output.
constexpr char kRelayed[] = "203.0.113.10:49999";
constexpr char kMapped[] = "198.51.100.20:54321";
constexpr uint32_t kLifetime = 600;
constexpr std::string_view kSoftware = "turnpike codec test";

std::vector<uint8_t> AllocateSuccess() {
  const stun::TransactionId id = {0x6a, 0x2f, 0x00, 0x11, 0x22, 0x33,
                                  0x44, 0x55, 0x66, 0x77, 0x88, 0x99};
  const stun::HmacKey key = stun::LongTermKey(stun::PasswordAlgorithmId::kMd5,
                                              "alice", "example.org", "secret");
  std::vector<uint8_t> buffer(512);
  stun::MessageBuilder b(absl::MakeSpan(buffer),
                         stun::MessageClass::kSuccessResponse,
                         stun::Method::kAllocate, id);
  b.AddXorAddress(AttributeType::kXorRelayedAddress,
                  *TransportAddress::Parse(kRelayed))
      .AddXorAddress(AttributeType::kXorMappedAddress,
                     *TransportAddress::Parse(kMapped))
      .AddLifetime(kLifetime)
      .AddString(AttributeType::kSoftware, kSoftware)
      .AddMessageIntegrity(key)
      .AddFingerprint();
  auto out = b.Finish();
  if (!out.ok()) return {};
  return std::vector<uint8_t>(out->begin(), out->end());
}

int Run(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s OUT.pcap [--corrupt=MODE]\n", argv[0]);
    return 2;
  }
  const std::string mode =
      argc == 3 && std::strncmp(argv[2], "--corrupt=", 10) == 0
          ? std::string(argv[2] + 10)
          : (argc == 3 ? std::string("?") : std::string());
  std::vector<uint8_t> stun = AllocateSuccess();
  // Our own parser must accept what we hand to Wireshark.
  if (stun.empty() || !stun::MessageView::Parse(stun).ok()) {
    std::fprintf(stderr, "the builder produced an unparseable message\n");
    return 1;
  }
  if (mode == "fingerprint") {
    stun.back() ^= 0x01;
  } else if (mode == "body") {
    auto view = stun::MessageView::Parse(stun);
    stun[view->Find(AttributeType::kSoftware)->offset + 4] ^= 0x01;
  } else if (mode == "length") {
    StoreBe16(&stun[2], static_cast<uint16_t>(LoadBe16(&stun[2]) + 4));
  } else if (!mode.empty() && mode != "udp-checksum") {
    std::fprintf(stderr, "unknown corruption mode '%s'\n", mode.c_str());
    return 2;
  }

  UdpDatagram datagram;
  datagram.source_ip = {192, 0, 2, 1};
  datagram.source_port = 3478;  // the default STUN/TURN port
  datagram.destination_ip = {198, 51, 100, 20};
  datagram.destination_port = 54321;
  datagram.payload = stun;
  std::vector<uint8_t> packet = EncodeIpv4Udp(datagram);
  if (mode == "udp-checksum") packet[20 + 6] ^= 0x01;
  return WritePcap(argv[1], {packet}) ? 0 : 1;
}

}  // namespace
}  // namespace turnpike::testing

int main(int argc, char** argv) { return turnpike::testing::Run(argc, argv); }
