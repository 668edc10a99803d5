// min_forwarder: the end-to-end benchmark's baseline, a TURN relay cut down
// to what the load client needs, so that every server's cost per relayed
// packet can be read as a ratio to "what user space does on this machine".
//
// One thread, one epoll set, IPv4 over UDP only. The control plane is just
// enough TURN for bench/e2e/turn_load: Allocate with the long-term
// credential mechanism (one user, one realm, one nonce for the process's
// life; RFC 8489 §9.2), CreatePermission, ChannelBind and Refresh
// (RFC 8656 §7, §9, §12), parsed and written with core/stun. No lifetimes,
// quotas, peer filter, Send/Data indications or error recovery beyond
// "drop and count": a real server needs them, the baseline does not.
//
// The data plane is the least a relay can do per packet: recvmmsg a batch,
// look the 5-tuple up in one hash map, sendmmsg the batch out without
// copying a payload. Client to peer: the payload is sent from the receive
// buffer, past the 4-byte ChannelData header. Peer to client: the datagram
// is received 4 bytes into its buffer and the header is written in front.
//
//   min_forwarder --listen 127.0.0.1:0 --relay-ip 127.0.0.1
//                 --user alice:secret --realm turnpike
//
// Prints "listening on IP:PORT" once ready and its counters when SIGTERM or
// SIGINT stops it (exit 0).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/net/transport_address.h"
#include "core/stun/channel_data.h"
#include "core/stun/integrity.h"
#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"
#include "flags.h"

namespace turnpike::e2e {
namespace {

constexpr int kBatch = 64;
constexpr size_t kBufferSize = 2048;
constexpr uint32_t kLifetimeSeconds = 600;  // announced, never enforced
constexpr int kSocketBuffer = 4 << 20;      // as turnpike and coturn ask
constexpr uint64_t kListenerTag = ~uint64_t{0};

volatile std::sig_atomic_t stop_requested = 0;
void OnSignal(int) { stop_requested = 1; }

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "min_forwarder: %s\nusage: min_forwarder --listen IP:PORT "
               "--relay-ip IP --user NAME:PASSWORD [--realm REALM]\n",
               why.c_str());
  std::exit(2);
}

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "min_forwarder: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

// IPv4 address and port in one integer: the hash key of a 5-tuple (the
// protocol and the server's side are fixed).
uint64_t Key(const sockaddr_in& address) {
  return (uint64_t{ntohl(address.sin_addr.s_addr)} << 16) |
         ntohs(address.sin_port);
}

TransportAddress ToTransport(const sockaddr_in& address) {
  return {IpAddress::V4(ntohl(address.sin_addr.s_addr)),
          ntohs(address.sin_port)};
}

sockaddr_in ToSockaddr(const TransportAddress& address) {
  sockaddr_in out{};
  out.sin_family = AF_INET;
  out.sin_port = htons(address.port);
  out.sin_addr.s_addr = htonl(address.ip.v4_host_order());
  return out;
}

struct Channel {
  uint16_t number = 0;
  sockaddr_in peer{};
};

struct Allocation {
  int relay_fd = -1;
  sockaddr_in client{};
  sockaddr_in relayed{};
  std::vector<Channel> channels;  // a handful: a linear scan is cheapest
};

struct Counters {
  uint64_t to_peer = 0;
  uint64_t to_client = 0;
  uint64_t requests = 0;
  uint64_t dropped = 0;  // unknown client or channel, bad request
  uint64_t send_errors = 0;
};

// One recvmmsg/sendmmsg batch: buffers, addresses and headers set up once.
struct Batch {
  std::array<std::array<uint8_t, kBufferSize>, kBatch> buffers{};
  std::array<sockaddr_in, kBatch> names{};
  std::array<iovec, kBatch> iovecs{};
  std::array<mmsghdr, kBatch> messages{};
};

class Forwarder {
 public:
  Forwarder(sockaddr_in listen, in_addr relay_ip, std::string username,
            std::string realm, const std::string& password);
  void Run();
  const Counters& counters() const { return counters_; }

