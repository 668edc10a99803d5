#include "cli/probe/secure_connection.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cli/probe/socket_io.h"
#include "cli/probe/stream_connection.h"

namespace turnpike::cli::probe {
namespace {

// Debian's bundle of the system's trusted CAs (package ca-certificates).
constexpr char kSystemCaFile[] = "/etc/ssl/certs/ca-certificates.crt";
// RFC 7443 §3: the ALPN label of TURN, length-prefixed.
constexpr uint8_t kAlpn[] = {9, 's', 't', 'u', 'n', '.', 't', 'u', 'r', 'n'};
// Fits IPv6's minimum MTU with room for tunnels, as WebRTC stacks do.
constexpr unsigned kDtlsMtu = 1200;

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;

std::string LastSslError() {
  const uint32_t error = ERR_get_error();
  ERR_clear_error();
  if (error == 0) return "no detail";
  char text[256];
  ERR_error_string_n(error, text, sizeof(text));
  return text;
}

// Runs `op` (a handshake, read or write) until it gets somewhere, waiting
// for the socket as BoringSSL asks and firing the DTLS retransmission
// timer. Returns op's positive result, 0 when the server closed the
// session cleanly, or why it failed.
absl::StatusOr<int> Drive(SSL* ssl, int fd, Clock::time_point deadline,
                          const std::function<int()>& op) {
  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int ret = op();
    if (ret > 0) return ret;
    const int error = SSL_get_error(ssl, ret);
    short events = 0;
    if (error == SSL_ERROR_WANT_READ) {
      events = POLLIN;
    } else if (error == SSL_ERROR_WANT_WRITE) {
      events = POLLOUT;
    } else if (error == SSL_ERROR_ZERO_RETURN) {
      return 0;
    } else if (error == SSL_ERROR_SYSCALL) {
      if (errno == 0) return 0;  // EOF without close_notify
      return SocketError("the connection failed", errno);
    } else {
      return absl::UnavailableError(
          absl::StrCat("TLS error: ", LastSslError()));
    }
    Clock::time_point wake = deadline;
    timeval dtls_timer{};
    if (SSL_is_dtls(ssl) && DTLSv1_get_timeout(ssl, &dtls_timer)) {
      wake = std::min(wake, Clock::now() +
                                std::chrono::seconds(dtls_timer.tv_sec) +
                                std::chrono::microseconds(dtls_timer.tv_usec));
    }
    absl::Status waited = WaitFor(fd, events, wake);
    if (!waited.ok()) {
      if (!absl::IsDeadlineExceeded(waited) || Clock::now() >= deadline ||
          !SSL_is_dtls(ssl)) {
        return waited;
      }
      // RFC 6347 §4.2.4: the DTLS flight is sent again on its timer.
      if (DTLSv1_handle_timeout(ssl) < 0) {
        return absl::UnavailableError(
            absl::StrCat("DTLS retransmission failed: ", LastSslError()));
      }
    }
  }
}

absl::StatusOr<SslPtr> Handshake(Socket& socket, bool datagram,
                                 const ServerName& name,
                                 const TlsOptions& options,
                                 Clock::time_point deadline) {
  SslCtxPtr ctx(SSL_CTX_new(datagram ? DTLS_method() : TLS_method()));
  if (!ctx) return absl::InternalError("cannot make a TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(),
                                datagram ? DTLS1_2_VERSION : TLS1_2_VERSION);
  if (!options.insecure) {
    const std::string ca =
        options.ca_file.empty() ? kSystemCaFile : options.ca_file;
    // Without the system bundle nothing is trusted, and the handshake says
    // so; a --ca file that cannot be read is the operator's mistake.
    const bool optional = options.ca_file.empty() && access(ca.c_str(), F_OK) != 0;
    if (!optional &&
        SSL_CTX_load_verify_locations(ctx.get(), ca.c_str(), nullptr) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read trusted certificates from ", ca, " (",
                       LastSslError(),
                       "); give --ca FILE with the CA that signed the "
                       "server's certificate, or --insecure"));
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  SslPtr ssl(SSL_new(ctx.get()));
  if (!ssl || SSL_set_fd(ssl.get(), socket.fd()) != 1) {
    return absl::InternalError("cannot make a TLS session");
  }
  SSL_set_connect_state(ssl.get());
  SSL_set_alpn_protos(ssl.get(), kAlpn, sizeof(kAlpn));
  if (!name.is_ip) SSL_set_tlsext_host_name(ssl.get(), name.host.c_str());
  if (!options.insecure) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    const int set =
        name.is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.host.c_str())
                   : X509_VERIFY_PARAM_set1_host(param, name.host.c_str(),
                                                 name.host.size());
    if (set != 1) return absl::InternalError("cannot set the name to check");
  }
  if (datagram) {
    SSL_set_options(ssl.get(), SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(ssl.get(), kDtlsMtu);
  }
  absl::StatusOr<int> done =
      Drive(ssl.get(), socket.fd(), deadline,
            [raw = ssl.get()] { return SSL_do_handshake(raw); });
  const long verify = SSL_get_verify_result(ssl.get());
  if (!options.insecure && (verify == X509_V_ERR_HOSTNAME_MISMATCH ||
                            verify == X509_V_ERR_IP_ADDRESS_MISMATCH)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the server's certificate is not accepted: it does not name ",
        name.host, "; use a URL with a name (or IP address) the certificate "
        "holds"));
  }
  if (!options.insecure && verify != X509_V_OK) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the server's certificate is not accepted: ",
        X509_verify_cert_error_string(verify),
        "; give --ca FILE with the CA that signed it, or --insecure to skip "
        "the check"));
  }
  if (!done.ok()) {
    return absl::Status(done.status().code(),
                        absl::StrCat(datagram ? "DTLS" : "TLS",
                                     " handshake failed: ",
                                     done.status().message()));
  }
  if (*done == 0) {
    return absl::UnavailableError(absl::StrCat(
        datagram ? "DTLS" : "TLS",
        " handshake failed: the server closed the connection"));
  }
  return ssl;
}

