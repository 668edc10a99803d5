#include "runtime/transport/send_batch.h"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/log.h"
#include "runtime/socket_address.h"

namespace turnpike::runtime {
namespace {

// udp(7): at most 64 segments per GSO send (UDP_MAX_SEGMENTS), and the whole
// send is still one UDP datagram's worth of bytes for the socket layer.
constexpr size_t kMaxGsoSegments = 64;
constexpr size_t kMaxGsoBytes = 65'000;
// A segment must fit the device MTU, which the kernel checks for GSO sends
// even without DONT-FRAGMENT (EINVAL): 1500 minus IPv6 and UDP headers
// keeps GSO to sizes every Ethernet path carries; larger datagrams go one
// per message, as before, and may be fragmented.
constexpr size_t kMaxGsoSegment = 1452;

bool ProbeGso() {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  const int size = 1000;
  const bool ok =
      setsockopt(fd, SOL_UDP, UDP_SEGMENT, &size, sizeof(size)) == 0;
  const int err = errno;
  close(fd);
  LogInfo(ok ? std::string("udp sends: sendmmsg batches, UDP GSO for runs of "
                           "same-size datagrams")
             : absl::StrCat("udp sends: sendmmsg batches without UDP GSO (the "
                            "kernel refused UDP_SEGMENT: ",
                            std::strerror(err), ")"));
  return ok;
}

bool WouldBlock(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

}  // namespace

bool SendBatch::KernelSupportsGso() {
  static const bool supported = ProbeGso();
  return supported;
}

absl::StatusOr<std::unique_ptr<SendBatch>> SendBatch::Create(
    uv_loop_t* loop, RuntimeStats* stats, SendBatchOptions options) {
  std::unique_ptr<SendBatch> batch(
      new SendBatch(stats, options.gso && KernelSupportsGso()));
  batch->arena_ = std::make_unique<uint8_t[]>(kArenaBytes);
  // Why these hooks: the check hook runs right after the I/O
  // callbacks of one poll, so a relayed datagram waits at most for the
  // other sockets that were ready with it (and never past a full batch),
  // while datagrams from many relay sockets to one listener still share a
  // sendmmsg call. Flushing at the end of each recvmmsg batch instead would
  // send one datagram per call in that direction (a relay socket rarely
  // has more than one waiting). The prepare hook catches what timers and
  // wake-ups queued before the loop blocks in poll.
  auto* prepare = new uv_prepare_t;
  if (int err = uv_prepare_init(loop, prepare); err != 0) {
    delete prepare;
    return absl::InternalError(
        absl::StrCat("send batch: uv_prepare_init failed: ", uv_strerror(err)));
  }
  prepare->data = batch.get();
  batch->prepare_ = prepare;
  uv_prepare_start(prepare, [](uv_prepare_t* h) {
    OnHook(reinterpret_cast<uv_handle_t*>(h));
  });
  uv_unref(reinterpret_cast<uv_handle_t*>(prepare));
  auto* check = new uv_check_t;
  if (int err = uv_check_init(loop, check); err != 0) {
    delete check;
    return absl::InternalError(
        absl::StrCat("send batch: uv_check_init failed: ", uv_strerror(err)));
  }
  check->data = batch.get();
  batch->check_ = check;
  uv_check_start(
      check, [](uv_check_t* h) { OnHook(reinterpret_cast<uv_handle_t*>(h)); });
  uv_unref(reinterpret_cast<uv_handle_t*>(check));
  return batch;
}

SendBatch::~SendBatch() { Close(); }

void SendBatch::OnHook(uv_handle_t* handle) {
  static_cast<SendBatch*>(handle->data)->Flush();
}

void SendBatch::Close() {
  Flush();
  if (prepare_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(prepare_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_prepare_t*>(h); });
    prepare_ = nullptr;
  }
  if (check_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(check_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_check_t*>(h); });
    check_ = nullptr;
  }
}

SendResult SendBatch::Queue(int fd, const TransportAddress& to,
                            const OutboundMessage& message) {
  const size_t size = message.size();
  if (size > kArenaBytes) return {SendResult::Outcome::kFailed, 0, UV_EMSGSIZE};
  if (count_ == kMaxDatagrams || arena_used_ + size > kArenaBytes) Flush();
  Entry& entry = entries_[count_];
  entry.fd = fd;
  // Zeroed, so two entries for one destination compare equal bytewise.
  std::memset(&entry.address, 0, sizeof(entry.address));
  ToSockaddr(to, &entry.address);
  entry.address_length =
      to.ip.is_v4() ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  entry.offset = static_cast<uint32_t>(arena_used_);
  entry.size = static_cast<uint32_t>(size);
  uint8_t* out = arena_.get() + arena_used_;
  if (!message.prefix.empty()) {
    std::memcpy(out, message.prefix.data(), message.prefix.size());
  }
  if (!message.payload.empty()) {
    std::memcpy(out + message.prefix.size(), message.payload.data(),
                message.payload.size());
  }
  std::memset(out + message.prefix.size() + message.payload.size(), 0,
              message.padding);
  arena_used_ += size;
  ++count_;
  // Once closed no hook runs: what comes later (shutdown's last words)
  // leaves at once.
  if (prepare_ == nullptr) Flush();
  return {SendResult::Outcome::kBatched, size, 0};
}

