#include "cli/credential_reloader.h"

#include <sys/stat.h>

#include <utility>

namespace turnpike::cli {

CredentialReloader::CredentialReloader(std::vector<std::string> watched,
                                       absl::Duration poll_interval,
                                       Rebuild rebuild, Report report)
    : watched_(std::move(watched)),
      poll_interval_(poll_interval),
      rebuild_(std::move(rebuild)),
      report_(std::move(report)),
      seen_(StatAll()) {}

CredentialReloader::~CredentialReloader() { Stop(); }

void CredentialReloader::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void CredentialReloader::Trigger() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    triggered_ = true;
  }
  wake_.notify_one();
}

void CredentialReloader::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::vector<CredentialReloader::FileState> CredentialReloader::StatAll() const {
  std::vector<FileState> states;
  states.reserve(watched_.size());
  for (const std::string& path : watched_) {
    FileState state;
    struct stat info {};
    // stat, not lstat: a swapped symlink is seen through its new target.
    if (stat(path.c_str(), &info) == 0) {
      state.mtime_ns =
          int64_t{info.st_mtim.tv_sec} * 1'000'000'000 + info.st_mtim.tv_nsec;
      state.ctime_ns =
          int64_t{info.st_ctim.tv_sec} * 1'000'000'000 + info.st_ctim.tv_nsec;
      state.size = info.st_size;
      state.inode = info.st_ino;
    }
    states.push_back(state);
  }
  return states;
}

void CredentialReloader::Run() {
  std::vector<FileState> seen = std::move(seen_);
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, absl::ToChronoNanoseconds(poll_interval_),
                   [this] { return stopping_ || triggered_; });
    if (stopping_) break;
    const bool triggered = std::exchange(triggered_, false);
    lock.unlock();
    std::vector<FileState> now = StatAll();
    const bool changed = now != seen;
    if (triggered || changed) {
      seen = std::move(now);
      report_(rebuild_(), changed && !triggered);
    }
    lock.lock();
  }
}

}  // namespace turnpike::cli