 private:
  void ReadClients();
  void ReadRelay(uint32_t allocation);
  void FlushToClients();
  void HandleRequest(const uint8_t* data, size_t size,
                     const sockaddr_in& source);
  void SendControl(absl::Span<const uint8_t> message,
                   const sockaddr_in& destination);
  Allocation* Open(const sockaddr_in& client);

  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  sockaddr_in listen_{};
  in_addr relay_ip_{};
  std::string username_;
  std::string realm_;
  std::string nonce_;
  stun::HmacKey key_;
  std::vector<Allocation> allocations_;
  absl::flat_hash_map<uint64_t, uint32_t> by_client_;
  Counters counters_;
  Batch in_;   // from clients
  Batch out_;  // to clients, filled from several relay sockets
  int out_count_ = 0;
  std::array<mmsghdr, kBatch> to_peer_{};  // client datagrams, regrouped
  std::array<iovec, kBatch> to_peer_iov_{};
  std::array<sockaddr_in, kBatch> to_peer_names_{};
};

Forwarder::Forwarder(sockaddr_in listen, in_addr relay_ip, std::string username,
                     std::string realm, const std::string& password)
    : listen_(listen),
      relay_ip_(relay_ip),
      username_(std::move(username)),
      realm_(std::move(realm)) {
  key_ = stun::LongTermKey(stun::PasswordAlgorithmId::kMd5, username_, realm_,
                           password);
  std::mt19937_64 random{std::random_device{}()};
  nonce_ = "minfwd" + std::to_string(random());
  listen_fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) Die("socket");
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&listen_), sizeof listen_) !=
      0) {
    Die("bind the listening address");
  }
  socklen_t length = sizeof listen_;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&listen_), &length);
  setsockopt(listen_fd_, SOL_SOCKET, SO_RCVBUF, &kSocketBuffer,
             sizeof kSocketBuffer);
  setsockopt(listen_fd_, SOL_SOCKET, SO_SNDBUF, &kSocketBuffer,
             sizeof kSocketBuffer);
  epoll_fd_ = epoll_create1(0);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kListenerTag;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &event);
  for (Batch* batch : {&in_, &out_}) {
    for (int i = 0; i < kBatch; ++i) {
      batch->messages[i].msg_hdr.msg_name = &batch->names[i];
      batch->messages[i].msg_hdr.msg_iov = &batch->iovecs[i];
      batch->messages[i].msg_hdr.msg_iovlen = 1;
    }
  }
}

Allocation* Forwarder::Open(const sockaddr_in& client) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return nullptr;
  sockaddr_in relayed{};
  relayed.sin_family = AF_INET;
  relayed.sin_addr = relay_ip_;
  socklen_t length = sizeof relayed;
  if (bind(fd, reinterpret_cast<sockaddr*>(&relayed), sizeof relayed) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&relayed), &length) != 0) {
    close(fd);
    return nullptr;
  }
  const auto index = static_cast<uint32_t>(allocations_.size());
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = index;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
  allocations_.push_back({fd, client, relayed, {}});
  by_client_[Key(client)] = index;
  return &allocations_.back();
}

void Forwarder::SendControl(absl::Span<const uint8_t> message,
                            const sockaddr_in& destination) {
  if (sendto(listen_fd_, message.data(), message.size(), 0,
             reinterpret_cast<const sockaddr*>(&destination),
             sizeof destination) < 0) {
    ++counters_.send_errors;
  }
}

