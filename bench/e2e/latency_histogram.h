// Round-trip times of relayed packets, kept in logarithmic buckets (16 per
// power of two, so a percentile is within about 6% of the true value) so
// that millions of samples cost a fixed 8 KiB and no allocation per packet.
// Each load thread keeps its own; Merge() adds them up at the end.
#ifndef TURNPIKE_BENCH_E2E_LATENCY_HISTOGRAM_H_
#define TURNPIKE_BENCH_E2E_LATENCY_HISTOGRAM_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace turnpike::e2e {

class LatencyHistogram {
 public:
  void Record(uint64_t nanoseconds);
  void Merge(const LatencyHistogram& other);
  uint64_t count() const { return count_; }
  // The value below which `fraction` (0..1) of the samples lie, in
  // microseconds: the middle of its bucket. 0 with no samples.
  double PercentileMicros(double fraction) const;

 private:
  static constexpr size_t kExact = 32;  // 0-31 ns: one bucket each
  static constexpr size_t kPerOctave = 16;
  static constexpr size_t kBuckets = kExact + (64 - 5) * kPerOctave;

  static size_t Index(uint64_t nanoseconds);
  static uint64_t LowerBound(size_t index);

  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
};

}  // namespace turnpike::e2e

#endif  // TURNPIKE_BENCH_E2E_LATENCY_HISTOGRAM_H_
