// A plain POSIX TCP client connection for the integration tests, with its
// own framing of the stream into whole STUN messages and ChannelData
// (RFC 8656 §12.5), written here from the RFC rather than taken from
// core/stun/stream_framer, so a framing bug in the server is not mirrored
// by the test. Every wait is bounded by a timeout.
#ifndef TURNPIKE_TESTS_RUNTIME_TCP_STREAM_H_
#define TURNPIKE_TESTS_RUNTIME_TCP_STREAM_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/net/transport_address.h"

namespace turnpike::testing {

class TcpStream {
 public:
  // Connects from `local_ip` (port 0) to `server`; `receive_buffer` sets
  // SO_RCVBUF before connecting (a slow reader's small window). nullopt
  // when the connection is not established within `timeout`.
  static std::optional<TcpStream> Connect(
      const std::string& local_ip, const TransportAddress& server,
      std::optional<int> receive_buffer = std::nullopt,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  TcpStream(TcpStream&& other) noexcept;
  TcpStream& operator=(TcpStream&&) = delete;
  TcpStream(const TcpStream&) = delete;
  ~TcpStream();

  TransportAddress local_address() const { return local_; }
  // Writes all of `bytes`; false on error or after `timeout`.
  bool Send(const std::vector<uint8_t>& bytes,
            std::chrono::milliseconds timeout = std::chrono::milliseconds(
                5000));
  // The next whole message: a STUN message, or a ChannelData header and
  // payload (its padding read and checked to be there, then left out).
  // nullopt on timeout, on close, or when the stream is not framed as
  // RFC 8656 §12.5 says (framing_error() then tells).
  std::optional<std::vector<uint8_t>> ReceiveMessage(
      std::chrono::milliseconds timeout);
  // RFC 6062 data connections carry raw bytes once bound: exactly `bytes`
  // of them (after what a framed receive left buffered), or nullopt on
  // timeout or close.
  std::optional<std::vector<uint8_t>> ReceiveRaw(
      size_t bytes, std::chrono::milliseconds timeout);
  // True once the server closed (EOF or reset) within `timeout`; whatever
  // arrives before is discarded.
  bool WaitClosed(std::chrono::milliseconds timeout);
  bool framing_error() const { return framing_error_; }

 private:
  TcpStream(int fd, TransportAddress local) : fd_(fd), local_(local) {}
  // Reads until `buffered_` holds `bytes`, or the deadline / close.
  bool Fill(size_t bytes, std::chrono::steady_clock::time_point deadline);

  int fd_;
  TransportAddress local_;
  std::vector<uint8_t> buffered_;
  bool closed_ = false;
  bool framing_error_ = false;
};

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_RUNTIME_TCP_STREAM_H_
