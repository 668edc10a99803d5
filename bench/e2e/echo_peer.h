// The relay's peer: a UDP socket on 127.0.0.1 that sends every datagram back
// to where it came from (a relayed address), on threads of its own (all
// reading the one socket, so that it keeps up with a server's several
// workers), counting what it echoed so that the client can tell which leg
// lost a packet.
#ifndef TURNPIKE_BENCH_E2E_ECHO_PEER_H_
#define TURNPIKE_BENCH_E2E_ECHO_PEER_H_

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace turnpike::e2e {

class EchoPeer {
 public:
  // Binds 127.0.0.1:0; the process exits with a message if it cannot.
  EchoPeer();
  ~EchoPeer();
  EchoPeer(const EchoPeer&) = delete;
  EchoPeer& operator=(const EchoPeer&) = delete;

  const sockaddr_in& address() const { return address_; }
  void Start(size_t threads = 1);
  // Stops the threads; the counts are final after this.
  void Stop();
  uint64_t received() const { return received_.load(); }
  uint64_t echoed() const { return echoed_.load(); }

 private:
  void Run();

  int fd_ = -1;
  sockaddr_in address_{};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> echoed_{0};
  std::vector<std::thread> threads_;
};

}  // namespace turnpike::e2e

#endif  // TURNPIKE_BENCH_E2E_ECHO_PEER_H_
