// The credential reloader (cli/credential_reloader.h) over a real users
// file in a temporary directory: a failed rebuild keeps the last good
// snapshot serving, and a changed file is picked up without a trigger
// (SIGHUP) within a bounded time. Waits are on the reloader's reports,
// each bounded.
#include "cli/credential_reloader.h"

#include <doctest/doctest.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

#include "absl/time/time.h"
#include "cli/credential_snapshot.h"
#include "cli/settings.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli {
namespace {

const absl::Time kWall = absl::FromUnixSeconds(1'700'000'000);

absl::StatusOr<std::string> ReadDisk(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Replaces the file by rename, as editors and `turnpike users add` do.
void WriteFile(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  std::ofstream(temporary) << text;
  REQUIRE(rename(temporary.c_str(), path.c_str()) == 0);
}

// The reloader wired as main.cc wires it, with outcomes recorded.
class Harness {
 public:
  explicit Harness(std::string path)
      : path_(std::move(path)),
        credentials_(Load().value()),
        reloader_(
            {path_}, absl::Milliseconds(20),
            [this]() -> absl::StatusOr<std::string> {
              absl::StatusOr<std::shared_ptr<const core::CredentialStore>>
                  next = Load();
              if (!next.ok()) return next.status();
              credentials_.Replace(*std::move(next));
              return std::string("ok");
            },
            [this](const absl::StatusOr<std::string>& outcome, bool changed) {
              std::lock_guard<std::mutex> lock(mutex_);
              outcomes_.push_back({outcome.ok(), changed});
              done_.notify_all();
            }) {}

  absl::StatusOr<std::shared_ptr<const core::CredentialStore>> Load() const {
    const std::vector<std::string_view> args = {"--realm", "r", "--users-file",
                                                path_};
    absl::StatusOr<Settings> settings = LoadSettings(args, {}, &ReadDisk);
    if (!settings.ok()) return settings.status();
    return settings->credentials;
  }

  // Waits (at most 5 s) for the outcome of rebuild number `n` (from 1).
  struct Outcome {
    bool ok;
    bool changed;
  };
  Outcome WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    REQUIRE(done_.wait_for(lock, std::chrono::seconds(5),
                           [&] { return outcomes_.size() >= n; }));
    return outcomes_[n - 1];
  }

  bool Knows(std::string_view user) const {
    return !credentials_.Find(user, "r", kWall).empty();
  }

  CredentialReloader& reloader() { return reloader_; }

 private:
  std::string path_;
  ReloadableCredentials credentials_;
  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<Outcome> outcomes_;
  CredentialReloader reloader_;  // last: stopped before the rest goes
};

class TempUsersFile {
 public:
  TempUsersFile() {
    char pattern[] = "/tmp/turnpike-reload-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    dir_ = pattern;
  }
  ~TempUsersFile() {
    unlink(path().c_str());
    rmdir(dir_.c_str());
  }
  std::string path() const { return dir_ + "/users"; }

 private:
  std::string dir_;
};

TEST_CASE("a broken users file keeps the last good users serving") {
  TempUsersFile file;
  WriteFile(file.path(), "alice:wonderland\n");
  Harness harness(file.path());
  harness.reloader().Start();
  WriteFile(file.path(), "alice:wonderland\nbob:0xnot-a-key\n");
  harness.reloader().Trigger();
  const Harness::Outcome broken = harness.WaitFor(1);
  CHECK_FALSE(broken.ok);
  CHECK(harness.Knows("alice"));
  CHECK_FALSE(harness.Knows("bob"));
}

TEST_CASE("a changed users file is picked up without a trigger") {
  TempUsersFile file;
  WriteFile(file.path(), "alice:wonderland\n");
  Harness harness(file.path());
  CHECK_FALSE(harness.Knows("carol"));
  harness.reloader().Start();
  WriteFile(file.path(), "alice:wonderland\ncarol:pw\n");
  const Harness::Outcome picked = harness.WaitFor(1);
  CHECK(picked.ok);
  CHECK(picked.changed);
  CHECK(harness.Knows("carol"));
  CHECK(harness.Knows("alice"));
}

}  // namespace
}  // namespace turnpike::cli
