#include "relay_load.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <thread>

namespace turnpike::e2e {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint8_t kTag[4] = {'T', 'P', 'L', 'B'};
// Payload layout (kMinPayload bytes, the rest zero).
constexpr size_t kOwnerAt = 4;
constexpr size_t kSequenceAt = 8;
constexpr size_t kSentAtAt = 16;
// Closed loop: a client whose packets have not come back for this long has
// lost them; its window is refilled so that a loss does not stall it.
constexpr auto kPresumedLost = std::chrono::milliseconds(300);
// After the sending window, answers still in flight are awaited for
// RelayOptions::drain_quiet after the last one arrived, and never longer
// than that plus kDrainLimit in all.
constexpr auto kDrainLimit = std::chrono::seconds(3);
// Open loop: sends due at once before the thread looks at its sockets.
constexpr uint64_t kMaxDuePerTurn = 256;
constexpr size_t kReceiveBatch = 64;
constexpr size_t kMaxDatagram = 2048;

uint64_t Nanoseconds(Clock::time_point t) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch())
          .count());
}

struct ClientState {
  uint32_t in_flight = 0;
  Clock::time_point last_progress;
};

// One thread's share of the clients.
class RelayLoad {
 public:
  RelayLoad(std::vector<ClientSession> sessions, const RelayOptions& options)
      : sessions_(std::move(sessions)),
        options_(options),
        clients_(sessions_.size()) {}

  RelayResult Run();

 private:
  // Sends up to `count` (<= kMaxBurst) frames on one client's socket in
  // one sendmmsg; returns how many the kernel took.
  size_t SendBurst(size_t index, size_t count);
  void Receive(size_t index);
  void Poll(int timeout_ms);

  const std::vector<ClientSession> sessions_;
  const RelayOptions options_;
  std::vector<ClientState> clients_;
  int epoll_fd_ = -1;
  uint64_t sequence_ = 0;
  RelayResult result_;
  Clock::time_point last_receive_;
  // Frames for one burst, and buffers for one receive batch.
  std::array<Bytes, kMaxBurst> frames_;
  std::array<iovec, kMaxBurst> send_iov_{};
  std::array<mmsghdr, kMaxBurst> send_messages_{};
  std::array<std::array<uint8_t, kMaxDatagram>, kReceiveBatch> received_{};
  std::array<iovec, kReceiveBatch> receive_iov_{};
  std::array<mmsghdr, kReceiveBatch> receive_messages_{};
};

size_t RelayLoad::SendBurst(size_t index, size_t count) {
  const uint32_t owner = static_cast<uint32_t>(index);
  const uint64_t now = Nanoseconds(Clock::now());
  for (size_t k = 0; k < count; ++k) {
    uint8_t* payload = frames_[k].data() + kChannelDataHeader;
    std::memcpy(payload + kOwnerAt, &owner, sizeof owner);
    std::memcpy(payload + kSequenceAt, &sequence_, sizeof sequence_);
    std::memcpy(payload + kSentAtAt, &now, sizeof now);
    ++sequence_;
  }
  const int sent = sendmmsg(sessions_[index].fd, send_messages_.data(),
                            static_cast<unsigned>(count), 0);
  const size_t taken = sent > 0 ? static_cast<size_t>(sent) : 0;
  result_.sent += taken;
  result_.send_failures += count - taken;
  clients_[index].in_flight += static_cast<uint32_t>(taken);
  return taken;
}

void RelayLoad::Receive(size_t index) {
  ClientState& client = clients_[index];
  while (true) {
    for (size_t i = 0; i < kReceiveBatch; ++i) {
      receive_iov_[i] = {received_[i].data(), kMaxDatagram};
      receive_messages_[i] = {};
      receive_messages_[i].msg_hdr.msg_iov = &receive_iov_[i];
      receive_messages_[i].msg_hdr.msg_iovlen = 1;
    }
    const int count = recvmmsg(sessions_[index].fd, receive_messages_.data(),
                               kReceiveBatch, MSG_DONTWAIT, nullptr);
    if (count <= 0) return;
    const Clock::time_point now = Clock::now();
    const uint64_t now_ns = Nanoseconds(now);
    for (int m = 0; m < count; ++m) {
      const uint8_t* buffer = received_[static_cast<size_t>(m)].data();
      const size_t size = receive_messages_[static_cast<size_t>(m)].msg_len;
      const uint8_t* payload = buffer + kChannelDataHeader;
      uint32_t owner = ~uint32_t{0};
      uint64_t sent_at = 0;
      const bool long_enough = size >= kChannelDataHeader + options_.payload;
      if (long_enough) {
        std::memcpy(&owner, payload + kOwnerAt, sizeof owner);
        std::memcpy(&sent_at, payload + kSentAtAt, sizeof sent_at);
      }
      // RFC 8656 §12.5: over UDP the datagram may carry padding after the
      // payload, so the length field, not the datagram size, is checked.
      const bool good = long_enough &&
                        ((buffer[0] << 8) | buffer[1]) == kChannel &&
                        static_cast<size_t>((buffer[2] << 8) | buffer[3]) ==
                            options_.payload &&
                        std::memcmp(payload, kTag, sizeof kTag) == 0 &&
                        owner == index && sent_at <= now_ns;
      if (!good) {
        ++result_.malformed;
        continue;
      }
      ++result_.received;
      result_.round_trip.Record(now_ns - sent_at);
      if (client.in_flight > 0) --client.in_flight;
    }
    client.last_progress = last_receive_ = now;
    if (static_cast<size_t>(count) < kReceiveBatch) return;
  }
}

