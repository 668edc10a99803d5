// TlsSession against a BoringSSL client, all in memory: TLS 1.2, TLS 1.3
// and DTLS 1.2 handshakes with and without ALPN, application data both
// ways, broken records, retransmission and certificate reload.
#include "runtime/transport/tls_session.h"

#include <doctest/doctest.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "runtime/transport/tls_context.h"
#include "tests/transport/test_certificate.h"

namespace turnpike::runtime {
namespace {

using Bytes = std::vector<uint8_t>;
using testing::MakeSelfSigned;
using testing::PeerCommonName;

Bytes ToBytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

struct Collected final : RecordSink {
  void OnRecords(absl::Span<const uint8_t> records) override {
    writes.emplace_back(records.begin(), records.end());
  }
  size_t TotalBytes() const {
    size_t total = 0;
    for (const Bytes& w : writes) total += w.size();
    return total;
  }
  std::deque<Bytes> writes;
};

// A fake clock for BoringSSL's DTLS timers (server and client).
timeval g_now{1'000'000, 0};
void FakeTime(const SSL*, timeval* out) { *out = g_now; }

std::shared_ptr<const TlsContext> Context(const std::string& cn) {
  const testing::TestCertificate cert = MakeSelfSigned(cn);
  auto context =
      TlsContext::FromPem(cert.certificate_pem, cert.key_pem, "cert", "key");
  REQUIRE(context.ok());
  SSL_CTX_set_current_time_cb((*context)->datagram(), FakeTime);
  return *context;
}

// The client side: BoringSSL over a memory BIO in and a BIO out that keeps
// each write apart (one write is one datagram for DTLS).
class Client {
 public:
  Client(SecureFraming framing, uint16_t version, bool offer_alpn) {
    const bool dtls = framing == SecureFraming::kDatagram;
    ctx_ = SSL_CTX_new(dtls ? DTLS_method() : TLS_method());
    SSL_CTX_set_min_proto_version(ctx_, version);
    SSL_CTX_set_max_proto_version(ctx_, version);
    SSL_CTX_set_current_time_cb(ctx_, FakeTime);
    if (offer_alpn) {
      static constexpr uint8_t kProtos[] = {2, 'h', '2', 9,   's', 't', 'u',
                                            'n', '.', 't', 'u', 'r', 'n'};
      SSL_CTX_set_alpn_protos(ctx_, kProtos, sizeof(kProtos));
    }
    ssl_ = SSL_new(ctx_);
    in_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in_, -1);
    static BIO_METHOD* method = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "test-client-out");
      BIO_meth_set_write(m, [](BIO* bio, const char* data, int size) {
        static_cast<Collected*>(BIO_get_data(bio))->OnRecords(
            {reinterpret_cast<const uint8_t*>(data), size_t(size)});
        return size;
      });
      BIO_meth_set_ctrl(m, [](BIO*, int cmd, long, void*) -> long {
        return cmd == BIO_CTRL_FLUSH ? 1 : 0;
      });
      BIO_meth_set_create(m, [](BIO* bio) {
        BIO_set_init(bio, 1);
        return 1;
      });
      return m;
    }();
    BIO* out = BIO_new(method);
    BIO_set_data(out, &out_);
    SSL_set_bio(ssl_, in_, out);
    SSL_set_connect_state(ssl_);
  }
  ~Client() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }

  // One network write from the server; handshakes and reads what it can.
  void Feed(const Bytes& bytes) {
    BIO_write(in_, bytes.data(), static_cast<int>(bytes.size()));
    Step();
  }
  void Step() {
    if (SSL_in_init(ssl_)) {
      const int ret = SSL_do_handshake(ssl_);
      if (ret <= 0 && SSL_get_error(ssl_, ret) != SSL_ERROR_WANT_READ) {
        failed = true;
      }
      if (SSL_in_init(ssl_)) return;
    }
    uint8_t buffer[20000];
    for (;;) {
      const int n = SSL_read(ssl_, buffer, sizeof(buffer));
      if (n <= 0) break;
      received.insert(received.end(), buffer, buffer + n);
    }
  }
  void Write(const Bytes& bytes) {
    REQUIRE(SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) ==
            static_cast<int>(bytes.size()));
  }

  SSL* ssl() { return ssl_; }
  Collected& out() { return out_; }
  bool failed = false;
  Bytes received;

 private:
  SSL_CTX* ctx_;
  SSL* ssl_;
  BIO* in_;
  Collected out_;
};

