// A child process for tests: started with posix_spawn, its stdout and
// stderr captured in a temporary file, every wait bounded, and killed and
// reaped by the destructor if the test did not stop it.
#ifndef TURNPIKE_TESTS_RUNTIME_SUBPROCESS_H_
#define TURNPIKE_TESTS_RUNTIME_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace turnpike::testing {

// How a child ended, decoded from waitpid's status.
struct ExitInfo {
  bool exited = false;  // returned from main or called exit()
  int code = -1;        // exit code when `exited`
  int signal = 0;       // terminating signal otherwise
  std::string ToString() const;
};

class Subprocess {
 public:
  // Starts `path` with `args` (argv[0] is `path`). nullptr when spawning
  // fails.
  static std::unique_ptr<Subprocess> Start(
      const std::string& path, const std::vector<std::string>& args);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // The child's process id (for /proc/<pid>/ in tests that watch it).
  pid_t pid() const { return pid_; }
  // False once the child has exited (and reaps it).
  bool Running();
  void Signal(int signum);
  // Waits at most `timeout` for the child to exit.
  std::optional<ExitInfo> WaitForExit(std::chrono::milliseconds timeout);
  // Everything the child wrote to stdout and stderr so far.
  std::string Output() const;

 private:
  Subprocess(pid_t pid, std::string output_path)
      : pid_(pid), output_path_(std::move(output_path)) {}
  bool Reap(int options);

  pid_t pid_;
  std::string output_path_;
  std::optional<ExitInfo> exit_;
};

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_RUNTIME_SUBPROCESS_H_
