#include "fuzz/server_fuzz_config.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <string>

#include "core/response_budget.h"
#include "core/stun/channel_data.h"
#include "core/stun/constants.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/server_fuzz_world.h"

namespace turnpike::fuzz {
namespace {

template <typename T, size_t N>
T Pick(FuzzedDataProvider& in, const std::array<T, N>& choices) {
  return choices[in.ConsumeIntegralInRange<size_t>(0, N - 1)];
}

// Lengths at the edges: the shortest, the defaults' neighbourhood, the
// 4-byte padding boundaries and the RFC 8489 maximum.
constexpr std::array<size_t, 8> kRealmLengths = {1,   8,   63,  64,
                                                 380, 500, 762, 763};
constexpr std::array<size_t, 9> kSoftwareLengths = {0,   1,   20,  389, 392,
                                                    393, 400, 762, 763};

std::string Filled(size_t length, char first) {
  std::string text(length, 'x');
  if (!text.empty()) text[0] = first;
  return text;
}

}  // namespace

FuzzSetup VaryConfig(FuzzedDataProvider& in) {
  FuzzSetup setup{FuzzConfig(), kQuotaLimits};
  const uint8_t selector = in.ConsumeIntegral<uint8_t>();
  if (selector == 0) return setup;
  core::ServerConfig& config = setup.config;
  using std::chrono::seconds;

  if (selector & 0x01) config.realm = Filled(Pick(in, kRealmLengths), 'r');
  if (selector & 0x02) {
    const size_t software = Pick(in, kSoftwareLengths);
    if (software == 0) {
      config.software.reset();
    } else {
      config.software = Filled(software, 's');
    }
  }
  if (selector & 0x04) {
    using stun::PasswordAlgorithmId;
    static constexpr std::array<std::array<PasswordAlgorithmId, 2>, 2> kBoth = {
        {{PasswordAlgorithmId::kSha256, PasswordAlgorithmId::kMd5},
         {PasswordAlgorithmId::kMd5, PasswordAlgorithmId::kSha256}}};
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
      case 0:
      case 1: {
        const auto& both = kBoth[in.ConsumeBool()];
        config.password_algorithms.assign(both.begin(), both.end());
        break;
      }
      case 2:
        config.password_algorithms = {PasswordAlgorithmId::kSha256};
        break;
      default:
        config.password_algorithms = {PasswordAlgorithmId::kMd5};
        break;
    }
  }
  if (selector & 0x08) {
    static constexpr std::array<int, 4> kDefaults = {1, 60, 600, 3600};
    const int default_seconds = Pick(in, kDefaults);
    config.default_lifetime = seconds(default_seconds);
    config.max_lifetime =
        seconds(default_seconds + in.ConsumeIntegralInRange<int>(0, 86400));
  }
  if (selector & 0x10) {
    static constexpr std::array<int, 3> kNonce = {1, 30, 600};
    config.nonce_lifetime = seconds(Pick(in, kNonce));
  }
  if (selector & 0x20) {
    static constexpr std::array<uint64_t, 4> kRates = {0, 1, 4000, 1ull << 40};
    config.bandwidth_bytes_per_second = Pick(in, kRates);
    config.max_channel_number = in.ConsumeBool()
                                    ? stun::kMaxChannelNumber
                                    : stun::kMaxRfc5766ChannelNumber;
  }
  if (selector & 0x40) {
    static constexpr std::array<uint32_t, 4> kCounts = {0, 1, 2, 1000};
    setup.quotas = {Pick(in, kCounts), Pick(in, kCounts), Pick(in, kCounts)};
  }
  if (!core::CheckResponseBudget(config).ok()) {
    // Refused by the check, as it must be: every one of these responses
    // could not fit. Without SOFTWARE any realm fits.
    config.software.reset();
    FUZZ_CHECK(core::CheckResponseBudget(config).ok());
  }
  return setup;
}

}  // namespace turnpike::fuzz
