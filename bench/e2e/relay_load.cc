#include "relay_load.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace turnpike::e2e {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint8_t kTag[4] = {'T', 'P', 'L', 'B'};
// Closed loop: a client whose packets have not come back for this long has
// lost them; its window is refilled so that a loss does not stall it.
constexpr auto kPresumedLost = std::chrono::milliseconds(300);
// After the sending window, answers still in flight are awaited this long
// after the last one arrived, and never longer than kDrainLimit in all.
constexpr auto kDrainQuiet = std::chrono::milliseconds(300);
constexpr auto kDrainLimit = std::chrono::seconds(3);
constexpr size_t kMaxBurst = 256;

struct ClientState {
  Bytes frame;  // ChannelData header and payload, reused for every send
  uint32_t in_flight = 0;
  Clock::time_point last_progress;
};

class RelayLoad {
 public:
  RelayLoad(const std::vector<ClientSession>& sessions,
            const RelayOptions& options)
      : sessions_(sessions), options_(options), clients_(sessions.size()) {}

  RelayResult Run();

 private:
  bool SendOne(size_t index);
  void Receive(size_t index);
  void Poll(int timeout_ms);

  const std::vector<ClientSession>& sessions_;
  const RelayOptions options_;
  std::vector<ClientState> clients_;
  int epoll_fd_ = -1;
  uint64_t sequence_ = 0;
  RelayResult result_;
  Clock::time_point last_receive_;
};

bool RelayLoad::SendOne(size_t index) {
  ClientState& client = clients_[index];
  // The sequence number keeps payloads distinct; it is not checked.
  std::memcpy(client.frame.data() + kChannelDataHeader + 8, &sequence_,
              sizeof sequence_);
  ++sequence_;
  if (send(sessions_[index].fd, client.frame.data(), client.frame.size(), 0) <
      0) {
    ++result_.send_failures;
    return false;
  }
  ++result_.sent;
  ++client.in_flight;
  return true;
}

void RelayLoad::Receive(size_t index) {
  uint8_t buffer[2048];
  ClientState& client = clients_[index];
  ssize_t got;
  while ((got = recv(sessions_[index].fd, buffer, sizeof buffer, 0)) > 0) {
    const size_t size = static_cast<size_t>(got);
    const size_t length =
        size >= kChannelDataHeader
            ? static_cast<size_t>((buffer[2] << 8) | buffer[3])
            : 0;
    uint32_t owner = 0;
    if (size >= kChannelDataHeader + 8) {
      std::memcpy(&owner, buffer + kChannelDataHeader + 4, sizeof owner);
    }
    // RFC 8656 §12.5: over UDP the datagram may carry padding after the
    // payload, so the length field, not the datagram size, is checked.
    const bool good =
        size >= kChannelDataHeader + options_.payload &&
        ((buffer[0] << 8) | buffer[1]) == kChannel &&
        length == options_.payload &&
        std::memcmp(buffer + kChannelDataHeader, kTag, sizeof kTag) == 0 &&
        owner == index;
    if (!good) {
      ++result_.malformed;
      continue;
    }
    ++result_.received;
    if (client.in_flight > 0) --client.in_flight;
    client.last_progress = last_receive_ = Clock::now();
  }
}

void RelayLoad::Poll(int timeout_ms) {
  epoll_event events[128];
  const int ready = epoll_wait(epoll_fd_, events, 128, timeout_ms);
  for (int e = 0; e < ready; ++e) Receive(events[e].data.u64);
}

RelayResult RelayLoad::Run() {
  epoll_fd_ = epoll_create1(0);
  const Clock::time_point start = Clock::now();
  for (size_t i = 0; i < sessions_.size(); ++i) {
    ClientState& client = clients_[i];
    client.frame.assign(kChannelDataHeader + options_.payload, 0);
    client.frame[0] = kChannel >> 8;
    client.frame[1] = kChannel & 0xFF;
    client.frame[2] = static_cast<uint8_t>(options_.payload >> 8);
    client.frame[3] = static_cast<uint8_t>(options_.payload);
    std::memcpy(client.frame.data() + kChannelDataHeader, kTag, sizeof kTag);
    const uint32_t owner = static_cast<uint32_t>(i);
    std::memcpy(client.frame.data() + kChannelDataHeader + 4, &owner,
                sizeof owner);
    client.last_progress = start;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = i;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, sessions_[i].fd, &event);
  }
  const auto duration = std::chrono::duration<double>(options_.seconds);
  size_t next_client = 0;
  Clock::time_point now = start;
  while (now - start < duration) {
    if (options_.rate > 0) {
      // Open loop: as many sends as the schedule says are due by now.
      const double elapsed = std::chrono::duration<double>(now - start).count();
      const uint64_t due = static_cast<uint64_t>(elapsed * options_.rate);
      const uint64_t attempted = result_.sent + result_.send_failures;
      for (uint64_t k = attempted; k < due && k < attempted + kMaxBurst; ++k) {
        SendOne(next_client);
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
        while (client.in_flight < options_.window && SendOne(i)) {
        }
      }
      Poll(1);
    }
    now = Clock::now();
  }
  result_.send_seconds = std::chrono::duration<double>(now - start).count();
  const Clock::time_point drain_start = Clock::now();
  last_receive_ = drain_start;
  while (Clock::now() - last_receive_ < kDrainQuiet &&
         Clock::now() - drain_start < kDrainLimit) {
    Poll(10);
  }
  close(epoll_fd_);
  return result_;
}

}  // namespace

RelayResult RunRelayLoad(const std::vector<ClientSession>& sessions,
                         const RelayOptions& options) {
  return RelayLoad(sessions, options).Run();
}

}  // namespace turnpike::e2e