// A server session with its sink.
struct Server {
  Server(const TlsContext& context, SecureFraming framing)
      : session(TlsSession::NewServer(context, framing, sink)) {
    REQUIRE(session != nullptr);
  }
  Collected sink;
  std::unique_ptr<TlsSession> session;
  Bytes plaintext;
  absl::Status last;
};

// Moves every pending write across until both sides are quiet; bounded.
void Pump(Client& client, Server& server) {
  for (int round = 0; round < 50; ++round) {
    if (client.out().writes.empty() && server.sink.writes.empty()) return;
    while (!client.out().writes.empty()) {
      Bytes write = std::move(client.out().writes.front());
      client.out().writes.pop_front();
      server.last = server.session->Receive(write, server.plaintext);
    }
    while (!server.sink.writes.empty()) {
      Bytes write = std::move(server.sink.writes.front());
      server.sink.writes.pop_front();
      client.Feed(write);
    }
  }
  FAIL("the handshake did not settle in 50 rounds");
}

void Handshake(Client& client, Server& server) {
  client.Step();  // ClientHello
  Pump(client, server);
  REQUIRE(server.last.ok());
  REQUIRE(server.session->handshake_complete());
  REQUIRE_FALSE(client.failed);
  REQUIRE_FALSE(SSL_in_init(client.ssl()));
}

void ExchangeData(Client& client, Server& server) {
  client.Write(ToBytes("ping from the client"));
  Pump(client, server);
  CHECK(server.plaintext == ToBytes("ping from the client"));
  server.plaintext.clear();

  const Bytes prefix = ToBytes("PRE");
  const Bytes payload = ToBytes("payload");
  client.received.clear();
  REQUIRE(server.session->Send({prefix, payload, 2}).ok());
  Pump(client, server);
  Bytes expected = ToBytes("PREpayload");
  expected.push_back(0);
  expected.push_back(0);
  CHECK(client.received == expected);
}

struct Case {
  SecureFraming framing;
  uint16_t version;
  bool alpn;
};

void RunHandshakeCase(const Case& c) {
  auto context = Context("turnpike.test");
  Client client(c.framing, c.version, c.alpn);
  Server server(*context, c.framing);
  Handshake(client, server);
  CHECK(server.session->version() == c.version);
  CHECK(server.session->alpn() == (c.alpn ? "stun.turn" : ""));
  CHECK(PeerCommonName(client.ssl()) == "turnpike.test");
  ExchangeData(client, server);
}

TEST_CASE("TLS 1.3 handshake with ALPN stun.turn then data both ways") {
  RunHandshakeCase({SecureFraming::kStream, TLS1_3_VERSION, true});
}
TEST_CASE("TLS 1.3 handshake without ALPN still connects") {
  RunHandshakeCase({SecureFraming::kStream, TLS1_3_VERSION, false});
}
TEST_CASE("TLS 1.2 handshake with ALPN stun.turn then data both ways") {
  RunHandshakeCase({SecureFraming::kStream, TLS1_2_VERSION, true});
}
TEST_CASE("TLS 1.2 handshake without ALPN still connects") {
  RunHandshakeCase({SecureFraming::kStream, TLS1_2_VERSION, false});
}
TEST_CASE("DTLS 1.2 handshake with ALPN stun.turn then data both ways") {
  RunHandshakeCase({SecureFraming::kDatagram, DTLS1_2_VERSION, true});
}
TEST_CASE("DTLS 1.2 handshake without ALPN still connects") {
  RunHandshakeCase({SecureFraming::kDatagram, DTLS1_2_VERSION, false});
}

TEST_CASE("TLS 1.1 and older are refused") {
  auto context = Context("turnpike.test");
  Client client(SecureFraming::kStream, TLS1_1_VERSION, false);
  Server server(*context, SecureFraming::kStream);
  client.Step();
  Pump(client, server);
  CHECK_FALSE(server.last.ok());
  CHECK_FALSE(server.session->handshake_complete());
}

TEST_CASE("a client offering only CBC suites is refused") {
  auto context = Context("turnpike.test");
  Client client(SecureFraming::kStream, TLS1_2_VERSION, false);
  REQUIRE(SSL_set_strict_cipher_list(client.ssl(),
                                     "ECDHE-ECDSA-AES128-SHA") == 1);
  Server server(*context, SecureFraming::kStream);
  client.Step();
  Pump(client, server);
  CHECK_FALSE(server.last.ok());
}