std::string Describe(SSL* ssl) {
  std::string out = SSL_get_version(ssl);
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
    absl::StrAppend(&out, " ", SSL_CIPHER_get_name(cipher));
  }
  const uint8_t* alpn = nullptr;
  unsigned alpn_size = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_size);
  if (alpn_size > 0) {
    absl::StrAppend(&out, ", ALPN ",
                    std::string(reinterpret_cast<const char*>(alpn), alpn_size));
  }
  return out;
}

int ClampSize(size_t size) {
  return static_cast<int>(std::min<size_t>(size, 1 << 30));
}

class TlsConnection final : public StreamConnection {
 public:
  TlsConnection(Socket socket, SslPtr ssl)
      : socket_(std::move(socket)), ssl_(std::move(ssl)) {}
  ~TlsConnection() override { SSL_shutdown(ssl_.get()); }

  std::string description() const override { return Describe(ssl_.get()); }

 protected:
  absl::Status WriteAll(absl::Span<const uint8_t> bytes,
                        Clock::time_point deadline) override {
    while (!bytes.empty()) {
      absl::StatusOr<int> wrote =
          Drive(ssl_.get(), socket_.fd(), deadline, [&] {
            return SSL_write(ssl_.get(), bytes.data(), ClampSize(bytes.size()));
          });
      if (!wrote.ok()) return wrote.status();
      if (*wrote == 0) {
        return absl::UnavailableError("the server closed the connection");
      }
      bytes.remove_prefix(static_cast<size_t>(*wrote));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<size_t> ReadSome(absl::Span<uint8_t> into,
                                  Clock::time_point deadline) override {
    absl::StatusOr<int> got = Drive(ssl_.get(), socket_.fd(), deadline, [&] {
      return SSL_read(ssl_.get(), into.data(), ClampSize(into.size()));
    });
    if (!got.ok()) return got.status();
    return static_cast<size_t>(*got);
  }

 private:
  Socket socket_;
  SslPtr ssl_;
};

// DTLS: one record carries one message each way.
class DtlsConnection final : public Connection {
 public:
  DtlsConnection(Socket socket, SslPtr ssl)
      : socket_(std::move(socket)),
        ssl_(std::move(ssl)),
        buffer_(kMaxServerMessage) {}
  ~DtlsConnection() override { SSL_shutdown(ssl_.get()); }

  absl::Status Send(absl::Span<const uint8_t> message,
                    Clock::time_point deadline) override {
    absl::StatusOr<int> wrote = Drive(ssl_.get(), socket_.fd(), deadline, [&] {
      return SSL_write(ssl_.get(), message.data(), ClampSize(message.size()));
    });
    if (!wrote.ok()) return wrote.status();
    if (*wrote == 0) return absl::UnavailableError("the server ended DTLS");
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<uint8_t>> Receive(
      Clock::time_point deadline) override {
    absl::StatusOr<int> got = Drive(ssl_.get(), socket_.fd(), deadline, [&] {
      return SSL_read(ssl_.get(), buffer_.data(), ClampSize(buffer_.size()));
    });
    if (!got.ok()) return got.status();
    if (*got == 0) return absl::UnavailableError("the server ended DTLS");
    return std::vector<uint8_t>(buffer_.begin(), buffer_.begin() + *got);
  }
  bool reliable() const override { return false; }
  std::string description() const override { return Describe(ssl_.get()); }

 private:
  Socket socket_;
  SslPtr ssl_;
  std::vector<uint8_t> buffer_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> ConnectTls(
    const TransportAddress& server, const ServerName& name,
    const TlsOptions& options, Clock::time_point deadline) {
  absl::StatusOr<Socket> socket = ConnectSocket(server, SOCK_STREAM, deadline);
  if (!socket.ok()) return socket.status();
  absl::StatusOr<SslPtr> ssl =
      Handshake(*socket, /*datagram=*/false, name, options, deadline);
  if (!ssl.ok()) return ssl.status();
  return std::make_unique<TlsConnection>(*std::move(socket), *std::move(ssl));
}

absl::StatusOr<std::unique_ptr<Connection>> ConnectDtls(
    const TransportAddress& server, const ServerName& name,
    const TlsOptions& options, Clock::time_point deadline) {
  absl::StatusOr<Socket> socket = ConnectSocket(server, SOCK_DGRAM, deadline);
  if (!socket.ok()) return socket.status();
  absl::StatusOr<SslPtr> ssl =
      Handshake(*socket, /*datagram=*/true, name, options, deadline);
  if (!ssl.ok()) return ssl.status();
  return std::make_unique<DtlsConnection>(*std::move(socket), *std::move(ssl));
}

}  // namespace turnpike::cli::probe
