#include "cli/probe/steps.h"

#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cli/probe/socket_io.h"
#include "cli/probe/stream_connection.h"
#include "cli/probe/turn_client.h"
#include "cli/probe/udp_connection.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli::probe {
namespace {

using stun::AttributeType;
using stun::Method;

// RFC 8656 §12: the first channel number.
constexpr uint16_t kChannel = 0x4000;
// RFC 8656 §18.7: REQUESTED-TRANSPORT's protocol number for UDP.
constexpr uint8_t kUdp = 17;
// RFC 8489 §6.2.1's initial RTO, reused for resending relayed data over
// UDP, where a datagram may be lost on the way.
constexpr Clock::duration kResendData = std::chrono::milliseconds(500);

struct Side {
  const char* label;  // "A" or "B"
  std::optional<TurnClient> client;
  std::optional<TransportAddress> relayed;
};

class Run {
 public:
  Run(const ProbeUrl& url, const ProbeOptions& options,
      const std::function<void(const StepResult&)>& on_step)
      : url_(url), options_(options), on_step_(on_step) {}

  std::vector<StepResult> Go() {
    if (Resolve() && Connect(a_) && Binding() && !url_.stun_only &&
        Allocate(a_) && Connect(b_) && Allocate(b_) && Permission(a_, b_) &&
        Permission(b_, a_) && Indication(a_, b_) && Indication(b_, a_) &&
        ChannelBind(a_, b_) && ChannelBind(b_, a_) && ChannelData(a_, b_)) {
      ChannelData(b_, a_);
    }
    // Whatever happened, release what was allocated.
    for (Side* side : {&a_, &b_}) {
      if (side->relayed) Release(*side);
    }
    return std::move(results_);
  }

 private:
  bool Record(std::string name, bool passed, std::string detail,
              std::optional<Clock::duration> rtt = std::nullopt) {
    StepResult result{std::move(name), passed, rtt, std::move(detail)};
    if (on_step_) on_step_(result);
    results_.push_back(std::move(result));
    return passed;
  }

  bool Resolve() {
    const Clock::time_point start = Clock::now();
    absl::StatusOr<TransportAddress> address = probe::Resolve(url_.host, url_.port);
    if (!address.ok()) {
      return Record("Resolve", false, std::string(address.status().message()));
    }
    server_ = *address;
    if (!url_.host_is_ip) {
      Record("Resolve", true, absl::StrCat(url_.host, " is ", server_.ToString()),
             Clock::now() - start);
    }
    return true;
  }

  absl::StatusOr<std::unique_ptr<Connection>> Open() {
    const Clock::time_point deadline = Clock::now() + options_.timeout;
    const ServerName name{url_.host, url_.host_is_ip};
    switch (url_.transport) {
      case ProbeTransport::kUdp:
        return ConnectUdp(server_);
      case ProbeTransport::kTcp:
        return ConnectTcp(server_, deadline);
      case ProbeTransport::kTls:
        return ConnectTls(server_, name, options_.tls, deadline);
      case ProbeTransport::kDtls:
        return ConnectDtls(server_, name, options_.tls, deadline);
    }
    return absl::InternalError("unknown transport");
  }

  bool Connect(Side& side) {
    const std::string name = absl::StrCat("Connect ", side.label);
    const Clock::time_point start = Clock::now();
    absl::StatusOr<std::unique_ptr<Connection>> connection = Open();
    if (!connection.ok()) {
      return Record(name, false, std::string(connection.status().message()));
    }
    const Clock::duration took = Clock::now() - start;
    std::string detail = absl::StrCat(ToAbsl(TransportName(url_.transport)), " to ",
                                      server_.ToString());
    const std::string negotiated = (*connection)->description();
    if (!negotiated.empty()) absl::StrAppend(&detail, ", ", negotiated);
    Credential credential;
    credential.username = options_.username;
    credential.password = options_.password;
    side.client.emplace(*std::move(connection), std::move(credential),
                        options_.timeout);
    // Over UDP there is no handshake to time or report.
    if (url_.transport == ProbeTransport::kUdp) return true;
    return Record(name, true, detail, took);
  }