void RelayLoad::Poll(int timeout_ms) {
  epoll_event events[128];
  const int ready = epoll_wait(epoll_fd_, events, 128, timeout_ms);
  for (int e = 0; e < ready; ++e) Receive(events[e].data.u64);
}

RelayResult RelayLoad::Run() {
  epoll_fd_ = epoll_create1(0);
  for (size_t k = 0; k < kMaxBurst; ++k) {
    Bytes& frame = frames_[k];
    frame.assign(kChannelDataHeader + options_.payload, 0);
    frame[0] = kChannel >> 8;
    frame[1] = kChannel & 0xFF;
    frame[2] = static_cast<uint8_t>(options_.payload >> 8);
    frame[3] = static_cast<uint8_t>(options_.payload);
    std::memcpy(frame.data() + kChannelDataHeader, kTag, sizeof kTag);
    send_iov_[k] = {frame.data(), frame.size()};
    send_messages_[k].msg_hdr.msg_iov = &send_iov_[k];
    send_messages_[k].msg_hdr.msg_iovlen = 1;
  }
  const Clock::time_point start = Clock::now();
  for (size_t i = 0; i < sessions_.size(); ++i) {
    clients_[i].last_progress = start;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = i;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, sessions_[i].fd, &event);
  }
  const auto duration = std::chrono::duration<double>(options_.seconds);
  const size_t burst = std::clamp<size_t>(options_.burst, 1, kMaxBurst);
  size_t next_client = 0;
  Clock::time_point now = start;
  while (now - start < duration) {
    if (options_.rate > 0) {
      // Open loop: as many sends as the schedule says are due by now, a
      // burst per client in turn.
      const double elapsed = std::chrono::duration<double>(now - start).count();
      const uint64_t due = static_cast<uint64_t>(elapsed * options_.rate);
      const uint64_t attempted = result_.sent + result_.send_failures;
      const uint64_t limit = std::min(due, attempted + kMaxDuePerTurn);
      for (uint64_t k = attempted; k < limit;) {
        const size_t count =
            static_cast<size_t>(std::min<uint64_t>(burst, limit - k));
        SendBurst(next_client, count);
        k += count;
        next_client = (next_client + 1) % sessions_.size();
      }
      Poll(0);
      if (result_.sent + result_.send_failures >= due) Poll(1);
    } else {
      for (size_t i = 0; i < sessions_.size(); ++i) {
        ClientState& client = clients_[i];
        if (now - client.last_progress > kPresumedLost) {
          client.in_flight = 0;
          client.last_progress = now;
        }
        while (client.in_flight < options_.window) {
          const size_t want =
              std::min<size_t>(options_.window - client.in_flight, kMaxBurst);
          if (SendBurst(i, want) < want) break;  // full buffer: next turn
        }
      }
      Poll(1);
    }
    now = Clock::now();
  }
  result_.send_seconds = std::chrono::duration<double>(now - start).count();
  const Clock::time_point drain_start = Clock::now();
  last_receive_ = drain_start;
  const auto quiet = std::chrono::duration<double>(options_.drain_quiet);
  while (Clock::now() - last_receive_ < quiet &&
         Clock::now() - drain_start < quiet + kDrainLimit) {
    Poll(10);
  }
  close(epoll_fd_);
  return result_;
}

}  // namespace

RelayResult RunRelayLoad(const std::vector<ClientSession>& sessions,
                         const RelayOptions& options) {
  const size_t threads = std::clamp<size_t>(
      options.threads, 1, std::max<size_t>(1, sessions.size()));
  RelayOptions share = options;
  share.rate = options.rate / static_cast<double>(threads);
  // Client i goes to thread i % threads; each thread numbers its own
  // clients from 0 (the index written into, and checked in, each payload).
  std::vector<std::vector<ClientSession>> slices(threads);
  for (size_t i = 0; i < sessions.size(); ++i) {
    slices[i % threads].push_back(sessions[i]);
  }
  std::vector<RelayResult> results(threads);
  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t) {
    workers.emplace_back(
        [&, t] { results[t] = RelayLoad(std::move(slices[t]), share).Run(); });
  }
  RelayResult total;
  for (size_t t = 0; t < threads; ++t) {
    workers[t].join();
    const RelayResult& part = results[t];
    total.sent += part.sent;
    total.received += part.received;
    total.malformed += part.malformed;
    total.send_failures += part.send_failures;
    total.send_seconds = std::max(total.send_seconds, part.send_seconds);
    total.round_trip.Merge(part.round_trip);
  }
  return total;
}

}  // namespace turnpike::e2e
