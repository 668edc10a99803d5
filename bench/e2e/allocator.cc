#include "allocator.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <random>

namespace turnpike::e2e {
namespace {

using Clock = std::chrono::steady_clock;

// RFC 8489 §6.2.1 starts at 500 ms; loopback answers in well under that,
// so a timeout means a dropped datagram, not a slow server.
constexpr auto kRetransmitAfter = std::chrono::milliseconds(500);
constexpr int kMaxTries = 7;
constexpr int kMaxNonceRetries = 3;

enum class Step { kIdle, kProbe, kAllocate, kChannelBind, kDone, kFailed };

struct Setup {
  Step step = Step::kIdle;
  TransactionId id{};
  Bytes request;
  Clock::time_point sent_at;
  int tries = 0;
  int nonce_retries = 0;
  std::string realm;
  std::string nonce;
  LongTermKey key{};
};

class Opener {
 public:
  Opener(const sockaddr_in& server, const Credentials& credentials,
         const sockaddr_in& peer, size_t window)
      : server_(server),
        credentials_(credentials),
        peer_(peer),
        window_(window) {}

  AllocationRun Run(size_t count);

 private:
  bool OpenSocket(ClientSession& session);
  void Send(size_t index, uint16_t type, std::vector<Attribute> attributes,
            bool authenticated);
  void Resend(size_t index);
  void OnDatagram(size_t index, const uint8_t* data, size_t size);
  void Fail(size_t index, const std::string& why);
  void Finish(size_t index);

