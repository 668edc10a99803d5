// A look at another process's sockets from outside: pidfd_getfd(2) (Linux
// 5.6) copies its socket descriptor into this process, which can then read
// the socket's options back. It needs ptrace rights over the process (a
// child, or root), which is how the tests check what the real binary set on
// a socket without any hook inside it.
#ifndef TURNPIKE_TESTS_RUNTIME_PROCESS_SOCKETS_H_
#define TURNPIKE_TESTS_RUNTIME_PROCESS_SOCKETS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <variant>

namespace turnpike::testing {

// A descriptor of this process that refers to the other process's socket;
// closed on destruction.
class BorrowedSocket {
 public:
  explicit BorrowedSocket(int fd) : fd_(fd) {}
  BorrowedSocket(BorrowedSocket&& other) noexcept;
  BorrowedSocket& operator=(BorrowedSocket&&) = delete;
  ~BorrowedSocket();

  int fd() const { return fd_; }
  // getsockopt(level, name) as an int; -1 when it fails.
  int IntOption(int level, int name) const;

 private:
  int fd_;
};

// Why no socket was borrowed: the host does not allow it (old kernel,
// seccomp, no ptrace rights), or the process has no such socket.
struct BorrowFailure {
  bool unsupported = false;
  std::string reason;
};

// The UDP socket of process `pid` bound to local port `port` (IPv4 or
// IPv6).
std::variant<BorrowedSocket, BorrowFailure> BorrowUdpSocket(pid_t pid,
                                                            uint16_t port);

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_RUNTIME_PROCESS_SOCKETS_H_
