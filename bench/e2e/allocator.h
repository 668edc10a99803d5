// Opens TURN allocations over many UDP sockets at once: for each socket an
// unauthenticated Allocate (answered 401 with REALM and NONCE), the
// authenticated Allocate, then a ChannelBind to the peer, which also installs
// the peer's permission (RFC 8656 §7.2, §9, §12.1). A bounded number of
// sockets is in flight at a time; requests are retransmitted on a timeout
// and every answer is checked.
#ifndef TURNPIKE_BENCH_E2E_ALLOCATOR_H_
#define TURNPIKE_BENCH_E2E_ALLOCATOR_H_

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <vector>

#include "turn_wire.h"

namespace turnpike::e2e {

inline constexpr uint16_t kChannel = 0x4000;

struct Credentials {
  std::string username;
  std::string password;
};

// One client socket, connected to the server, and its allocation.
struct ClientSession {
  int fd = -1;
  sockaddr_in relayed{};
  bool ready = false;  // allocated and bound to kChannel
};

struct AllocationRun {
  std::vector<ClientSession> sessions;  // the ready ones and the failed ones
  size_t ready = 0;
  double seconds = 0;  // first request to last ChannelBind success
  uint64_t retransmissions = 0;
  std::string first_error;  // empty when every session is ready
};

// Opens `count` sessions; `window` sessions are being set up at a time.
AllocationRun OpenAllocations(const sockaddr_in& server,
                              const Credentials& credentials,
                              const sockaddr_in& peer, size_t count,
                              size_t window);

void CloseSessions(std::vector<ClientSession>& sessions);

}  // namespace turnpike::e2e

#endif  // TURNPIKE_BENCH_E2E_ALLOCATOR_H_
