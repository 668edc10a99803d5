#include "runtime/receive_slab.h"

namespace turnpike::runtime {

ReceiveSlab::ReceiveSlab(size_t slots)
    // Left uninitialised on purpose: the kernel writes before anyone reads.
    : size_(slots * kSlotBytes), storage_(new char[size_]) {}

uv_buf_t ReceiveSlab::Lend() {
  if (lent_) return uv_buf_init(nullptr, 0);
  lent_ = true;
  return uv_buf_init(storage_.get(), static_cast<unsigned int>(size_));
}

void ReceiveSlab::Return() { lent_ = false; }

}  // namespace turnpike::runtime