  const sockaddr_in server_;
  const Credentials credentials_;
  const sockaddr_in peer_;
  const size_t window_;
  int epoll_fd_ = -1;
  std::mt19937_64 random_{std::random_device{}()};
  AllocationRun run_;
  std::vector<Setup> setups_;
  size_t in_flight_ = 0;
  size_t finished_ = 0;
};

bool Opener::OpenSocket(ClientSession& session) {
  session.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (session.fd < 0) return false;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr = server_.sin_addr;
  if (bind(session.fd, reinterpret_cast<sockaddr*>(&local), sizeof local) !=
          0 ||
      connect(session.fd, reinterpret_cast<const sockaddr*>(&server_),
              sizeof server_) != 0) {
    return false;
  }
  const int buffer = 256 << 10;
  setsockopt(session.fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  return true;
}

void Opener::Send(size_t index, uint16_t type,
                  std::vector<Attribute> attributes, bool authenticated) {
  Setup& setup = setups_[index];
  for (uint8_t& byte : setup.id) byte = static_cast<uint8_t>(random_());
  if (authenticated) {
    attributes.push_back(StringAttribute(kUsername, credentials_.username));
    attributes.push_back(StringAttribute(kRealm, setup.realm));
    attributes.push_back(StringAttribute(kNonce, setup.nonce));
  }
  setup.request =
      Encode(type, setup.id, attributes, authenticated ? &setup.key : nullptr);
  setup.tries = 0;
  Resend(index);
}

void Opener::Resend(size_t index) {
  Setup& setup = setups_[index];
  if (setup.tries > 0) ++run_.retransmissions;
  ++setup.tries;
  setup.sent_at = Clock::now();
  // A full socket buffer is handled like a lost datagram: the timeout
  // resends it.
  (void)send(run_.sessions[index].fd, setup.request.data(),
             setup.request.size(), 0);
}

void Opener::Fail(size_t index, const std::string& why) {
  if (run_.first_error.empty()) {
    run_.first_error = "allocation " + std::to_string(index) + ": " + why;
  }
  setups_[index].step = Step::kFailed;
  --in_flight_;
  ++finished_;
}

void Opener::Finish(size_t index) {
  setups_[index].step = Step::kDone;
  run_.sessions[index].ready = true;
  ++run_.ready;
  --in_flight_;
  ++finished_;
}

void Opener::OnDatagram(size_t index, const uint8_t* data, size_t size) {
  Setup& setup = setups_[index];
  const std::optional<Message> message = Decode(data, size);
  // Anything that does not answer the outstanding request (a late duplicate
  // of an earlier answer) is ignored.
  if (!message || message->id != setup.id) return;
  const std::optional<int> error = ErrorCode(*message);
  switch (setup.step) {
    case Step::kProbe: {
      const Attribute* realm = message->Find(kRealm);
      const Attribute* nonce = message->Find(kNonce);
      if (message->type != kAllocateError || error != 401 || !realm || !nonce) {
        return Fail(index,
                    "the unauthenticated Allocate was not answered "
                    "401 with REALM and NONCE");
      }
      setup.realm = Text(*realm);
      setup.nonce = Text(*nonce);
      setup.key = MakeLongTermKey(credentials_.username, setup.realm,
                                  credentials_.password);
      setup.step = Step::kAllocate;
      return Send(index, kAllocateRequest, {UdpTransport()}, true);
    }
    case Step::kAllocate:
    case Step::kChannelBind: {
      const bool allocating = setup.step == Step::kAllocate;
      const uint16_t success =
          allocating ? kAllocateSuccess : kChannelBindSuccess;
      const uint16_t failure = allocating ? kAllocateError : kChannelBindError;
      if (message->type == failure && error == 438 &&
          setup.nonce_retries < kMaxNonceRetries) {
        // Stale nonce (RFC 8489 §9.2.4): retry with the new one.
        const Attribute* nonce = message->Find(kNonce);
        if (nonce == nullptr) return Fail(index, "438 without a NONCE");
        setup.nonce = Text(*nonce);
        ++setup.nonce_retries;
        return allocating
                   ? Send(index, kAllocateRequest, {UdpTransport()}, true)
                   : Send(index, kChannelBindRequest,
                          {ChannelNumber(kChannel),
                           XorAddress(kXorPeerAddress, peer_)},
                          true);
      }
      if (message->type != success) {
        return Fail(index,
                    std::string(allocating ? "Allocate" : "ChannelBind") +
                        " failed with error " +
                        std::to_string(error.value_or(-1)));
      }
      if (!allocating) return Finish(index);
      const Attribute* relayed = message->Find(kXorRelayedAddress);
      const std::optional<sockaddr_in> address =
          relayed ? ReadXorAddress(*relayed) : std::nullopt;
      if (!address) {
        return Fail(index,
                    "Allocate success without an IPv4 "
                    "XOR-RELAYED-ADDRESS");
      }
      run_.sessions[index].relayed = *address;
      setup.step = Step::kChannelBind;
      return Send(index, kChannelBindRequest,
                  {ChannelNumber(kChannel), XorAddress(kXorPeerAddress, peer_)},
                  true);
    }
    default:
      return;
  }
}

AllocationRun Opener::Run(size_t count) {
  run_.sessions.resize(count);
  setups_.resize(count);
  epoll_fd_ = epoll_create1(0);
  for (size_t i = 0; i < count; ++i) {
    if (!OpenSocket(run_.sessions[i])) {
      run_.first_error = "socket " + std::to_string(i) + ": " +
                         std::strerror(errno) +
                         " (raise the open-file limit: ulimit -n)";
      CloseSessions(run_.sessions);
      close(epoll_fd_);
      return std::move(run_);
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = i;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, run_.sessions[i].fd, &event);
  }
  const Clock::time_point start = Clock::now();
  Clock::time_point last_done = start;
  size_t next = 0;
  size_t oldest = 0;
  std::vector<epoll_event> events(256);
  uint8_t buffer[2048];
  while (finished_ < count) {
    while (in_flight_ < window_ && next < count) {
      setups_[next].step = Step::kProbe;
      ++in_flight_;
      Send(next++, kAllocateRequest, {UdpTransport()}, false);
    }
    const int ready = epoll_wait(epoll_fd_, events.data(),
                                 static_cast<int>(events.size()), 50);
    for (int e = 0; e < ready; ++e) {
      const size_t index = events[e].data.u64;
      ssize_t got;
      while ((got = recv(run_.sessions[index].fd, buffer, sizeof buffer, 0)) >
             0) {
        const size_t before = finished_;
        OnDatagram(index, buffer, static_cast<size_t>(got));
        if (finished_ != before) last_done = Clock::now();
      }
    }
    // Retransmissions: scan from the oldest session still being set up.
    const Clock::time_point now = Clock::now();
    while (oldest < next && (setups_[oldest].step == Step::kDone ||
                             setups_[oldest].step == Step::kFailed)) {
      ++oldest;
    }
    for (size_t i = oldest; i < next; ++i) {
      Setup& setup = setups_[i];
      if (setup.step != Step::kProbe && setup.step != Step::kAllocate &&
          setup.step != Step::kChannelBind) {
        continue;
      }
      if (now - setup.sent_at < kRetransmitAfter) continue;
      if (setup.tries >= kMaxTries) {
        Fail(i, "no answer after " + std::to_string(kMaxTries) + " tries");
        last_done = now;
      } else {
        Resend(i);
      }
    }
  }
  run_.seconds = std::chrono::duration<double>(last_done - start).count();
  close(epoll_fd_);
  return std::move(run_);
}

}  // namespace

AllocationRun OpenAllocations(const sockaddr_in& server,
                              const Credentials& credentials,
                              const sockaddr_in& peer, size_t count,
                              size_t window) {
  return Opener(server, credentials, peer, window).Run(count);
}

void CloseSessions(std::vector<ClientSession>& sessions) {
  for (ClientSession& session : sessions) {
    if (session.fd >= 0) close(session.fd);
    session.fd = -1;
  }
}

}  // namespace turnpike::e2e
