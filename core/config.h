// The validated configuration of one core Server. The cli turns flags, files
// and environment into this; Server::Create checks what the types cannot
// and names the setting to fix.
#ifndef TURNPIKE_CORE_CONFIG_H_
#define TURNPIKE_CORE_CONFIG_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/net/transport_address.h"
#include "core/policy/peer_filter.h"
#include "core/policy/self_addresses.h"
#include "core/stun/channel_data.h"
#include "core/stun/constants.h"
#include "core/types.h"

namespace turnpike::core {

// One socket clients reach the server on. The core needs the addresses for
// RFC 5780 (which listener answers a CHANGE-REQUEST) and to refuse relaying
// into its own listening ports.
struct ListenerConfig {
  ListenerId id;
  Transport transport = Transport::kUdp;
  TransportAddress address;
};

struct ServerConfig {
  // SOFTWARE attribute on responses (RFC 8489 §14.14); nullopt sends none,
  // which hides the version from scanners.
  std::optional<std::string> software;

  std::vector<ListenerConfig> listeners;

  // RFC 8489 §9.2: the realm in every 401 and the key derivation.
  std::string realm = "turnpike";
  // How long a nonce stays fresh before 438 (RFC 8489 §9.2.1).
  Duration nonce_lifetime = std::chrono::minutes(10);
  // The key that seals nonces (core/auth/nonce.h). Several Servers given
  // the same key accept each other's nonces, as the workers of one process
  // must: a client's 401 and its retry may reach different workers. Drawn
  // from deps.random when nullopt.
  std::optional<std::array<uint8_t, 32>> nonce_key;
  // Offered in PASSWORD-ALGORITHMS, in order of preference (§14.11).
  std::vector<stun::PasswordAlgorithmId> password_algorithms = {
      stun::PasswordAlgorithmId::kSha256, stun::PasswordAlgorithmId::kMd5};

  // RFC 8656 §7.2: 600 s unless the client asks for more, up to the maximum
  // (restund's turn_max_lifetime).
  Duration default_lifetime = std::chrono::seconds(600);
  Duration max_lifetime = std::chrono::seconds(3600);
  // RFC 8656 §9: fixed at 300 s; §12: 600 s.
  Duration permission_lifetime = std::chrono::seconds(300);
  Duration channel_lifetime = std::chrono::seconds(600);
  // The highest channel number ChannelBind accepts: RFC 8656 §12 allows up
  // to 0x4FFF; RFC 5766 §11 allowed up to 0x7FFF and RFC 5766 clients
  // (coturn's turnutils_uclient) still use that range, so it is the
  // default, as in coturn. Server::Create accepts only these two values.
  uint16_t max_channel_number = stun::kMaxRfc5766ChannelNumber;
  // RFC 8656 §12.1: a channel number or peer stays out of use for 5
  // minutes after its binding expired.
  Duration channel_cooldown = std::chrono::minutes(5);
  // RFC 8656 §7.2 RESERVATION-TOKEN: how long port+1 stays held.
  Duration reservation_lifetime = std::chrono::seconds(30);

  // Per allocation, the most permissions (peer IPs, RFC 8656 §9) and
  // channel bindings (§12) it may hold; one more is 508 (§9.2, §12.2).
  // A WebRTC client needs one permission per remote candidate IP and at
  // most one channel per remote candidate, a few dozen at the very most;
  // the caps are what bound one user's memory (docs/security.md). 0 means
  // no cap.
  uint32_t max_permissions_per_allocation = 256;
  uint32_t max_channels_per_allocation = 256;

  // RFC 6062 TCP allocations. A Connect waits this long for the peer's
  // TCP handshake before 447 (§5.2: at least 30 s); a peer data
  // connection, connected or accepted, waits this long for its
  // ConnectionBind before it is closed (§5.2, §5.3: 30 s).
  Duration peer_connect_timeout = std::chrono::seconds(30);
  Duration connection_bind_timeout = std::chrono::seconds(30);
  // Per TCP allocation, the most peer data connections (connecting,
  // waiting for their bind, or spliced); one more Connect is 508 and one
  // more accepted peer connection is closed. Each is a kernel socket and
  // two stream buffers in the runtime, so the cap bounds what one user
  // can hold (docs/security.md). 0 means no cap.
  uint32_t max_connections_per_allocation = 64;
  // Which of the process's workers this Server is, and how many there are
  // (runtime/supervisor.h). Every CONNECTION-ID it issues names its worker
  // in the top bits (core/turn/connection_number.h), and a ConnectionBind
  // for another worker's is handed there (HandOffConnection) instead of
  // answered. worker_count is 1..256 and worker_index below it.
  uint32_t worker_index = 0;
  uint32_t worker_count = 1;

  // Which relay address families the runtime can bind (REQUESTED-ADDRESS-
  // FAMILY of another family gets 440).
  bool relay_ipv4 = true;
  bool relay_ipv6 = false;

  PeerFilterRules peer_rules;
  // The relay addresses, the host's addresses and the relay port range, so
  // the relay never relays into the server itself (docs/security.md). The
  // runtime fills it in; the listeners' addresses are added from
  // `listeners`.
  SelfAddressConfig own_addresses;

  // Per allocation, bytes per second relayed in each direction (token
  // bucket); 0 = unlimited. Bursts up to one second's worth.
  uint64_t bandwidth_bytes_per_second = 0;

  // Answers to requests that proved no password (401, and 438 to a nonce
  // this server never issued) per source IP, an IPv6 source per /64
  // (core/policy/source_rate_limiter.h): over UDP a spoofed source turns
  // each answer into reflected traffic. Requests past the budget are
  // dropped and counted. 0 = unlimited.
  uint32_t unauthenticated_rate = 20;
  // Answers a quiet source may get at once (a whole office's clients
  // starting calls together behind one NAT).
  uint32_t unauthenticated_burst = 100;
  // The limiter's table: this many sets of SourceRateLimiter::kWays
  // sources, a power of two; its memory is fixed whatever the flood.
  size_t unauthenticated_sets = 512;

  // Drain (Server::StartDrain): where new Allocates are redirected with
  // 300 Try Alternate (RFC 8489 §10); none of the client's family means
  // 508 (RFC 8656 §7.2). Order matters: core/drain/alternate_choice.h.
  std::vector<TransportAddress> alternate_servers;
  // RFC 8489 §14.16: the name a TLS or DTLS client verifies the alternate's
  // certificate against; sent only to TLS and DTLS clients. 1 to 254 bytes.
  std::optional<std::string> alternate_domain;

  // RFC 5780 NAT behaviour discovery: OTHER-ADDRESS, RESPONSE-ORIGIN and
  // CHANGE-REQUEST. Needs listeners on two IPs and two ports (four UDP
  // listeners); off by default because it answers from other addresses.
  bool nat_discovery = false;
};

}  // namespace turnpike::core

#endif  // TURNPIKE_CORE_CONFIG_H_
