#include "tests/runtime/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace turnpike::testing {

std::string ExitInfo::ToString() const {
  if (exited) return "exit code " + std::to_string(code);
  return "killed by signal " + std::to_string(signal);
}

std::unique_ptr<Subprocess> Subprocess::Start(
    const std::string& path, const std::vector<std::string>& args) {
  std::string output_path =
      (std::filesystem::temp_directory_path() / "turnpike-test-XXXXXX")
          .string();
  const int fd = mkstemp(output_path.data());
  if (fd < 0) return nullptr;

  std::vector<std::string> argv_strings = {path};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(argv_strings.size() + 1);
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fd, STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, fd);
  pid_t pid = 0;
  const int err =
      posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fd);
  if (err != 0) {
    std::filesystem::remove(output_path);
    return nullptr;
  }
  return std::unique_ptr<Subprocess>(new Subprocess(pid, output_path));
}

Subprocess::~Subprocess() {
  if (Running()) {
    kill(pid_, SIGKILL);
    Reap(0);  // SIGKILL cannot be caught, so this returns promptly
  }
  std::error_code ignored;
  std::filesystem::remove(output_path_, ignored);
}

bool Subprocess::Reap(int options) {
  if (exit_) return true;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, options);
  if (done != pid_) return false;
  ExitInfo info;
  if (WIFEXITED(status)) {
    info.exited = true;
    info.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    info.signal = WTERMSIG(status);
  }
  exit_ = info;
  return true;
}

bool Subprocess::Running() { return !Reap(WNOHANG); }

void Subprocess::Signal(int signum) {
  if (!exit_) kill(pid_, signum);
}

std::optional<ExitInfo> Subprocess::WaitForExit(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!Reap(WNOHANG)) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_;
}

std::string Subprocess::Output() const {
  std::ifstream in(output_path_, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace turnpike::testing