  // A failed request's step: the status, or the server's error code.
  bool Failed(const std::string& name, const absl::StatusOr<Reply>& reply,
              const TurnClient& client) {
    if (!reply.ok()) return Record(name, false, std::string(reply.status().message()));
    std::string detail = absl::StrCat("server answered ", DescribeError(*reply));
    if (reply->error_code == 401) {
      absl::StrAppend(&detail, options_.username.empty()
                                   ? ": it wants credentials; give --user and "
                                     "--password, or --rest-secret"
                                   : absl::StrCat(": it refused user '",
                                                  options_.username,
                                                  "' (wrong password, unknown "
                                                  "user or expired credential)"));
    } else if (reply->error_code == 300 && reply->alternate_server) {
      absl::StrAppend(&detail, ": it redirects to ",
                      reply->alternate_server->ToString());
    }
    return Record(name, false, detail, client.last_rtt());
  }

  bool Binding() {
    TurnClient& client = *a_.client;
    absl::StatusOr<Reply> reply = client.Request(Method::kBinding, {}, false);
    if (!reply.ok() || !reply->success()) return Failed("Binding", reply, client);
    if (!reply->mapped) {
      return Record("Binding", false, "the answer has no XOR-MAPPED-ADDRESS",
                    client.last_rtt());
    }
    return Record("Binding", true,
                  absl::StrCat("mapped ", reply->mapped->ToString()),
                  client.last_rtt());
  }

  bool Allocate(Side& side) {
    const std::string name = absl::StrCat("Allocate ", side.label);
    TurnClient& client = *side.client;
    absl::StatusOr<Reply> reply = client.Request(
        Method::kAllocate,
        [](stun::MessageBuilder& b) { b.AddRequestedTransport(kUdp); }, true);
    if (!reply.ok() || !reply->success()) return Failed(name, reply, client);
    if (reply->relayed.empty()) {
      return Record(name, false, "the answer has no XOR-RELAYED-ADDRESS",
                    client.last_rtt());
    }
    side.relayed = reply->relayed.front();
    std::string detail = absl::StrCat("relayed ", side.relayed->ToString());
    if (reply->lifetime) absl::StrAppend(&detail, ", lifetime ", *reply->lifetime, " s");
    if (reply->integrity != Integrity::kValid) {
      absl::StrAppend(&detail, " (the answer carries no MESSAGE-INTEGRITY)");
    }
    return Record(name, true, detail, client.last_rtt());
  }

  bool Permission(Side& from, const Side& to) {
    const std::string name = absl::StrCat("CreatePermission ", from.label);
    TurnClient& client = *from.client;
    const TransportAddress peer = *to.relayed;
    absl::StatusOr<Reply> reply = client.Request(
        Method::kCreatePermission,
        [&](stun::MessageBuilder& b) {
          b.AddXorAddress(AttributeType::kXorPeerAddress, peer);
        },
        true);
    if (!reply.ok() || !reply->success()) return Failed(name, reply, client);
    return Record(name, true, absl::StrCat("for ", peer.ip.ToString()),
                  client.last_rtt());
  }

  bool ChannelBind(Side& from, const Side& to) {
    const std::string name = absl::StrCat("ChannelBind ", from.label);
    TurnClient& client = *from.client;
    const TransportAddress peer = *to.relayed;
    absl::StatusOr<Reply> reply = client.Request(
        Method::kChannelBind,
        [&](stun::MessageBuilder& b) {
          b.AddChannelNumber(kChannel).AddXorAddress(
              AttributeType::kXorPeerAddress, peer);
        },
        true);
    if (!reply.ok() || !reply->success()) return Failed(name, reply, client);
    return Record(name, true,
                  absl::StrCat("channel 0x", absl::Hex(kChannel), " to ",
                               peer.ToString()),
                  client.last_rtt());
  }

