#include "tests/harness/pcap_writer.h"

#include <algorithm>
#include <fstream>

#include "core/util/byte_io.h"

namespace turnpike::testing {
namespace {

constexpr size_t kIpv4HeaderSize = 20;
constexpr size_t kUdpHeaderSize = 8;
constexpr uint8_t kProtocolUdp = 17;
constexpr uint32_t kLinktypeRaw = 101;  // the packet starts at the IP header

// Accumulates 16-bit big-endian words; an odd trailing byte is padded with
// zero (RFC 768, RFC 1071).
uint32_t SumWords(absl::Span<const uint8_t> bytes, uint32_t sum = 0) {
  size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) sum += LoadBe16(&bytes[i]);
  if (i < bytes.size()) sum += uint32_t{bytes[i]} << 8;
  return sum;
}

uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

void AppendLe32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void AppendLe16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v));
  out.push_back(static_cast<uint8_t>(v >> 8));
}

}  // namespace

uint16_t InternetChecksum(absl::Span<const uint8_t> bytes) {
  return Fold(SumWords(bytes));
}

std::vector<uint8_t> EncodeIpv4Udp(const UdpDatagram& d) {
  const size_t udp_length = kUdpHeaderSize + d.payload.size();
  const size_t total = kIpv4HeaderSize + udp_length;
  std::vector<uint8_t> p(total, 0);
  // IPv4 header.
  p[0] = 0x45;  // version 4, IHL 5 words
  StoreBe16(&p[2], static_cast<uint16_t>(total));
  StoreBe16(&p[4], 0x1234);  // identification
  StoreBe16(&p[6], 0x4000);  // DF, fragment offset 0
  p[8] = 64;                 // TTL
  p[9] = kProtocolUdp;
  std::copy(d.source_ip.begin(), d.source_ip.end(), &p[12]);
  std::copy(d.destination_ip.begin(), d.destination_ip.end(), &p[16]);
  StoreBe16(&p[10],
            InternetChecksum(absl::MakeConstSpan(p).first(kIpv4HeaderSize)));
  // UDP header and payload.
  uint8_t* udp = &p[kIpv4HeaderSize];
  StoreBe16(udp, d.source_port);
  StoreBe16(udp + 2, d.destination_port);
  StoreBe16(udp + 4, static_cast<uint16_t>(udp_length));
  std::copy(d.payload.begin(), d.payload.end(), udp + kUdpHeaderSize);
  // RFC 768 pseudo-header: source, destination, zero, protocol, UDP length.
  uint8_t pseudo[12] = {};
  std::copy(d.source_ip.begin(), d.source_ip.end(), pseudo);
  std::copy(d.destination_ip.begin(), d.destination_ip.end(), pseudo + 4);
  pseudo[9] = kProtocolUdp;
  StoreBe16(pseudo + 10, static_cast<uint16_t>(udp_length));
  uint16_t checksum =
      Fold(SumWords(absl::MakeConstSpan(udp, udp_length), SumWords(pseudo)));
  // A computed zero is sent as all ones; zero means "no checksum".
  if (checksum == 0) checksum = 0xFFFF;
  StoreBe16(udp + 6, checksum);
  return p;
}

bool WritePcap(const std::string& path,
               const std::vector<std::vector<uint8_t>>& ip_packets) {
  std::vector<uint8_t> file;
  // Global header, little-endian as written by libpcap on x86.
  AppendLe32(file, 0xa1b2c3d4);
  AppendLe16(file, 2);
  AppendLe16(file, 4);
  AppendLe32(file, 0);      // thiszone
  AppendLe32(file, 0);      // sigfigs
  AppendLe32(file, 65535);  // snaplen
  AppendLe32(file, kLinktypeRaw);
  uint32_t usec = 0;
  for (const std::vector<uint8_t>& packet : ip_packets) {
    AppendLe32(file, 1700000000);  // a fixed time keeps the file reproducible
    AppendLe32(file, usec);
    AppendLe32(file, static_cast<uint32_t>(packet.size()));
    AppendLe32(file, static_cast<uint32_t>(packet.size()));
    file.insert(file.end(), packet.begin(), packet.end());
    usec += 1000;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(file.data()),
            static_cast<std::streamsize>(file.size()));
  return static_cast<bool>(out);
}

}  // namespace turnpike::testing
