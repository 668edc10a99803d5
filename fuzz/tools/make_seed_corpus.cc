// Writes the seed corpora under fuzz/corpus/ (docs/fuzzing.md): the RFC test
// vectors converted from hex, plus messages built with MessageBuilder that
// cover each STUN/TURN method and attribute family, ChannelData frames, and
// byte streams for the framer. Deterministic: the same build writes the same
// bytes, so regenerating only shows a diff when the codec's output changed.
//
//   make_seed_corpus <corpus-dir> [vector.hex ...]
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "core/net/transport_address.h"
#include "core/stun/attributes.h"
#include "core/stun/channel_data.h"
#include "core/stun/constants.h"
#include "core/stun/message_builder.h"
#include "core/stun/stream_framer.h"
#include "core/util/byte_io.h"
#include "fuzz/fuzz_support.h"

namespace turnpike::stun {
namespace {

namespace fs = std::filesystem;
using AT = AttributeType;
using Bytes = std::vector<uint8_t>;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "make_seed_corpus: %s\n", message.c_str());
  std::exit(1);
}

void WriteFile(const fs::path& path, absl::Span<const uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) Die("cannot write " + path.string());
}

// The shared/vectors format: hex byte pairs separated by whitespace.
Bytes ReadHex(const fs::path& path) {
  std::ifstream in(path);
  if (!in) Die("cannot read " + path.string());
  Bytes out;
  std::string token;
  while (in >> token) {
    if (token.size() != 2)
      Die("bad hex token '" + token + "' in " + path.string());
    out.push_back(static_cast<uint8_t>(std::stoul(token, nullptr, 16)));
  }
  return out;
}

// A recognisable, distinct transaction ID per seed: "tp-fuzz-" + 4 digits.
TransactionId Tid(int n) {
  char text[13];
  std::snprintf(text, sizeof(text), "tp-fuzz-%04d", n);
  TransactionId id;
  std::copy_n(text, id.size(), id.begin());
  return id;
}

// Documentation addresses only (RFC 5737, RFC 3849).
TransportAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  return {IpAddress::V4({a, b, c, d}), port};
}
TransportAddress V6(uint8_t last, uint16_t port) {
  return {IpAddress::V6(
              {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last}),
          port};
}

absl::Span<const uint8_t> AsBytes(std::string_view s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                             s.size());
}

Bytes Build(MessageClass message_class, Method method, int id,
            const std::function<void(MessageBuilder&)>& fill) {
  std::vector<uint8_t> buffer(4096);
  MessageBuilder builder(absl::MakeSpan(buffer), message_class, method,
                         Tid(id));
  fill(builder);
  const auto encoded = builder.Finish();
  if (!encoded.ok()) Die("builder failed for seed " + std::to_string(id));
  return Bytes(encoded->begin(), encoded->end());
}

constexpr std::string_view kUsername = "fuzz-user";
constexpr std::string_view kRealm = "turnpike.example";
// RFC 8489 §9.2: a nonce starting with the "obMatJos2" cookie carries
// security feature bits in its next four characters.
constexpr std::string_view kNonce = "obMatJos2AAABmNm1x9eHoQ";

struct Seed {
  std::string name;
  Bytes bytes;
};