  // Sends a fresh payload from `from` to `to`'s relayed address until it
  // arrives at `to` in the expected form or the timeout passes.
  bool Relay(const std::string& name, Side& from, Side& to, bool channel) {
    uint8_t nonce[8];
    const stun::TransactionId random = NewTransactionId();
    std::copy(random.begin(), random.begin() + sizeof(nonce), nonce);
    const std::string text = absl::StrCat(
        "turnpike probe ", from.label, " to ", to.label, " ",
        absl::BytesToHexString(absl::string_view(
            reinterpret_cast<const char*>(nonce), sizeof(nonce))));
    const Bytes payload(text.begin(), text.end());
    const TransportAddress from_relay = *from.relayed;
    auto wanted = [&](const Relayed& got) {
      if (got.data != payload) return false;
      if (channel) return got.via_channel && got.channel == kChannel;
      return !got.via_channel && got.peer == from_relay;
    };
    const Clock::time_point deadline = Clock::now() + options_.timeout;
    Clock::duration resend = kResendData;
    for (;;) {
      const Clock::time_point sent_at = Clock::now();
      const absl::Status sent =
          channel ? from.client->SendChannelData(kChannel, payload)
                  : from.client->SendIndication(*to.relayed, payload);
      if (!sent.ok()) return Record(name, false, std::string(sent.message()));
      const Clock::time_point wait_until =
          from.client->connection().reliable()
              ? deadline
              : std::min(deadline, sent_at + resend);
      absl::StatusOr<Relayed> got = to.client->WaitRelayed(wait_until, wanted);
      if (got.ok()) {
        return Record(name, true,
                      absl::StrCat(payload.size(), " bytes arrived as ",
                                   channel ? "ChannelData" : "a Data indication",
                                   " from ", from_relay.ToString()),
                      Clock::now() - sent_at);
      }
      if (!absl::IsDeadlineExceeded(got.status())) {
        return Record(name, false, std::string(got.status().message()));
      }
      if (Clock::now() >= deadline) {
        return Record(
            name, false,
            absl::StrCat("nothing arrived at ", to.label, "'s relay ",
                         to.relayed->ToString(), " within the timeout: the "
                         "relays cannot reach each other (peer policy, "
                         "firewall, or a wrong external address)"));
      }
      resend *= 2;
    }
  }

  bool Indication(Side& from, Side& to) {
    return Relay(absl::StrCat("Send ", from.label, " to ", to.label), from, to,
                 false);
  }
  bool ChannelData(Side& from, Side& to) {
    return Relay(absl::StrCat("ChannelData ", from.label, " to ", to.label),
                 from, to, true);
  }

  void Release(Side& side) {
    const std::string name = absl::StrCat("Refresh ", side.label, " lifetime 0");
    TurnClient& client = *side.client;
    absl::StatusOr<Reply> reply = client.Request(
        Method::kRefresh, [](stun::MessageBuilder& b) { b.AddLifetime(0); },
        true);
    if (reply.ok() && reply->error_code == 437) {
      // RFC 8656 §7.3: a retransmitted Refresh may find the allocation
      // already deleted by the first copy.
      Record(name, true, "the allocation was already gone (437)",
             client.last_rtt());
      return;
    }
    if (!reply.ok() || !reply->success()) {
      Failed(name, reply, client);
      return;
    }
    Record(name, true, "allocation released", client.last_rtt());
  }

  const ProbeUrl& url_;
  const ProbeOptions& options_;
  const std::function<void(const StepResult&)>& on_step_;
  TransportAddress server_;
  Side a_{"A", std::nullopt, std::nullopt};
  Side b_{"B", std::nullopt, std::nullopt};
  std::vector<StepResult> results_;
};

}  // namespace

std::vector<StepResult> RunProbe(
    const ProbeUrl& url, const ProbeOptions& options,
    const std::function<void(const StepResult&)>& on_step) {
  return Run(url, options, on_step).Go();
}

}  // namespace turnpike::cli::probe