TEST_CASE("DTLS handshake datagrams fit the MTU and a message is one datagram") {
  auto context = Context("turnpike.test");
  Client client(SecureFraming::kDatagram, DTLS1_2_VERSION, true);
  Server server(*context, SecureFraming::kDatagram);
  client.Step();
  for (int round = 0; round < 10 && !server.session->handshake_complete();
       ++round) {
    while (!client.out().writes.empty()) {
      server.last = server.session->Receive(client.out().writes.front(),
                                            server.plaintext);
      client.out().writes.pop_front();
    }
    for (const Bytes& datagram : server.sink.writes) {
      CHECK(datagram.size() <= kDefaultDtlsMtu);
    }
    while (!server.sink.writes.empty()) {
      client.Feed(server.sink.writes.front());
      server.sink.writes.pop_front();
    }
  }
  REQUIRE(server.session->handshake_complete());
  Pump(client, server);
  const Bytes payload(3000, 0x5a);
  REQUIRE(server.session->Send(OutboundMessage::Of(payload)).ok());
  REQUIRE(server.sink.writes.size() == 1);
  CHECK(server.sink.writes.front().size() <=
        server.session->SealedSize(payload.size()));
  Pump(client, server);
  CHECK(client.received == payload);
}

TEST_CASE("a corrupted TLS record fails the session") {
  auto context = Context("turnpike.test");
  Client client(SecureFraming::kStream, TLS1_3_VERSION, true);
  Server server(*context, SecureFraming::kStream);
  Handshake(client, server);
  client.Write(ToBytes("hello"));
  REQUIRE(client.out().writes.size() == 1);
  client.out().writes.front().back() ^= 0x01;  // inside the AEAD tag
  Pump(client, server);
  CHECK_FALSE(server.last.ok());
  CHECK(server.plaintext.empty());
  CHECK_FALSE(server.session->handshake_complete());
  CHECK_FALSE(server.session->Send(OutboundMessage::Of(ToBytes("x"))).ok());
}

TEST_CASE("a corrupted DTLS datagram is dropped and the association lives") {
  // RFC 6347 §4.1.2.7: an invalid record is discarded, not fatal.
  auto context = Context("turnpike.test");
  Client client(SecureFraming::kDatagram, DTLS1_2_VERSION, false);
  Server server(*context, SecureFraming::kDatagram);
  Handshake(client, server);
  client.Write(ToBytes("bad"));
  client.out().writes.front().back() ^= 0x01;
  Pump(client, server);
  CHECK(server.last.ok());
  CHECK(server.plaintext.empty());
  ExchangeData(client, server);
}

TEST_CASE("two records in one DTLS datagram are two messages") {
  // RFC 7350 §4: a record is one STUN message or ChannelData; a client may
  // put several records in one datagram (RFC 6347 §4.1.1).
  auto context = Context("turnpike.test");
  Client client(SecureFraming::kDatagram, DTLS1_2_VERSION, false);
  Server server(*context, SecureFraming::kDatagram);
  Handshake(client, server);
  client.Write(ToBytes("first message"));
  client.Write(ToBytes("second"));
  REQUIRE(client.out().writes.size() == 2);
  Bytes datagram = client.out().writes[0];
  datagram.insert(datagram.end(), client.out().writes[1].begin(),
                  client.out().writes[1].end());
  client.out().writes.clear();
  REQUIRE(server.session->Receive(datagram, server.plaintext).ok());
  CHECK(server.plaintext == ToBytes("first messagesecond"));
  const absl::Span<const size_t> ends = server.session->last_record_ends();
  REQUIRE(ends.size() == 2);
  CHECK(ends[0] == 13);
  CHECK(ends[1] == 19);
}

TEST_CASE("a TLS session reports no record boundaries") {
  auto context = Context("turnpike.test");
  Client client(SecureFraming::kStream, TLS1_3_VERSION, false);
  Server server(*context, SecureFraming::kStream);
  Handshake(client, server);
  client.Write(ToBytes("one"));
  client.Write(ToBytes("two"));
  Pump(client, server);
  CHECK(server.plaintext == ToBytes("onetwo"));
  CHECK(server.session->last_record_ends().empty());
}

TEST_CASE("close_notify from the client ends the session") {
  auto context = Context("turnpike.test");
  Client client(SecureFraming::kStream, TLS1_3_VERSION, false);
  Server server(*context, SecureFraming::kStream);
  Handshake(client, server);
  SSL_shutdown(client.ssl());
  Pump(client, server);
  CHECK(absl::IsCancelled(server.last));
}

