// Worker: changing the listening sockets while the relay runs (a reload
// that edits `listen`). New listeners are bound before old ones close, and
// an old datagram listener stays until its last allocation is gone: a UDP
// client's allocation lives on the socket it reached (RFC 8656 §2.2, the
// 5-tuple), so closing that socket would strand the allocation.
#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/absl_compat.h"
#include "core/util/check.h"
#include "runtime/log.h"
#include "runtime/worker.h"

namespace turnpike::runtime {
namespace {

// How often a retired datagram listener is checked for its last
// allocation: allocations last minutes, so a second is prompt enough and
// costs one walk of the allocation table per second while any is retired.
constexpr uint64_t kRetireSweepMs = 1000;

// A listener `wanted` names: the same transport and address; a wanted port
// 0 takes whatever port the open one has.
bool Matches(const ListenerSpec& wanted, const Endpoint& open) {
  if (wanted.transport != open.transport()) return false;
  const TransportAddress& bound = open.local_address();
  return wanted.address.ip == bound.ip &&
         (wanted.address.port == 0 || wanted.address.port == bound.port);
}

}  // namespace

absl::StatusOr<std::vector<ListenerSpec>> Worker::ReplaceListeners(
    const std::vector<ListenerSpec>& wanted) {
  if (stopping_) return absl::UnavailableError("the worker is stopping");
  std::vector<ListenerSpec> resolved = wanted;
  std::vector<bool> keep(listeners_.size(), false);
  std::vector<size_t> opened;
  // Retired listeners still open that `wanted` names again: they serve as
  // they are (binding the address anew would fail without SO_REUSEPORT).
  std::vector<size_t> unretired;
  auto undo = [&](absl::Status status) {
    for (size_t index : opened) CloseListener(index);
    for (size_t index : unretired) retired_[index] = true;
    return status;
  };
  for (ListenerSpec& spec : resolved) {
    size_t found = listeners_.size();
    for (size_t i = 0; i < listeners_.size(); ++i) {
      if (IsActiveListener(i) && !keep[i] && Matches(spec, *listeners_[i])) {
        found = i;
        break;
      }
    }
    for (size_t i = 0; i < listeners_.size() && found == listeners_.size();
         ++i) {
      if (listeners_[i] != nullptr && retired_[i] &&
          Matches(spec, *listeners_[i])) {
        found = i;
        retired_[i] = false;
        unretired.push_back(i);
      }
    }
    if (found < listeners_.size()) {
      keep[found] = true;
      spec.address = listeners_[found]->local_address();
      continue;
    }
    if (listeners_.size() >= std::numeric_limits<uint16_t>::max()) {
      return undo(absl::ResourceExhaustedError(
          "listeners: 65535 listening sockets were opened in this process; "
          "restart to change them again"));
    }
    const core::ListenerId id{static_cast<uint16_t>(listeners_.size())};
    absl::StatusOr<std::unique_ptr<Endpoint>> listener = OpenListener(spec, id);
    if (!listener.ok()) {
      if (spec.skip_if_unavailable && absl::IsUnavailable(listener.status())) {
        spec.address.port = 0;  // marks it skipped for the caller
        continue;
      }
      return undo(absl::Status(
          listener.status().code(),
          absl::StrCat("listen ", ToAbsl(core::TransportName(spec.transport)),
                       "://", spec.address.ToString(), ": ",
                       listener.status().message())));
    }
    spec.address = (*listener)->local_address();
    listeners_.push_back(std::move(*listener));
    retired_.push_back(false);
    keep.push_back(true);
    opened.push_back(listeners_.size() - 1);
  }
  if (std::none_of(keep.begin(), keep.end(), [](bool k) { return k; })) {
    return undo(absl::FailedPreconditionError(
        "no listening address could be bound; give one this host has"));
  }
  // Retire what the new list no longer names; the core hears of every
  // socket that stays open (retired ones included) in one step, so a NAT
  // discovery set that no longer pairs up refuses the whole change.
  std::vector<size_t> retiring;
  for (size_t i = 0; i < keep.size(); ++i) {
    if (IsActiveListener(i) && !keep[i]) {
      retiring.push_back(i);
      retired_[i] = true;
    }
  }
  if (absl::Status status = TellCoreListeners(); !status.ok()) {
    for (size_t index : retiring) retired_[index] = false;
    absl::Status undone = undo(status);
    // What stays open is what was open before: the core hears it again.
    TURNPIKE_CHECK(TellCoreListeners().ok(),
                   "the listeners the core accepted before must pass again");
    return undone;
  }
  for (size_t index : retiring) {
    LogInfo(absl::StrCat(
        "listener ",
        ToAbsl(core::TransportName(listeners_[index]->transport())), "://",
        listeners_[index]->local_address().ToString(),
        " retired by the reload"));
  }
  for (size_t index : opened) {
    LogInfo(absl::StrCat(
        "listening on ",
        ToAbsl(core::TransportName(listeners_[index]->transport())), "://",
        listeners_[index]->local_address().ToString()));
  }
  SweepRetiredListeners();
  return resolved;
}

size_t Worker::retired_listener_count() const {
  size_t count = 0;
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (listeners_[i] != nullptr && retired_[i]) ++count;
  }
  return count;
}

void Worker::CloseListener(size_t index) {
  listeners_[index]->Close();
  closed_listeners_.push_back(std::move(listeners_[index]));
  retired_[index] = false;
}

void Worker::SweepRetiredListeners() {
  bool closed_any = false;
  bool waiting = false;
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (listeners_[i] == nullptr || !retired_[i]) continue;
    const core::Transport transport = listeners_[i]->transport();
    bool in_use = false;
    if (transport == core::Transport::kUdp ||
        transport == core::Transport::kDtls) {
      in_use = server_->AllocationsOnListener(
                   core::ListenerId{static_cast<uint16_t>(i)}) > 0;
      if (transport == core::Transport::kDtls) {
        in_use = in_use || static_cast<DtlsListener*>(listeners_[i].get())
                                   ->association_count() > 0;
      }
    }
    if (in_use) {
      waiting = true;
      continue;
    }
    LogInfo(absl::StrCat("listener ", ToAbsl(core::TransportName(transport)),
                         "://", listeners_[i]->local_address().ToString(),
                         " closed: nothing uses it any more"));
    CloseListener(i);
    closed_any = true;
  }
  if (closed_any) {
    // Only NAT behaviour discovery can refuse a set, when the retired
    // socket was the partner of one that stays: RFC 5780 answers then lack
    // that partner until the operator lists one again.
    if (absl::Status status = TellCoreListeners(); !status.ok()) {
      LogError(
          absl::StrCat("after closing a retired listener: ", status.message()));
    }
  }
  if (waiting && retire_timer_ == nullptr) {
    retire_timer_ = new uv_timer_t;
    TURNPIKE_CHECK(uv_timer_init(&loop_, retire_timer_) == 0,
                   "uv_timer_init on a live loop cannot fail");
    retire_timer_->data = this;
    uv_timer_start(
        retire_timer_,
        [](uv_timer_t* timer) {
          static_cast<Worker*>(timer->data)->SweepRetiredListeners();
        },
        kRetireSweepMs, kRetireSweepMs);
  } else if (!waiting && retire_timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(retire_timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    retire_timer_ = nullptr;
  }
}

}  // namespace turnpike::runtime
