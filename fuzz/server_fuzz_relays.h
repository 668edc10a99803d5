// What a runtime would hold for each relay id the server has named, and the
// checks on OpenRelay / CloseRelay that follow from core/command.h and
// core/server.h alone:
//  * a CloseRelay names an id some OpenRelay announced (as `id` or as
//    `reserve_id`);
//  * a socket the runtime reported bound is closed at most once;
//  * after Shutdown nothing is bound and nothing is still being opened.
// A CloseRelay for an id still being opened means the runtime gives up the
// bind; the fuzzer may still report it bound afterwards (the runtime lost
// the race), and then the server must close it again (server.h: "An id the
// server no longer wants is closed again").
#ifndef TURNPIKE_FUZZ_SERVER_FUZZ_RELAYS_H_
#define TURNPIKE_FUZZ_SERVER_FUZZ_RELAYS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/command.h"
#include "core/types.h"

namespace turnpike::fuzz {

enum class RelayState : uint8_t {
  kOpening,    // OpenRelay seen, not answered
  kReserving,  // the port+1 of an EVEN-PORT R=1 OpenRelay still opening
  kOpen,       // reported bound; the runtime holds the socket
  kFailed,     // reported failed while opening: nothing was bound
  kBroken,     // reported failed after it was bound (socket error)
  kClosed,     // closed after it was bound
};

struct RelayRecord {
  RelayState state = RelayState::kOpening;
  AddressFamily family = AddressFamily::kIpv4;
  core::Transport transport = core::Transport::kUdp;  // kTcp: RFC 6062
  bool even_port = false;
  std::optional<core::RelayId> reserve_id;  // only on the main id
  TransportAddress bound;                   // when kOpen
};

class RelayBook {
 public:
  // Records the ids a command announces; FUZZ_CHECKs the close rules.
  void OnOpenRelay(const core::OpenRelay& open);
  void OnCloseRelay(core::RelayId id);

  // The fuzzer's answers. ReportOpened binds port+1 too for a reserving
  // OpenRelay (command.h).
  void ReportOpened(core::RelayId id, const TransportAddress& bound);
  void ReportFailed(core::RelayId id);

  // Ids the fuzzer may answer: opening, or cancelled (a late answer).
  const std::vector<core::RelayId>& answerable() const { return answerable_; }
  // Ids the runtime holds a socket for (peer datagrams arrive on them).
  std::vector<core::RelayId> OpenIds() const;

  const RelayRecord* Find(core::RelayId id) const;
  // Reported bound and not closed since; a socket reported broken counts
  // (the server may not know yet, e.g. for a reserved port).
  bool IsBound(core::RelayId id) const;
  bool IsBoundAddress(const TransportAddress& address) const;

  // After Shutdown and a full drain: nothing bound, and (unless
  // `opens_pending`: abandoned binds not yet reported) nothing opening.
  void CheckAllReleased(bool opens_pending) const;

 private:
  void RemoveAnswerable(core::RelayId id);

  absl::flat_hash_map<core::RelayId, RelayRecord> records_;
  std::vector<core::RelayId> answerable_;
};

}  // namespace turnpike::fuzz

#endif  // TURNPIKE_FUZZ_SERVER_FUZZ_RELAYS_H_