// RFC 8489 §9.2.4: a request without credentials, or with wrong ones, is
// answered 401 with REALM and NONCE; a known nonce is never stale here.
void Forwarder::HandleRequest(const uint8_t* data, size_t size,
                              const sockaddr_in& source) {
  ++counters_.requests;
  const auto parsed = stun::MessageView::Parse(absl::MakeConstSpan(data, size));
  if (!parsed.ok() || !parsed->header().IsRequest()) {
    ++counters_.dropped;
    return;
  }
  const stun::MessageView& request = *parsed;
  const stun::Method method = request.header().known_method();
  std::array<uint8_t, 256> buffer{};
  const bool authenticated =
      request.Username() == username_ && request.Realm() == realm_ &&
      request.Nonce() == nonce_ &&
      stun::CheckMessageIntegrity(request, key_) == stun::IntegrityResult::kOk;
  if (!authenticated) {
    stun::MessageBuilder answer(absl::MakeSpan(buffer),
                                stun::MessageClass::kErrorResponse,
                                request.method(), request.transaction_id());
    answer.AddErrorCode(401)
        .AddString(stun::AttributeType::kRealm, realm_)
        .AddString(stun::AttributeType::kNonce, nonce_);
    if (const auto bytes = answer.Finish(); bytes.ok()) {
      SendControl(*bytes, source);
    }
    return;
  }
  const auto found = by_client_.find(Key(source));
  Allocation* allocation =
      found == by_client_.end() ? nullptr : &allocations_[found->second];
  stun::MessageBuilder answer(absl::MakeSpan(buffer),
                              stun::MessageClass::kSuccessResponse,
                              request.method(), request.transaction_id());
  switch (method) {
    case stun::Method::kAllocate:
      // A second Allocate from the same 5-tuple is taken as a
      // retransmission and answered with the same relayed address.
      if (allocation == nullptr) allocation = Open(source);
      if (allocation == nullptr) {
        ++counters_.dropped;
        return;
      }
      answer
          .AddXorAddress(stun::AttributeType::kXorRelayedAddress,
                         ToTransport(allocation->relayed))
          .AddXorAddress(stun::AttributeType::kXorMappedAddress,
                         ToTransport(source))
          .AddLifetime(kLifetimeSeconds);
      break;
    case stun::Method::kCreatePermission:
    case stun::Method::kChannelBind: {
      const auto peers = request.XorPeerAddresses();
      if (allocation == nullptr || peers.empty() || !peers[0].ip.is_v4()) {
        ++counters_.dropped;
        return;
      }
      // Data moves only on channels, and a channel's peer is the only one
      // its data goes to or comes from, so a permission of its own needs no
      // state here: CreatePermission is simply granted.
      if (method == stun::Method::kChannelBind) {
        const std::optional<uint16_t> number = request.ChannelNumber();
        if (!number || !stun::IsValidChannelNumber(*number)) {
          ++counters_.dropped;
          return;
        }
        std::vector<Channel>& channels = allocation->channels;
        const auto same =
            std::find_if(channels.begin(), channels.end(),
                         [&](const Channel& c) { return c.number == *number; });
        if (same == channels.end()) {
          channels.push_back({*number, ToSockaddr(peers[0])});
        } else {
          same->peer = ToSockaddr(peers[0]);  // a refresh of the binding
        }
      }
      break;
    }
    case stun::Method::kRefresh:
      if (allocation != nullptr && request.Lifetime() == 0u) {
        // RFC 8656 §7.2: LIFETIME 0 deletes the allocation. Its slot stays
        // (indices are epoll tags); only the socket and the 5-tuple go.
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, allocation->relay_fd, nullptr);
        close(allocation->relay_fd);
        allocation->relay_fd = -1;
        allocation->channels.clear();
        by_client_.erase(Key(source));
      }
      answer.AddLifetime(request.Lifetime().value_or(kLifetimeSeconds));
      break;
    default:
      ++counters_.dropped;
      return;
  }
  answer.AddMessageIntegrity(key_);
  if (const auto bytes = answer.Finish(); bytes.ok()) {
    SendControl(*bytes, source);
  }
}