std::vector<Seed> StunSeeds() {
  using MC = MessageClass;
  const auto key = fuzz::FuzzKey();
  std::vector<Seed> seeds;
  auto add = [&](std::string name, Bytes bytes) {
    seeds.push_back({std::move(name), std::move(bytes)});
  };

  add("binding-request",
      Build(MC::kRequest, Method::kBinding, 1, [](MessageBuilder&) {}));
  add("binding-success-fingerprint",
      Build(MC::kSuccessResponse, Method::kBinding, 2, [](MessageBuilder& b) {
        b.AddXorAddress(AT::kXorMappedAddress, V4(192, 0, 2, 1, 32853))
            .AddString(AT::kSoftware, "turnpike fuzz seed")
            .AddFingerprint();
      }));
  add("allocate-request",
      Build(MC::kRequest, Method::kAllocate, 3, [](MessageBuilder& b) {
        b.AddRequestedTransport(17).AddLifetime(600).AddEvenPort(true).AddEmpty(
            AT::kDontFragment);
      }));
  add("allocate-request-authenticated",
      Build(MC::kRequest, Method::kAllocate, 4, [&](MessageBuilder& b) {
        b.AddRequestedTransport(17)
            .AddString(AT::kUsername, kUsername)
            .AddString(AT::kRealm, kRealm)
            .AddString(AT::kNonce, kNonce)
            .AddMessageIntegrity(key)
            .AddFingerprint();
      }));
  add("allocate-request-dual-stack",
      Build(MC::kRequest, Method::kAllocate, 5, [](MessageBuilder& b) {
        b.AddRequestedTransport(17).AddAdditionalAddressFamily(0x02);
      }));
  add("allocate-request-reservation-token",
      Build(MC::kRequest, Method::kAllocate, 6, [](MessageBuilder& b) {
        b.AddRequestedTransport(17)
            .AddRequestedAddressFamily(0x01)
            .AddReservationToken(0x0123456789abcdefu);
      }));
  add("allocate-success",
      Build(MC::kSuccessResponse, Method::kAllocate, 7, [&](MessageBuilder& b) {
        b.AddXorAddress(AT::kXorRelayedAddress, V4(203, 0, 113, 7, 49152))
            .AddXorAddress(AT::kXorRelayedAddress, V6(7, 49153))
            .AddXorAddress(AT::kXorMappedAddress, V4(198, 51, 100, 20, 50000))
            .AddLifetime(600)
            .AddMessageIntegrity(key)
            .AddFingerprint();
      }));
  add("allocate-success-address-error-code",
      Build(MC::kSuccessResponse, Method::kAllocate, 8, [](MessageBuilder& b) {
        b.AddXorAddress(AT::kXorRelayedAddress, V4(203, 0, 113, 7, 49154))
            .AddAddressErrorCode(0x02, 440, "Address Family not Supported")
            .AddXorAddress(AT::kXorMappedAddress, V4(198, 51, 100, 20, 50001))
            .AddLifetime(600);
      }));
  add("allocate-error-401",
      Build(MC::kErrorResponse, Method::kAllocate, 9, [](MessageBuilder& b) {
        const PasswordAlgorithmValue algorithms[] = {
            {static_cast<uint16_t>(PasswordAlgorithmId::kSha256), {}},
            {static_cast<uint16_t>(PasswordAlgorithmId::kMd5), {}},
        };
        b.AddErrorCode(401)
            .AddString(AT::kRealm, kRealm)
            .AddString(AT::kNonce, kNonce)
            .AddPasswordAlgorithms(algorithms)
            .AddFingerprint();
      }));
  add("allocate-error-438-stale-nonce",
      Build(MC::kErrorResponse, Method::kAllocate, 10, [](MessageBuilder& b) {
        b.AddErrorCode(438)
            .AddString(AT::kRealm, kRealm)
            .AddString(AT::kNonce, kNonce);
      }));
  add("refresh-request-lifetime-zero",
      Build(MC::kRequest, Method::kRefresh, 11, [&](MessageBuilder& b) {
        b.AddLifetime(0)
            .AddString(AT::kUsername, kUsername)
            .AddString(AT::kRealm, kRealm)
            .AddString(AT::kNonce, kNonce)
            .AddMessageIntegrity(key);
      }));
  add("createpermission-request-two-peers",
      Build(MC::kRequest, Method::kCreatePermission, 12,
            [&](MessageBuilder& b) {
              b.AddXorAddress(AT::kXorPeerAddress, V4(192, 0, 2, 15, 0))
                  .AddXorAddress(AT::kXorPeerAddress, V6(15, 0))
                  .AddString(AT::kUsername, kUsername)
                  .AddString(AT::kRealm, kRealm)
                  .AddString(AT::kNonce, kNonce)
                  .AddMessageIntegritySha256(key)
                  .AddFingerprint();
            }));
  add("channelbind-request",
      Build(MC::kRequest, Method::kChannelBind, 13, [&](MessageBuilder& b) {
        b.AddChannelNumber(0x4001)
            .AddXorAddress(AT::kXorPeerAddress, V4(192, 0, 2, 15, 5004))
            .AddMessageIntegrity(key);
      }));
  add("send-indication-data",
      Build(MC::kIndication, Method::kSend, 14, [](MessageBuilder& b) {
        b.AddXorAddress(AT::kXorPeerAddress, V4(192, 0, 2, 15, 5004))
            .AddEmpty(AT::kDontFragment)
            .AddBytes(AT::kData, AsBytes("thirteen byte"));
      }));
  add("data-indication-icmp",
      Build(MC::kIndication, Method::kData, 15, [](MessageBuilder& b) {
        // RFC 8656 §11.6: an ICMP error from the peer (port unreachable).
        b.AddXorAddress(AT::kXorPeerAddress, V4(192, 0, 2, 15, 5004))
            .AddIcmp({3, 3, 0});
      }));
  add("binding-request-rfc5780",
      Build(MC::kRequest, Method::kBinding, 16, [](MessageBuilder& b) {
        b.AddChangeRequest({true, true})
            .AddResponsePort(40000)
            .AddBytes(AT::kPadding, std::vector<uint8_t>(64, 0));
      }));
  add("binding-success-rfc5780",
      Build(MC::kSuccessResponse, Method::kBinding, 17, [](MessageBuilder& b) {
        b.AddAddress(AT::kMappedAddress, V4(198, 51, 100, 20, 50002))
            .AddXorAddress(AT::kXorMappedAddress, V4(198, 51, 100, 20, 50002))
            .AddAddress(AT::kResponseOrigin, V4(203, 0, 113, 1, 3478))
            .AddAddress(AT::kOtherAddress, V4(203, 0, 113, 2, 3479));
      }));
  add("binding-request-ice",
      Build(MC::kRequest, Method::kBinding, 18, [&](MessageBuilder& b) {
        b.AddString(AT::kUsername, "remote:local")
            .AddUint32(AT::kPriority, 0x6e0001ff)
            .AddUint64(AT::kIceControlling, 0x932ff9b151263b36u)
            .AddEmpty(AT::kUseCandidate)
            .AddMessageIntegrity(key)
            .AddFingerprint();
      }));
  add("binding-request-userhash-sha256-truncated",
      Build(MC::kRequest, Method::kBinding, 19, [&](MessageBuilder& b) {
        b.AddBytes(AT::kUserhash, std::vector<uint8_t>(kUserhashSize, 0xab))
            .AddString(AT::kNonce, kNonce)
            .AddString(AT::kRealm, kRealm)
            .AddPasswordAlgorithm(
                {static_cast<uint16_t>(PasswordAlgorithmId::kSha256), {}})
            .AddMessageIntegritySha256(key, 16)
            .AddFingerprint();
      }));
  add("binding-success-both-integrities",
      Build(MC::kSuccessResponse, Method::kBinding, 20, [&](MessageBuilder& b) {
        b.AddXorAddress(AT::kXorMappedAddress, V6(20, 50003))
            .AddMessageIntegrity(key)
            .AddMessageIntegritySha256(key)
            .AddFingerprint();
      }));
  add("error-420-unknown-attributes",
      Build(MC::kErrorResponse, Method::kAllocate, 21, [](MessageBuilder& b) {
        const uint16_t unknown[] = {0x0031, 0x7ffe};
        b.AddErrorCode(420).AddUnknownAttributes(unknown);
      }));
  add("request-unknown-attributes",
      Build(MC::kRequest, Method::kBinding, 22, [](MessageBuilder& b) {
        // One unknown comprehension-required, one comprehension-optional.
        b.AddBytes(uint16_t{0x0031}, AsBytes("x"))
            .AddBytes(uint16_t{0xc001}, AsBytes("optional"));
      }));
  add("error-300-alternate-server",
      Build(MC::kErrorResponse, Method::kAllocate, 23, [](MessageBuilder& b) {
        b.AddErrorCode(300)
            .AddAddress(AT::kAlternateServer, V6(23, 3478))
            .AddString(AT::kAlternateDomain, "turn2.turnpike.example");
      }));
  add("connect-request-rfc6062",
      Build(MC::kRequest, Method::kConnect, 24, [](MessageBuilder& b) {
        b.AddXorAddress(AT::kXorPeerAddress, V4(192, 0, 2, 80, 80));
      }));
  add("connectionbind-request-rfc6062",
      Build(MC::kRequest, Method::kConnectionBind, 25,
            [](MessageBuilder& b) { b.AddConnectionId(0x2a2a2a2a); }));
  add("connectionattempt-indication-rfc6062",
      Build(MC::kIndication, Method::kConnectionAttempt, 26,
            [](MessageBuilder& b) {
              b.AddConnectionId(7).AddXorAddress(AT::kXorPeerAddress,
                                                 V6(26, 443));
            }));

  // RFC 8489 §14.5: attributes after MESSAGE-INTEGRITY are ignored. The
  // builder refuses to write one, so append it by hand.
  Bytes after =
      Build(MC::kRequest, Method::kBinding, 27, [&](MessageBuilder& b) {
        b.AddString(AT::kUsername, kUsername).AddMessageIntegrity(key);
      });
  const std::string_view ignored = "ignored!";
  const uint8_t attribute_header[] = {0x80, 0x22, 0x00,
                                      static_cast<uint8_t>(ignored.size())};
  after.insert(after.end(), std::begin(attribute_header),
               std::end(attribute_header));
  after.insert(after.end(), ignored.begin(), ignored.end());
  StoreBe16(&after[2], static_cast<uint16_t>(after.size() - kHeaderSize));
  add("attribute-after-message-integrity", std::move(after));
  return seeds;
}

