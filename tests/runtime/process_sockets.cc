#include "tests/runtime/process_sockets.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

namespace turnpike::testing {
namespace {

// Closes a descriptor on scope exit.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};

// The local port of UDP socket `fd`, or nullopt when it is not one.
std::optional<uint16_t> UdpLocalPort(int fd) {
  int type = 0;
  socklen_t type_length = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_length) != 0 ||
      type != SOCK_DGRAM) {
    return std::nullopt;
  }
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return std::nullopt;
  }
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  return std::nullopt;
}

std::string Errno(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

BorrowedSocket::BorrowedSocket(BorrowedSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

BorrowedSocket::~BorrowedSocket() {
  if (fd_ >= 0) close(fd_);
}

int BorrowedSocket::IntOption(int level, int name) const {
  int value = 0;
  socklen_t length = sizeof(value);
  if (getsockopt(fd_, level, name, &value, &length) != 0) return -1;
  return value;
}

std::variant<BorrowedSocket, BorrowFailure> BorrowUdpSocket(pid_t pid,
                                                            uint16_t port) {
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return BorrowFailure{true, Errno("pidfd_open")};
  FdCloser pidfd_closer{pidfd};
  std::error_code error;
  const std::filesystem::path fds =
      std::filesystem::path("/proc") / std::to_string(pid) / "fd";
  std::filesystem::directory_iterator entries(fds, error);
  if (error) {
    return BorrowFailure{true, fds.string() + ": " + error.message()};
  }
  // Bounded: a process has finitely many descriptors, listed once.
  for (const std::filesystem::directory_entry& entry : entries) {
    const std::filesystem::path target =
        std::filesystem::read_symlink(entry.path(), error);
    if (error || !target.string().starts_with("socket:")) continue;
    const int remote_fd = std::stoi(entry.path().filename().string());
    const int fd =
        static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, remote_fd, 0));
    if (fd < 0) {
      if (errno == EBADF) continue;  // closed meanwhile
      return BorrowFailure{true, Errno("pidfd_getfd")};
    }
    BorrowedSocket socket(fd);
    if (UdpLocalPort(fd) == port) return socket;
  }
  return BorrowFailure{false, "process " + std::to_string(pid) +
                                  " has no UDP socket on port " +
                                  std::to_string(port)};
}

}  // namespace turnpike::testing