void SendBatch::Flush() {
  if (count_ == 0) return;
  // Group by descriptor, each group in queue order (a stable grouping): the
  // order of datagrams per socket is what UDP users may rely on.
  std::array<bool, kMaxDatagrams> taken{};
  size_t placed = 0;
  for (size_t i = 0; i < count_; ++i) {
    if (taken[i]) continue;
    const size_t begin = placed;
    for (size_t j = i; j < count_; ++j) {
      if (taken[j] || entries_[j].fd != entries_[i].fd) continue;
      taken[j] = true;
      order_[placed++] = static_cast<uint8_t>(j);
    }
    SendRun(begin, placed);
  }
  count_ = 0;
  arena_used_ = 0;
}

size_t SendBatch::GsoRunLength(size_t at, size_t end) const {
  const Entry& first = entries_[order_[at]];
  if (!gso_ || first.size == 0 || first.size > kMaxGsoSegment) return 1;
  size_t length = 1;
  size_t bytes = first.size;
  while (at + length < end && length < kMaxGsoSegments) {
    const Entry& next = entries_[order_[at + length]];
    if (next.size != first.size || bytes + next.size > kMaxGsoBytes ||
        next.address_length != first.address_length ||
        std::memcmp(&next.address, &first.address, first.address_length) != 0) {
      break;
    }
    bytes += next.size;
    ++length;
  }
  return length;
}

void SendBatch::SendRun(size_t begin, size_t end) {
  const int fd = entries_[order_[begin]].fd;
  // Entries before this position go one per message: their GSO send failed.
  size_t plain_before = begin;
  size_t at = begin;
  while (at < end) {
    size_t messages = 0;
    size_t parts = 0;
    for (size_t cursor = at; cursor < end && messages < kMaxDatagrams;) {
      const size_t run = cursor < plain_before ? 1 : GsoRunLength(cursor, end);
      Entry& first = entries_[order_[cursor]];
      mmsghdr& message = messages_[messages];
      message = {};
      message.msg_hdr.msg_name = &first.address;
      message.msg_hdr.msg_namelen = first.address_length;
      message.msg_hdr.msg_iov = &parts_[parts];
      message.msg_hdr.msg_iovlen = run;
      for (size_t k = 0; k < run; ++k) {
        const Entry& entry = entries_[order_[cursor + k]];
        parts_[parts++] = {arena_.get() + entry.offset, entry.size};
      }
      if (run > 1) {
        // udp(7) UDP_SEGMENT: the kernel cuts the message into datagrams
        // of this size, each with its own UDP header.
        Control& control = controls_[messages];
        std::memset(control.bytes, 0, sizeof(control.bytes));
        message.msg_hdr.msg_control = control.bytes;
        message.msg_hdr.msg_controllen = sizeof(control.bytes);
        cmsghdr* header = CMSG_FIRSTHDR(&message.msg_hdr);
        header->cmsg_level = SOL_UDP;
        header->cmsg_type = UDP_SEGMENT;
        header->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        const auto segment = static_cast<uint16_t>(first.size);
        std::memcpy(CMSG_DATA(header), &segment, sizeof(segment));
      }
      carried_[messages] = static_cast<uint8_t>(run);
      ++messages;
      cursor += run;
    }
    int sent = sendmmsg(fd, messages_.data(), static_cast<unsigned>(messages),
                        MSG_DONTWAIT);
    // 0 cannot happen for a non-empty vector; counted as an error if it did.
    const int err = sent < 0 ? errno : (sent == 0 ? EIO : 0);
    ++stats_->sendmmsg_calls;
    if (sent < 0) sent = 0;
    for (size_t m = 0; m < static_cast<size_t>(sent); ++m) {
      stats_->datagrams_sent += carried_[m];
      for (size_t k = 0; k < carried_[m]; ++k) {
        stats_->bytes_sent += entries_[order_[at + k]].size;
      }
      if (carried_[m] > 1) {
        ++stats_->gso_sends;
        stats_->gso_datagrams += carried_[m];
      }
      at += carried_[m];
    }
    if (static_cast<size_t>(sent) == messages) continue;
    // sendmmsg(2) stops at the first message that fails; with none sent it
    // returns the error itself, otherwise the error is lost and the failing
    // message is retried by the next call (which then reports it).
    if (sent > 0) continue;
    const size_t carried = carried_[0];
    if (WouldBlock(err)) {
      // A full socket buffer: UDP sends are dropped, never queued, and the
      // rest of this socket's batch would find it just as full.
      CountDropped(end - at, err);
      return;
    }
    if (carried > 1) {
      // The GSO send failed as a whole: these datagrams go one per
      // message. EIO means the device cannot segment at all (udp(7)).
      plain_before = at + carried;
      if (err == EIO && gso_) {
        gso_ = false;
        static std::atomic<bool> logged{false};
        if (!logged.exchange(true)) {
          LogWarning(
              "udp sends: the device refused UDP GSO (EIO); sending "
              "without it");
        }
      }
      continue;
    }
    CountDropped(1, err);
    ++at;
  }
}

void SendBatch::CountDropped(size_t entries, int err) {
  // The same split as a single send's (Worker::CountSend): a full buffer is
  // would-block, anything else an error; ENOBUFS is counted as an error.
  if (WouldBlock(err)) {
    stats_->send_would_block += entries;
  } else {
    stats_->send_errors += entries;
  }
}

}  // namespace turnpike::runtime