Bytes ChannelData(uint16_t channel, absl::Span<const uint8_t> payload,
                  bool stream) {
  const auto header =
      EncodeChannelDataHeader(channel, static_cast<uint16_t>(payload.size()));
  Bytes out(header.begin(), header.end());
  out.insert(out.end(), payload.begin(), payload.end());
  out.insert(out.end(), ChannelDataPadding(payload.size(), stream), 0);
  return out;
}

// An RTP-looking payload: 12-byte header then 160 bytes of audio.
Bytes RtpPayload() {
  Bytes rtp = {0x80, 0x00, 0x12, 0x34, 0x00, 0x00,
               0x03, 0x20, 0xde, 0xad, 0xbe, 0xef};
  for (int i = 0; i < 160; ++i) rtp.push_back(static_cast<uint8_t>(i * 7));
  return rtp;
}

std::vector<Seed> ChannelDataSeeds() {
  std::vector<Seed> seeds;
  seeds.push_back({"empty-payload-0x4000", ChannelData(0x4000, {}, false)});
  seeds.push_back({"five-bytes-0x4fff-stream-padded",
                   ChannelData(0x4fff, AsBytes("hello"), true)});
  seeds.push_back(
      {"rtp-172-bytes-0x4001", ChannelData(0x4001, RtpPayload(), false)});
  Bytes trailing = ChannelData(0x4123, AsBytes("abcd"), false);
  trailing.insert(trailing.end(), 8, 0xee);
  seeds.push_back({"trailing-bytes-ignored", std::move(trailing)});
  seeds.push_back(
      {"reserved-channel-0x5000", ChannelData(0x5000, AsBytes("nope"), false)});
  Bytes overrun = ChannelData(0x4002, AsBytes("short"), false);
  overrun.pop_back();
  seeds.push_back({"length-overrun", std::move(overrun)});
  return seeds;
}

