// The thread that rebuilds the credential snapshot (restund's design,
// DESIGN.md): on Trigger() (SIGHUP) and whenever a watched source file
// changes, it runs the rebuild off the relay's loop, so the loop never
// waits on a file or a database; the rebuild swaps the new snapshot in
// atomically (ReloadableCredentials) or, when it fails, leaves the last
// good one serving.
//
// Changes are found by polling each file's (mtime, ctime, size, inode)
// once per interval rather than with inotify: a poll also sees a file
// replaced by rename (editors, `turnpike users add`), a Kubernetes secret
// or ConfigMap whose symlink is swapped, and files on network or overlay
// file systems where inotify stays silent; it costs one stat(2) per file
// per second and no watch descriptors.
#ifndef TURNPIKE_CLI_CREDENTIAL_RELOADER_H_
#define TURNPIKE_CLI_CREDENTIAL_RELOADER_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace turnpike::cli {

class CredentialReloader {
 public:
  // Runs on the reloader's thread; returns a summary of what now applies,
  // or the error that kept the last good snapshot.
  using Rebuild = std::function<absl::StatusOr<std::string>()>;
  // Told the outcome of every rebuild, on the reloader's thread, with
  // whether a file change (rather than Trigger) caused it.
  using Report =
      std::function<void(const absl::StatusOr<std::string>&, bool changed)>;

  // `watched`: the source files (a missing one counts as a state too, so
  // its appearance is a change). Their state is taken here: construct the
  // reloader right after loading the snapshot it will replace, so a change
  // in between is not missed.
  CredentialReloader(std::vector<std::string> watched,
                     absl::Duration poll_interval, Rebuild rebuild,
                     Report report);
  // Stops and joins the thread.
  ~CredentialReloader();
  CredentialReloader(const CredentialReloader&) = delete;
  CredentialReloader& operator=(const CredentialReloader&) = delete;

  void Start();
  // Asks for a rebuild now (SIGHUP); returns at once. Safe from any thread.
  void Trigger();
  void Stop();

 private:
  struct FileState {
    int64_t mtime_ns = -1;
    int64_t ctime_ns = -1;
    int64_t size = -1;
    uint64_t inode = 0;
    bool operator==(const FileState&) const = default;
  };
  std::vector<FileState> StatAll() const;
  void Run();

  const std::vector<std::string> watched_;
  const absl::Duration poll_interval_;
  const Rebuild rebuild_;
  const Report report_;
  std::vector<FileState> seen_;  // handed to the thread by Start()
  std::mutex mutex_;
  std::condition_variable wake_;
  bool triggered_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_CREDENTIAL_RELOADER_H_
