// Worker: RFC 8656 §7.2 EVEN-PORT reservations shared by the workers of a
// process (runtime/shared_reservation_registry.h). The worker that
// reserved port+1 hands its socket to the registry as a bare descriptor;
// the worker whose core claims the token adopts it as a relay socket of
// its own loop, so the relayed data never crosses threads.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/absl_compat.h"
#include "runtime/log.h"
#include "runtime/worker.h"

namespace turnpike::runtime {

void Worker::Execute(const core::ShareReservation& share) {
  auto it = relays_.find(share.relay);
  if (it == relays_.end() || reservations_ == nullptr) return;
  // A duplicate keeps the port bound once this loop's handle closes; from
  // here until a claim, datagrams to it wait in the kernel's buffer.
  const int fd = it->second->DuplicateDescriptor();
  if (fd < 0) {
    LogWarning(absl::StrCat("reserved relay port: dup failed: ",
                            std::strerror(errno)));
  }
  it->second->Close();
  closed_relays_.push_back(std::move(it->second));
  relays_.erase(it);
  // Without a descriptor the token names no socket: its claim gets 508.
  if (fd >= 0) reservations_->Attach(share.token, fd);
}

absl::StatusOr<TransportAddress> Worker::AdoptClaimedRelay(
    const core::OpenRelay& open) {
  const int fd = reservations_ == nullptr
                     ? -1
                     : reservations_->TakeClaimed(*open.claimed_token);
  if (fd < 0) {
    return absl::NotFoundError("the reserved relay port has no socket");
  }
  absl::StatusOr<std::unique_ptr<UdpSocket>> socket = UdpSocket::Adopt(
      &loop_, open.id, fd, udp_options_, &slab_, this, &stats_);
  if (!socket.ok()) return socket.status();
  if (open.dont_fragment) {
    if (absl::Status df = (*socket)->SetDontFragment(); !df.ok()) {
      LogWarning(FromAbsl(df.message()));
    }
  }
  // Advertised as every relay address is (the external one behind 1:1
  // NAT): the workers share one relay configuration.
  const TransportAddress local = (*socket)->local_address();
  const std::optional<RelayAddress>& relay =
      local.ip.is_v4() ? relay_options_.ipv4 : relay_options_.ipv6;
  TransportAddress advertised = local;
  if (relay && relay->external) advertised.ip = *relay->external;
  relays_.emplace(open.id, *std::move(socket));
  return advertised;
}

}  // namespace turnpike::runtime
