#include "fuzz/server_fuzz_relays.h"

#include <algorithm>

#include "fuzz/fuzz_support.h"

namespace turnpike::fuzz {

void RelayBook::OnOpenRelay(const core::OpenRelay& open) {
  // types.h: a RelayId is never reused within one Server's life.
  FUZZ_CHECK(!records_.contains(open.id));
  RelayRecord record;
  record.family = open.family;
  record.transport = open.transport;
  record.even_port = open.even_port;
  record.reserve_id = open.reserve_id;
  if (open.reserve_id) {
    FUZZ_CHECK(*open.reserve_id != open.id);
    FUZZ_CHECK(!records_.contains(*open.reserve_id));
    // RFC 8656 §7.2: R=1 only comes with EVEN-PORT.
    FUZZ_CHECK(open.even_port);
    records_[*open.reserve_id] =
        RelayRecord{RelayState::kReserving, open.family, open.transport,
                    false, {}, {}};
  }
  records_[open.id] = record;
  answerable_.push_back(open.id);
}

void RelayBook::OnCloseRelay(core::RelayId id) {
  auto it = records_.find(id);
  // Only ids an OpenRelay announced can be closed.
  FUZZ_CHECK(it != records_.end());
  RelayRecord& record = it->second;
  switch (record.state) {
    case RelayState::kOpening:
    case RelayState::kReserving:
      // core/server.h: a relay whose allocation went away while it was
      // opening is closed once it is reported bound, never before (there
      // is no socket to close yet).
      FUZZ_CHECK(record.state != RelayState::kOpening &&
                 record.state != RelayState::kReserving);
      break;
    case RelayState::kOpen:
    case RelayState::kBroken:
      record.state = RelayState::kClosed;
      break;
    case RelayState::kClosed:
      // A bound socket is closed once; a second close could hit a socket
      // the runtime already freed.
      FUZZ_CHECK(record.state != RelayState::kClosed);
      break;
    case RelayState::kFailed:
      // Nothing is bound; a repeated close would be harmless, and the API
      // does not rule it out, so it is not asserted.
      break;
  }
}

void RelayBook::ReportOpened(core::RelayId id, const TransportAddress& bound) {
  RelayRecord& record = records_.at(id);
  FUZZ_CHECK(record.state == RelayState::kOpening);
  record.state = RelayState::kOpen;
  record.bound = bound;
  if (record.reserve_id) {
    RelayRecord& reserved = records_.at(*record.reserve_id);
    // command.h: port+1 is bound along with the even port. When its close
    // already came, the runtime releases it at once.
    if (reserved.state == RelayState::kReserving) {
      reserved.state = RelayState::kOpen;
      reserved.bound = bound;
      reserved.bound.port = static_cast<uint16_t>(bound.port + 1);
    }
  }
  RemoveAnswerable(id);
}

void RelayBook::ReportFailed(core::RelayId id) {
  RelayRecord& record = records_.at(id);
  if (record.state == RelayState::kOpen) {
    record.state = RelayState::kBroken;
    return;
  }
  FUZZ_CHECK(record.state == RelayState::kOpening);
  record.state = RelayState::kFailed;
  if (record.reserve_id) {
    RelayRecord& reserved = records_.at(*record.reserve_id);
    // A failed open bound neither port nor port+1.
    if (reserved.state == RelayState::kReserving) {
      reserved.state = RelayState::kFailed;
    }
  }
  RemoveAnswerable(id);
}

std::vector<core::RelayId> RelayBook::OpenIds() const {
  std::vector<core::RelayId> out;
  for (const auto& [id, record] : records_) {
    if (record.state == RelayState::kOpen) out.push_back(id);
  }
  // Hash order varies between builds; the input's choice must not.
  std::sort(out.begin(), out.end());
  return out;
}

const RelayRecord* RelayBook::Find(core::RelayId id) const {
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second;
}

bool RelayBook::IsBound(core::RelayId id) const {
  const RelayRecord* record = Find(id);
  return record && (record->state == RelayState::kOpen ||
                    record->state == RelayState::kBroken);
}

bool RelayBook::IsBoundAddress(const TransportAddress& address) const {
  for (const auto& [id, record] : records_) {
    if (IsBound(id) && record.bound == address) return true;
  }
  return false;
}

void RelayBook::CheckAllReleased(bool opens_pending) const {
  for (const auto& [id, record] : records_) {
    // Shutdown deletes every allocation (closing its bound relays) and
    // gives back every reserved port; binds still in progress are closed
    // when they report in, so they may remain until then.
    FUZZ_CHECK(record.state != RelayState::kOpen);
    if (opens_pending) continue;
    FUZZ_CHECK(record.state != RelayState::kOpening);
    FUZZ_CHECK(record.state != RelayState::kReserving);
  }
}

void RelayBook::RemoveAnswerable(core::RelayId id) {
  answerable_.erase(std::remove(answerable_.begin(), answerable_.end(), id),
                    answerable_.end());
}

}  // namespace turnpike::fuzz
