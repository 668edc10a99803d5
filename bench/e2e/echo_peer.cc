#include "echo_peer.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace turnpike::e2e {
namespace {

constexpr int kBatch = 64;
constexpr size_t kMaxDatagram = 2048;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "turn_load: echo peer: %s: %s\n", what,
               std::strerror(errno));
  std::exit(2);
}

}  // namespace

EchoPeer::EchoPeer() {
  fd_ = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd_ < 0) Die("socket");
  address_.sin_family = AF_INET;
  address_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&address_), sizeof address_) != 0) {
    Die("bind 127.0.0.1:0");
  }
  socklen_t length = sizeof address_;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&address_), &length);
  // A large buffer so that the peer is not where packets are dropped; the
  // kernel caps it at net.core.rmem_max.
  const int buffer = 4 << 20;
  setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  // A bounded wait so that Stop() is noticed.
  timeval timeout{0, 100 * 1000};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

EchoPeer::~EchoPeer() {
  Stop();
  close(fd_);
}

void EchoPeer::Start(size_t threads) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

void EchoPeer::Stop() {
  stop_ = true;
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

void EchoPeer::Run() {
  // recvmmsg/sendmmsg in batches: the peer shares two cores with the server
  // and the client, so it should cost as little as it can.
  std::array<std::array<uint8_t, kMaxDatagram>, kBatch> buffers;
  std::array<sockaddr_in, kBatch> sources{};
  std::array<iovec, kBatch> iovecs{};
  std::array<mmsghdr, kBatch> messages{};
  while (!stop_.load(std::memory_order_relaxed)) {
    for (int i = 0; i < kBatch; ++i) {
      iovecs[i] = {buffers[i].data(), buffers[i].size()};
      messages[i] = {};
      messages[i].msg_hdr.msg_name = &sources[i];
      messages[i].msg_hdr.msg_namelen = sizeof sources[i];
      messages[i].msg_hdr.msg_iov = &iovecs[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    const int count =
        recvmmsg(fd_, messages.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (count <= 0) continue;  // timeout or EINTR: look at stop_ again
    received_.fetch_add(static_cast<uint64_t>(count));
    for (int i = 0; i < count; ++i) iovecs[i].iov_len = messages[i].msg_len;
    int done = 0;
    while (done < count) {
      const int sent = sendmmsg(fd_, messages.data() + done, count - done, 0);
      if (sent <= 0) break;  // a full buffer drops the rest: counted as lost
      done += sent;
    }
    echoed_.fetch_add(static_cast<uint64_t>(done));
  }
}

}  // namespace turnpike::e2e
