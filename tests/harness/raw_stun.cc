#include "tests/harness/raw_stun.h"

#include "core/stun/fingerprint.h"
#include "core/util/byte_io.h"

namespace turnpike::testing {
namespace {

void PushBe16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

}  // namespace

RawStun::RawStun(uint16_t type, const stun::TransactionId& id) {
  PushBe16(bytes_, type);
  PushBe16(bytes_, 0);  // length, set by Build()
  bytes_.resize(8);
  StoreBe32(&bytes_[4], stun::kMagicCookie);
  bytes_.insert(bytes_.end(), id.begin(), id.end());
}

RawStun& RawStun::Attr(uint16_t type, const std::vector<uint8_t>& value) {
  AttrWithLength(type, static_cast<uint16_t>(value.size()), value);
  bytes_.resize(bytes_.size() + PaddingFor(value.size()), 0);
  return *this;
}

RawStun& RawStun::AttrText(stun::AttributeType type, std::string_view value) {
  return Attr(type, std::vector<uint8_t>(value.begin(), value.end()));
}

RawStun& RawStun::AttrWithLength(uint16_t type, uint16_t declared_length,
                                 const std::vector<uint8_t>& value) {
  PushBe16(bytes_, type);
  PushBe16(bytes_, declared_length);
  bytes_.insert(bytes_.end(), value.begin(), value.end());
  return *this;
}

RawStun& RawStun::Raw(const std::vector<uint8_t>& bytes) {
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
  return *this;
}

RawStun& RawStun::Fingerprint() {
  fingerprint_offset_ = bytes_.size();
  return Attr(stun::AttributeType::kFingerprint, {0, 0, 0, 0});
}

std::vector<uint8_t> RawStun::Build() const {
  return BuildWithLength(
      static_cast<uint16_t>(bytes_.size() - stun::kHeaderSize));
}

std::vector<uint8_t> RawStun::BuildWithLength(uint16_t length) const {
  std::vector<uint8_t> out = bytes_;
  StoreBe16(&out[2], length);
  if (fingerprint_offset_) {
    const size_t at = *fingerprint_offset_;
    StoreBe32(&out[at + 4],
              stun::ComputeFingerprint(absl::MakeConstSpan(out).first(at)));
  }
  return out;
}

}  // namespace turnpike::testing
