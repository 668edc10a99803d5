// Scratch files for the runtime unit tests: a directory the test creates and
// removes, and a capture of file descriptor 2 so log lines can be compared
// exactly. Header-only: each helper is a few lines.
#ifndef TURNPIKE_TESTS_RUNTIME_TEMP_FILES_H_
#define TURNPIKE_TESTS_RUNTIME_TEMP_FILES_H_

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace turnpike::testing {

inline std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// mkdtemp under $TMPDIR (or /tmp); removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
        "/turnpike-runtime-test-XXXXXX";
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Points fd 2 at a file in `dir` until Take() or destruction, so what the
// logger writes with write(2) can be read back.
class StderrCapture {
 public:
  explicit StderrCapture(const TempDir& dir) : file_(dir.path() / "stderr") {
    saved_ = ::dup(STDERR_FILENO);
    REQUIRE(saved_ >= 0);
    const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::dup2(fd, STDERR_FILENO) == STDERR_FILENO);
    ::close(fd);
  }
  ~StderrCapture() { Restore(); }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  // Restores fd 2 and returns everything written to it meanwhile.
  std::string Take() {
    Restore();
    return ReadWholeFile(file_);
  }

 private:
  void Restore() {
    if (saved_ < 0) return;
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }

  std::filesystem::path file_;
  int saved_ = -1;
};

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_RUNTIME_TEMP_FILES_H_
