// A reference model of the TURN server (RFC 8656) for the stateful property
// test: what a handful of clients have allocated, permitted and bound, and
// what each step must make the server do. It is written from the RFC, not
// from core/, and deliberately small: IPv4 and dual allocations, lifetimes,
// permissions, channel bindings with the §12.1 cool-down, quotas, relay
// sockets that open or fail, and time.
//
// Every step returns the Effects the server must show: the response to the
// acting client, the relay sockets it asks to open and close, and how many
// lifecycle events of each kind it emits.
#ifndef TURNPIKE_TESTS_PROPERTY_SERVER_MODEL_H_
#define TURNPIKE_TESTS_PROPERTY_SERVER_MODEL_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "core/net/transport_address.h"
#include "core/types.h"

namespace turnpike::testing::model {

using core::Duration;

// The fixed cast. Clients 0 and 1 share an IP and are both "alice"; client
// 2 is alice from another IP; client 3 is "bob" from client 2's IP. With a
// total of 3, 2 per user and 2 per IP, all three quota verdicts happen.
inline constexpr int kClients = 4;
inline constexpr int kTotalQuota = 3;
inline constexpr int kUserQuota = 2;
inline constexpr int kIpQuota = 2;
int UserOf(int client);  // 0 alice, 1 bob
int IpOf(int client);    // 0 or 1

struct Peer {
  const char* address;
  bool ipv6;
  bool allowed;  // by the default peer policy (private ranges denied)
};
// Peers 0 and 1 share an IP (permissions are per IP, channels per
// transport address); 3 is private (403); 4 is IPv6; 5 is an IPv4-mapped
// private address, denied like its IPv4 form.
inline constexpr std::array<Peer, 6> kPeers = {{
    {"192.0.2.200:7000", false, true},
    {"192.0.2.200:7001", false, true},
    {"198.51.100.77:9000", false, true},
    {"10.0.0.5:9000", false, false},
    {"[2001:db8::5]:9000", true, true},
    {"[::ffff:10.0.0.5]:9000", true, false},
}};
// The peer's IP, for permissions: peers 0 and 1 share one.
int PeerIp(int peer);

inline constexpr Duration kDefaultLifetime = std::chrono::seconds(600);
inline constexpr Duration kMaxLifetime = std::chrono::seconds(3600);
inline constexpr Duration kPermissionLifetime = std::chrono::seconds(300);
inline constexpr Duration kChannelLifetime = std::chrono::seconds(600);
inline constexpr Duration kChannelCooldown = std::chrono::minutes(5);
// Caps per allocation (508 past them, RFC 8656 §9.2, §12.2), small enough
// for the cast above to reach (three allowed peer IPs, four peers).
inline constexpr size_t kMaxPermissions = 2;
inline constexpr size_t kMaxChannels = 2;

// RFC 8656 §7.2: at least the default, at most the maximum.
Duration Negotiate(std::optional<uint32_t> requested_seconds);
bool IsValidChannel(uint16_t number);  // RFC 5766 §11: 0x4000-0x7FFF

enum class RelayState { kOpening, kOpen };
// One OpenRelay the server asked for, known by the order it was asked in.
struct Relay {
  int client = -1;  // -1: its allocation is gone (abandoned)
  bool ipv6 = false;
  RelayState state = RelayState::kOpening;
};

struct Channel {
  int peer = 0;
  Duration expiry{};  // a bound channel: until; a cooling one: free from
};

struct Allocation {
  bool answered = false;
  Duration lifetime{};
  Duration expiry{};
  std::optional<int> relay4;  // keys into Model::relays
  std::optional<int> relay6;
  std::map<int, Duration> permissions;  // peer IP → expiry
  std::map<uint16_t, Channel> channels;
  std::map<uint16_t, Channel> cooling;  // §12.1
};

// Client → peer data (RFC 8656 §11.2, §12.5): out of relay `relay` (a key
// into Model::relays) to peer `peer`, with nothing in front of it.
struct ToPeer {
  int relay = -1;
  int peer = 0;
};

// Peer → client data (RFC 8656 §11.4, §12.6): to the 5-tuple of `client`,
// the owner of the allocation; in ChannelData on `channel` when one is bound
// to the peer, else in a Data indication naming `peer`.
struct ToClient {
  int client = -1;
  int peer = 0;
  std::optional<uint16_t> channel;
};

struct Effects {
  // The response to the acting client: 0 for success, else the error code.
  std::optional<int> response;
  int response_to = -1;
  std::vector<int> opens;   // relay keys, in the order asked
  std::vector<int> closes;  // relay keys (any order)
  int created = 0, deleted = 0, errors = 0;
  int permissions_created = 0, permissions_deleted = 0;
  int channels_created = 0, channels_deleted = 0;
  // A relayed packet and exactly where it goes (at most one of the two).
  std::optional<ToPeer> to_peer;
  std::optional<ToClient> to_client;
};

struct Model {
  Duration now{};  // since the test's t0
  std::array<std::optional<Allocation>, kClients> allocations;
  std::map<int, Relay> relays;  // by key
  int next_relay_key = 0;

  // Everything due at `now` goes (RFC 8656 §7, §9, §12, §12.1).
  void Expire(Effects& e);
  std::optional<Duration> NextDeadline() const;

  void Allocate(int client, std::optional<uint32_t> lifetime, bool dual,
                Effects& e);
  void AnswerOpen(int key, bool ok, Effects& e);
  void Refresh(int client, std::optional<uint32_t> lifetime, Effects& e);
  void CreatePermission(int client, int peer, Effects& e);
  void ChannelBind(int client, uint16_t number, int peer, Effects& e);
  void SendIndication(int client, int peer, Effects& e);
  void ChannelData(int client, uint16_t number, Effects& e);
  void FromPeer(int client, int peer, Effects& e);

  int Holding(int user, int ip) const;  // -1 = any
  std::vector<int> OpeningRelays() const;
  const Allocation* Answered(int client) const;

 private:
  void Delete(int client, Effects& e);
  bool HasPermission(const Allocation& a, int peer) const;
  // Data from the client to `peer`: out of the relay of its family, when
  // there is one and the peer's IP has a permission.
  void ToPeerIfPermitted(const Allocation& a, int peer, Effects& e) const;
};

}  // namespace turnpike::testing::model

#endif  // TURNPIKE_TESTS_PROPERTY_SERVER_MODEL_H_