// Client side: ChannelData goes out of the allocation's relay socket to the
// bound peer, STUN requests are answered inline.
void Forwarder::ReadClients() {
  for (int round = 0; round < 8; ++round) {  // then let the relays have a go
    for (int i = 0; i < kBatch; ++i) {
      in_.iovecs[i] = {in_.buffers[i].data(), kBufferSize};
      in_.messages[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    }
    const int count = recvmmsg(listen_fd_, in_.messages.data(), kBatch,
                               MSG_DONTWAIT, nullptr);
    if (count <= 0) return;
    // (relay fd, message index) for each datagram to forward, then sorted
    // so that each relay socket gets one sendmmsg for its run.
    std::array<std::pair<int, int>, kBatch> route;
    int routed = 0;
    for (int i = 0; i < count; ++i) {
      const uint8_t* data = in_.buffers[i].data();
      const size_t size = in_.messages[i].msg_len;
      const sockaddr_in& source = in_.names[i];
      if (size > 0 && stun::LooksLikeChannelData(data[0])) {
        const auto frame =
            stun::ParseChannelData(absl::MakeConstSpan(data, size));
        const auto found = by_client_.find(Key(source));
        if (!frame.ok() || found == by_client_.end()) {
          ++counters_.dropped;
          continue;
        }
        Allocation& allocation = allocations_[found->second];
        const auto channel = std::find_if(
            allocation.channels.begin(), allocation.channels.end(),
            [&](const Channel& c) { return c.number == frame->channel; });
        if (channel == allocation.channels.end()) {
          ++counters_.dropped;
          continue;
        }
        // The payload is sent from where it was received: no copy. The
        // peer's address is copied, since a request later in this batch
        // may grow the channel list.
        mmsghdr& out = to_peer_[routed];
        to_peer_iov_[routed] = {const_cast<uint8_t*>(frame->payload.data()),
                                frame->payload.size()};
        to_peer_names_[routed] = channel->peer;
        out = {};
        out.msg_hdr.msg_name = &to_peer_names_[routed];
        out.msg_hdr.msg_namelen = sizeof(sockaddr_in);
        out.msg_hdr.msg_iov = &to_peer_iov_[routed];
        out.msg_hdr.msg_iovlen = 1;
        route[routed] = {allocation.relay_fd, routed};
        ++routed;
      } else {
        HandleRequest(data, size, source);
      }
    }
    // Keep each relay socket's datagrams in arrival order (stable), and
    // grouped, so one sendmmsg carries each run.
    std::stable_sort(
        route.begin(), route.begin() + routed,
        [](const auto& a, const auto& b) { return a.first < b.first; });
    std::array<mmsghdr, kBatch> grouped;
    for (int i = 0; i < routed; ++i) grouped[i] = to_peer_[route[i].second];
    for (int start = 0; start < routed;) {
      int end = start + 1;
      while (end < routed && route[end].first == route[start].first) ++end;
      int done = start;
      while (done < end) {
        const int sent = sendmmsg(route[start].first, grouped.data() + done,
                                  static_cast<unsigned>(end - done), 0);
        if (sent <= 0) break;
        done += sent;
      }
      counters_.to_peer += static_cast<uint64_t>(done - start);
      counters_.send_errors += static_cast<uint64_t>(end - done);
      start = end;
    }
    if (count < kBatch) return;
  }
}

// Peer side: datagrams from a bound peer are queued for the client as
// ChannelData; the queue goes out in one sendmmsg on the listening socket.
void Forwarder::ReadRelay(uint32_t index) {
  Allocation& allocation = allocations_[index];
  // Deleted by a Refresh earlier in this round of events.
  if (allocation.relay_fd < 0) return;
  while (true) {
    if (out_count_ == kBatch) FlushToClients();
    const int room = kBatch - out_count_;
    for (int i = out_count_; i < kBatch; ++i) {
      out_.iovecs[i] = {out_.buffers[i].data() + stun::kChannelDataHeaderSize,
                        kBufferSize - stun::kChannelDataHeaderSize};
      out_.messages[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    }
    const int count =
        recvmmsg(allocation.relay_fd, out_.messages.data() + out_count_,
                 static_cast<unsigned>(room), MSG_DONTWAIT, nullptr);
    if (count <= 0) return;
    int kept = out_count_;
    for (int i = out_count_; i < out_count_ + count; ++i) {
      const sockaddr_in& peer = out_.names[i];
      const auto channel = std::find_if(
          allocation.channels.begin(), allocation.channels.end(),
          [&](const Channel& c) {
            return c.peer.sin_addr.s_addr == peer.sin_addr.s_addr &&
                   c.peer.sin_port == peer.sin_port;
          });
      const size_t size = out_.messages[i].msg_len;
      if (channel == allocation.channels.end() || size > 0xFFFF) {
        ++counters_.dropped;  // no Data indications in the baseline
        continue;
      }
      uint8_t* frame = out_.buffers[i].data();
      const auto header = stun::EncodeChannelDataHeader(
          channel->number, static_cast<uint16_t>(size));
      std::memcpy(frame, header.data(), header.size());
      if (kept != i) {
        // Closes the gap a dropped datagram left: a copy, but only after a
        // drop, which the benchmark's traffic never causes.
        out_.buffers[kept] = out_.buffers[i];
      }
      out_.iovecs[kept] = {out_.buffers[kept].data(),
                           size + stun::kChannelDataHeaderSize};
      out_.names[kept] = allocation.client;
      out_.messages[kept].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      ++kept;
    }
    out_count_ = kept;
    if (count < room) return;
  }
}

void Forwarder::FlushToClients() {
  int done = 0;
  while (done < out_count_) {
    const int sent = sendmmsg(listen_fd_, out_.messages.data() + done,
                              static_cast<unsigned>(out_count_ - done), 0);
    if (sent <= 0) break;
    done += sent;
  }
  counters_.to_client += static_cast<uint64_t>(done);
  counters_.send_errors += static_cast<uint64_t>(out_count_ - done);
  out_count_ = 0;
}

void Forwarder::Run() {
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &listen_.sin_addr, text, sizeof text);
  std::printf("listening on %s:%u\n", text, ntohs(listen_.sin_port));
  std::fflush(stdout);
  std::array<epoll_event, 256> events{};
  while (stop_requested == 0) {
    const int ready = epoll_wait(epoll_fd_, events.data(),
                                 static_cast<int>(events.size()), 200);
    for (int e = 0; e < ready; ++e) {
      if (events[e].data.u64 == kListenerTag) {
        ReadClients();
      } else {
        ReadRelay(static_cast<uint32_t>(events[e].data.u64));
      }
    }
    FlushToClients();
  }
}

}  // namespace
}  // namespace turnpike::e2e

