#include "latency_histogram.h"

#include <bit>
#include <cmath>

namespace turnpike::e2e {

// Below 32 ns a bucket per value; above, the five leading bits of the value
// pick one of 16 buckets within its power of two.
size_t LatencyHistogram::Index(uint64_t nanoseconds) {
  if (nanoseconds < kExact) return static_cast<size_t>(nanoseconds);
  const int top = 63 - std::countl_zero(nanoseconds);  // >= 5
  const int shift = top - 4;
  return kExact + static_cast<size_t>(top - 5) * kPerOctave +
         static_cast<size_t>((nanoseconds >> shift) - kPerOctave);
}

uint64_t LatencyHistogram::LowerBound(size_t index) {
  if (index < kExact) return index;
  const size_t octave = (index - kExact) / kPerOctave;  // top bit = octave + 5
  const uint64_t mantissa = kPerOctave + (index - kExact) % kPerOctave;
  return mantissa << (octave + 1);
}

void LatencyHistogram::Record(uint64_t nanoseconds) {
  ++buckets_[Index(nanoseconds)];
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
}

double LatencyHistogram::PercentileMicros(double fraction) const {
  if (count_ == 0) return 0;
  // The rank of the sample wanted, 1-based: the p50 of 4 samples is the 2nd.
  uint64_t rank =
      static_cast<uint64_t>(std::ceil(fraction * static_cast<double>(count_)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      const uint64_t low = LowerBound(i);
      const uint64_t high = i + 1 < kBuckets ? LowerBound(i + 1) : low;
      return static_cast<double>(low + high) / 2 / 1000;
    }
  }
  return static_cast<double>(LowerBound(kBuckets - 1)) / 1000;
}

}  // namespace turnpike::e2e
