#include "tests/runtime/tls_bridge.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "tests/transport/test_certificate.h"

namespace turnpike::testing {
namespace {

using Clock = std::chrono::steady_clock;

int ConnectTo(const TransportAddress& server) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(server.port);
  if (inet_pton(AF_INET, server.ip.ToString().c_str(), &to.sin_addr) != 1) {
    return -1;
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Waits for `events` on `fd` for at most `ms`.
bool WaitFor(int fd, short events, int ms) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, ms) > 0;
}

// Writes all of `data` to the non-blocking `fd` within 5 s.
bool WriteAll(int fd, const uint8_t* data, size_t size) {
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (size > 0 && Clock::now() < deadline) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n > 0) {
      data += n;
      size -= static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      WaitFor(fd, POLLOUT, 100);
    } else {
      return false;
    }
  }
  return size == 0;
}

}  // namespace

std::unique_ptr<TlsBridge> TlsBridge::Start(const TransportAddress& server) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return nullptr;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(local);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
      ::listen(fd, 1) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    ::close(fd);
    return nullptr;
  }
  std::unique_ptr<TlsBridge> bridge(new TlsBridge(
      fd, TransportAddress{*IpAddress::Parse("127.0.0.1"),
                           ntohs(local.sin_port)}));
  bridge->thread_ = std::thread(&TlsBridge::Run, bridge.get(), server);
  return bridge;
}

TlsBridge::~TlsBridge() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
}

std::string TlsBridge::WaitPeerCommonName(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!handshake_done_ && !server_closed_ && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  return peer_common_name_;
}

std::string TlsBridge::alpn() {
  std::lock_guard<std::mutex> lock(mutex_);
  return alpn_;
}

void TlsBridge::Run(TransportAddress server) {
  // Accept the test's client (10 s at most).
  int plain = -1;
  for (int i = 0; i < 100 && !stop_ && plain < 0; ++i) {
    if (WaitFor(listen_fd_, POLLIN, 100)) plain = ::accept(listen_fd_, nullptr, nullptr);
  }
  if (plain < 0) return;
  const int tls = ConnectTo(server);
  if (tls < 0) {
    server_closed_ = true;
    ::close(plain);
    return;
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  static constexpr uint8_t kAlpn[] = {9, 's', 't', 'u', 'n', '.',
                                      't', 'u', 'r', 'n'};
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof(kAlpn));
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, tls);
  SSL_set_connect_state(ssl);
  ::fcntl(tls, F_SETFL, ::fcntl(tls, F_GETFL) | O_NONBLOCK);
  ::fcntl(plain, F_SETFL, ::fcntl(plain, F_GETFL) | O_NONBLOCK);
  // The handshake, bounded at 10 s.
  bool handshaken = false;
  for (int i = 0; i < 200 && !stop_; ++i) {
    const int ret = SSL_do_handshake(ssl);
    if (ret == 1) {
      handshaken = true;
      break;
    }
    const int error = SSL_get_error(ssl, ret);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) break;
    WaitFor(tls, error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, 50);
  }
  if (handshaken) {
    const uint8_t* label = nullptr;
    unsigned label_size = 0;
    SSL_get0_alpn_selected(ssl, &label, &label_size);
    std::lock_guard<std::mutex> lock(mutex_);
    peer_common_name_ = PeerCommonName(ssl);
    alpn_.assign(reinterpret_cast<const char*>(label), label_size);
  }
  handshake_done_ = handshaken;
  std::vector<uint8_t> buffer(32 * 1024);
  bool open = handshaken;
  // Pumps until the test stops the bridge or either side closes.
  while (open && !stop_) {
    pollfd fds[2] = {{plain, POLLIN, 0}, {tls, POLLIN, 0}};
    if (SSL_pending(ssl) == 0 && ::poll(fds, 2, 50) <= 0) continue;
    if (fds[0].revents != 0) {
      const ssize_t n = ::recv(plain, buffer.data(), buffer.size(), 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;
      if (n > 0) {
        int written = -1;
        for (int i = 0; i < 100; ++i) {
          written = SSL_write(ssl, buffer.data(), static_cast<int>(n));
          if (written > 0) break;
          if (SSL_get_error(ssl, written) != SSL_ERROR_WANT_WRITE) break;
          WaitFor(tls, POLLOUT, 50);
        }
        if (written <= 0) break;
      }
    }
    for (;;) {
      const int n = SSL_read(ssl, buffer.data(), static_cast<int>(buffer.size()));
      if (n > 0) {
        if (!WriteAll(plain, buffer.data(), static_cast<size_t>(n))) {
          open = false;
          break;
        }
        continue;
      }
      if (SSL_get_error(ssl, n) != SSL_ERROR_WANT_READ) {
        server_closed_ = true;
        open = false;
      }
      break;
    }
  }
  if (!handshaken) server_closed_ = true;
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(tls);
  // The test's client sees EOF exactly when turnpike closed.
  ::close(plain);
}

}  // namespace turnpike::testing