int main(int argc, char** argv) {
  using namespace turnpike::e2e;
  std::string bad;
  const std::optional<Flags> flags = ParseFlagPairs(argc, argv, bad);
  if (!flags) Usage("expected --name VALUE pairs, got '" + bad + "'");
  const std::string listen_text = FlagOr(*flags, "listen", "127.0.0.1:0");
  const std::optional<sockaddr_in> listen = ParseIpv4Endpoint(listen_text);
  if (!listen) Usage("--listen: '" + listen_text + "' is not IPv4:PORT");
  in_addr relay_ip{};
  const std::string relay_text = FlagOr(*flags, "relay-ip", "127.0.0.1");
  if (inet_pton(AF_INET, relay_text.c_str(), &relay_ip) != 1) {
    Usage("--relay-ip: '" + relay_text + "' is not an IPv4 address");
  }
  const auto user = ParseUser(FlagOr(*flags, "user", ""));
  if (!user) Usage("--user: expected NAME:PASSWORD");
  const std::string realm = FlagOr(*flags, "realm", "turnpike");
  // One relay socket per allocation: 10,000 allocations need more than the
  // usual 1,024 descriptors.
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  Forwarder forwarder(*listen, relay_ip, user->first, realm, user->second);
  forwarder.Run();
  const Counters& c = forwarder.counters();
  std::printf(
      "min_forwarder: to_peer=%llu to_client=%llu requests=%llu "
      "dropped=%llu send_errors=%llu\n",
      static_cast<unsigned long long>(c.to_peer),
      static_cast<unsigned long long>(c.to_client),
      static_cast<unsigned long long>(c.requests),
      static_cast<unsigned long long>(c.dropped),
      static_cast<unsigned long long>(c.send_errors));
  return 0;
}