// The stream_framing_fuzzer input: [bound (2 bytes)][k-1][k chunk sizes]
// followed by the stream (layout in stream_framing_fuzzer.cc).
Bytes StreamInput(uint16_t bound, std::vector<uint8_t> chunk_sizes,
                  const std::vector<Bytes>& pieces) {
  Bytes out(2);
  StoreBe16(out.data(), bound);
  out.push_back(static_cast<uint8_t>(chunk_sizes.size() - 1));
  out.insert(out.end(), chunk_sizes.begin(), chunk_sizes.end());
  for (const Bytes& piece : pieces) {
    out.insert(out.end(), piece.begin(), piece.end());
  }
  return out;
}

std::vector<Seed> StreamSeeds(const std::vector<Seed>& stun) {
  auto find = [&](std::string_view name) {
    for (const Seed& s : stun) {
      if (s.name == name) return s.bytes;
    }
    Die("no seed named " + std::string(name));
  };
  const Bytes binding = find("binding-request");
  const Bytes allocate = find("allocate-request-authenticated");
  const Bytes success = find("allocate-success");
  const Bytes send = find("send-indication-data");
  const Bytes cd_padded = ChannelData(0x4fff, AsBytes("hello"), true);
  const Bytes cd_empty = ChannelData(0x4000, {}, true);
  const Bytes cd_rtp = ChannelData(0x4001, RtpPayload(), true);
  const std::vector<Bytes> mixed = {binding,  cd_padded, success,
                                    cd_empty, send,      cd_rtp};
  constexpr uint16_t kDefaultBound = 0xffff;

  std::vector<Seed> seeds;
  seeds.push_back({"mixed-one-read", StreamInput(kDefaultBound, {255}, mixed)});
  seeds.push_back(
      {"mixed-one-byte-reads", StreamInput(kDefaultBound, {1}, mixed)});
  seeds.push_back({"mixed-uneven-reads",
                   StreamInput(kDefaultBound, {3, 0, 17, 64, 2}, mixed)});
  // A bound of 8 + 92 = 100 bytes: the Allocate success is larger.
  seeds.push_back({"frame-over-bound",
                   StreamInput(92, {255}, {binding, cd_padded, success})});
  seeds.push_back({"not-turn-after-frame",
                   StreamInput(kDefaultBound, {7},
                               {binding, Bytes{0xc0, 0x01, 0x02, 0x03}})});
  Bytes bad_cookie = binding;
  bad_cookie[4] ^= 0xff;
  seeds.push_back({"bad-cookie-after-channel-data",
                   StreamInput(kDefaultBound, {9}, {cd_padded, bad_cookie})});
  Bytes bad_length = binding;
  bad_length[3] = 0x02;
  seeds.push_back({"stun-length-not-multiple-of-4",
                   StreamInput(kDefaultBound, {255}, {bad_length})});
  seeds.push_back({"reserved-channel",
                   StreamInput(kDefaultBound, {2},
                               {ChannelData(0x7000, AsBytes("x"), true)})});
  Bytes half(allocate.begin(), allocate.begin() + allocate.size() / 2);
  seeds.push_back(
      {"ends-mid-frame", StreamInput(kDefaultBound, {5}, {allocate, half})});
  Bytes unpadded = ChannelData(0x4fff, AsBytes("hello"), false);
  seeds.push_back({"channel-data-waiting-for-padding",
                   StreamInput(kDefaultBound, {4}, {binding, unpadded})});
  return seeds;
}

void WriteSeeds(const fs::path& dir, const std::vector<Seed>& seeds) {
  fs::create_directories(dir);
  for (const Seed& seed : seeds) WriteFile(dir / seed.name, seed.bytes);
  std::printf("%zu seeds in %s\n", seeds.size(), dir.string().c_str());
}

int Main(int argc, char** argv) {
  if (argc < 2) Die("usage: make_seed_corpus <corpus-dir> [vector.hex ...]");
  const fs::path root = argv[1];
  std::vector<Seed> stun = StunSeeds();
  for (int i = 2; i < argc; ++i) {
    const fs::path vector = argv[i];
    stun.push_back({vector.stem().string(), ReadHex(vector)});
  }
  WriteSeeds(root / "stun_message", stun);
  WriteSeeds(root / "channel_data", ChannelDataSeeds());
  WriteSeeds(root / "stream_framing", StreamSeeds(stun));
  return 0;
}

}  // namespace
}  // namespace turnpike::stun

int main(int argc, char** argv) { return turnpike::stun::Main(argc, argv); }
