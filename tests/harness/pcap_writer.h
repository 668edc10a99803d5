// Writes UDP/IPv4 datagrams into a classic libpcap file so that third-party
// dissectors (tshark) can judge what our encoder produced. The IPv4 and UDP
// headers, checksums included, are built here by hand: no socket is used.
#ifndef TURNPIKE_TESTS_HARNESS_PCAP_WRITER_H_
#define TURNPIKE_TESTS_HARNESS_PCAP_WRITER_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"

namespace turnpike::testing {

struct UdpDatagram {
  std::array<uint8_t, 4> source_ip{};
  uint16_t source_port = 0;
  std::array<uint8_t, 4> destination_ip{};
  uint16_t destination_port = 0;
  std::vector<uint8_t> payload;
};

// RFC 1071 one's-complement sum of `bytes`, folded and complemented.
uint16_t InternetChecksum(absl::Span<const uint8_t> bytes);

// An IPv4 header (RFC 791, no options, DF set) + UDP header (RFC 768, with
// the pseudo-header checksum) + payload.
std::vector<uint8_t> EncodeIpv4Udp(const UdpDatagram& datagram);

// A pcap file (magic 0xa1b2c3d4, version 2.4, LINKTYPE_RAW = 101) holding one
// record per IPv4 packet (as EncodeIpv4Udp makes them), timestamps one
// millisecond apart. False on I/O error.
bool WritePcap(const std::string& path,
               const std::vector<std::vector<uint8_t>>& ip_packets);

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_HARNESS_PCAP_WRITER_H_
