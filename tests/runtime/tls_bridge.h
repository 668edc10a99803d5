// TLS for the integration tests' TurnClient without teaching it TLS: a
// plaintext TCP listener on 127.0.0.1:0 whose one accepted connection is
// carried over a BoringSSL client connection to turnpike's tls:// listener.
// TurnClient::CreateTcp(bridge.address()) then speaks TURN over TLS. One
// thread pumps both ways; every wait is bounded and the destructor stops it.
#ifndef TURNPIKE_TESTS_RUNTIME_TLS_BRIDGE_H_
#define TURNPIKE_TESTS_RUNTIME_TLS_BRIDGE_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/net/transport_address.h"

namespace turnpike::testing {

class TlsBridge {
 public:
  // Listens; the TLS connection to `server` is made when a client
  // connects. nullptr when the listener cannot be made.
  static std::unique_ptr<TlsBridge> Start(const TransportAddress& server);
  ~TlsBridge();
  TlsBridge(const TlsBridge&) = delete;
  TlsBridge& operator=(const TlsBridge&) = delete;

  TransportAddress address() const { return address_; }
  // Waits (bounded) for the TLS handshake; the CN of the certificate the
  // server presented, or empty when the handshake failed or never came.
  std::string WaitPeerCommonName(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  // The ALPN label the server chose (the bridge offers "stun.turn").
  std::string alpn();
  // True once turnpike ended the TLS connection (close_notify, EOF).
  bool server_closed() const { return server_closed_; }

 private:
  TlsBridge(int listen_fd, TransportAddress address)
      : listen_fd_(listen_fd), address_(address) {}
  void Run(TransportAddress server);

  int listen_fd_;
  TransportAddress address_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> handshake_done_{false};
  std::atomic<bool> server_closed_{false};
  std::mutex mutex_;
  std::string peer_common_name_;
  std::string alpn_;
};

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_RUNTIME_TLS_BRIDGE_H_