TEST_CASE("garbage instead of a ClientHello fails a TLS session") {
  auto context = Context("turnpike.test");
  Collected sink;
  auto session =
      TlsSession::NewServer(*context, SecureFraming::kStream, sink);
  Bytes plaintext;
  const Bytes garbage = ToBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK_FALSE(session->Receive(garbage, plaintext).ok());
  CHECK(plaintext.empty());
  CHECK_FALSE(session->Receive(garbage, plaintext).ok());
}

TEST_CASE("SealedSize bounds what Send writes for every size and version") {
  for (const uint16_t version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    auto context = Context("turnpike.test");
    Client client(SecureFraming::kStream, version, false);
    Server server(*context, SecureFraming::kStream);
    Handshake(client, server);
    for (const size_t size : {size_t{1}, size_t{100}, kMaxTlsPlaintext,
                              kMaxTlsPlaintext + 1, size_t{65535}}) {
      if (version == TLS1_3_VERSION) {
        // A KeyUpdate the client asks for goes out with the next write.
        REQUIRE(SSL_key_update(client.ssl(), SSL_KEY_UPDATE_REQUESTED) == 1);
        client.Write(ToBytes("k"));
        Pump(client, server);
        server.plaintext.clear();
      }
      const Bytes payload(size, 0x42);
      server.sink.writes.clear();
      REQUIRE(server.session->Send(OutboundMessage::Of(payload)).ok());
      CAPTURE(version);
      CAPTURE(size);
      CHECK(server.sink.TotalBytes() <= server.session->SealedSize(size));
      CHECK(server.sink.TotalBytes() > size);
      client.received.clear();
      Pump(client, server);
      CHECK(client.received == payload);
    }
  }
  auto context = Context("turnpike.test");
  Client client(SecureFraming::kDatagram, DTLS1_2_VERSION, false);
  Server server(*context, SecureFraming::kDatagram);
  Handshake(client, server);
  for (const size_t size : {size_t{1}, size_t{1200}, kMaxTlsPlaintext}) {
    const Bytes payload(size, 0x42);
    server.sink.writes.clear();
    REQUIRE(server.session->Send(OutboundMessage::Of(payload)).ok());
    CHECK(server.sink.TotalBytes() <= server.session->SealedSize(size));
  }
  CHECK_FALSE(server.session
                  ->Send(OutboundMessage::Of(Bytes(kMaxTlsPlaintext + 1, 1)))
                  .ok());
  CHECK(server.session->handshake_complete());
}

TEST_CASE("a lost DTLS flight is sent again when the retransmit timer fires") {
  auto context = Context("turnpike.test");
  Client client(SecureFraming::kDatagram, DTLS1_2_VERSION, false);
  Server server(*context, SecureFraming::kDatagram);
  CHECK_FALSE(server.session->RetransmitIn().has_value());
  client.Step();
  REQUIRE(server.session->Receive(client.out().writes.front(), server.plaintext)
              .ok());
  client.out().writes.clear();
  REQUIRE_FALSE(server.sink.writes.empty());
  const size_t first_flight = server.sink.writes.size();
  server.sink.writes.clear();  // lost on the way
  const std::optional<core::Duration> wait = server.session->RetransmitIn();
  REQUIRE(wait.has_value());
  CHECK(*wait > core::Duration::zero());
  CHECK(*wait <= std::chrono::seconds(1));
  // Not yet due: nothing is sent.
  REQUIRE(server.session->OnRetransmitTimer().ok());
  CHECK(server.sink.writes.empty());
  g_now.tv_sec += 2;
  REQUIRE(server.session->OnRetransmitTimer().ok());
  CHECK(server.sink.writes.size() == first_flight);
  Pump(client, server);
  CHECK(server.session->handshake_complete());
  CHECK_FALSE(server.session->RetransmitIn().has_value());
}

TEST_CASE("a reload leaves old sessions running and new ones see the new certificate") {
  auto first = Context("first.test");
  TlsContextHolder holder(first);
  first.reset();  // the holder and its sessions own it now

  Client old_client(SecureFraming::kStream, TLS1_3_VERSION, false);
  Server old_server(*holder.current(), SecureFraming::kStream);
  Handshake(old_client, old_server);

  holder.Swap(Context("second.test"));  // the first context's last owner

  Client new_client(SecureFraming::kStream, TLS1_3_VERSION, false);
  Server new_server(*holder.current(), SecureFraming::kStream);
  Handshake(new_client, new_server);
  CHECK(PeerCommonName(new_client.ssl()) == "second.test");
  CHECK(PeerCommonName(old_client.ssl()) == "first.test");
  ExchangeData(old_client, old_server);
  ExchangeData(new_client, new_server);
}

}  // namespace
}  // namespace turnpike::runtime
