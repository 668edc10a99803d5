// libFuzzer target for the whole core::Server (GitHub issue #3, point 8),
// shaped like ngtcp2's read_write_pkt: the input is a script of at most
// kMaxSteps steps, each choosing one thing the outside world does to the
// server: a client sends a well-formed STUN message built from choices in
// the input, raw bytes, a ChannelData frame or its last request again; a
// peer sends to an open relay; the runtime answers an OpenRelay (bound or
// failed) or reports a bound relay broken; time moves forward (to the next
// deadline, just before it, or by an amount); a stream connection closes;
// the operator reloads the peer rules; an RFC 6062 peer connection
// connects, fails, is accepted on a TCP relay or closes.
//
// Integrity checks always pass (AcceptAllAuthenticator) and the fuzzer
// learns NONCEs and RESERVATION-TOKENs from the server's responses, so
// inputs reach allocations, permissions, channels, reservations, quotas and
// expiry. After every step the command queue is drained and checked, then
// Server::CheckInvariants() runs; the checks are listed in docs/fuzzing.md.
//
// SERVER_FUZZER_TRACE=1 in the environment prints each step and command,
// which is how a crash input is read (docs/fuzzing.md).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/policy/peer_filter.h"
#include "core/response_budget.h"
#include "core/server.h"
#include "core/stun/channel_data.h"
#include "core/stun/integrity.h"
#include "core/stun/message_builder.h"
#include "core/stun/message_view.h"
#include "core/util/byte_io.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/server_fuzz_config.h"
#include "fuzz/server_fuzz_grants.h"
#include "fuzz/server_fuzz_relays.h"
#include "fuzz/server_fuzz_world.h"

namespace turnpike::fuzz {
namespace {

using core::FiveTuple;
using core::Forward;
using stun::AttributeType;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::Method;

// Enough for an allocation's whole life (nonce, Allocate, relay answer,
// permission, channel, data, refresh, expiry) with room to interleave.
constexpr int kMaxSteps = 64;
// Payloads stay under a typical MTU; the bandwidth cap (4000 B/s) is still
// crossed by three of them.
constexpr size_t kMaxPayload = 1400;
constexpr size_t kMaxRawMessage = 1600;
// How many learned RESERVATION-TOKENs and CONNECTION-IDs are kept to
// choose from.
constexpr size_t kMaxTokens = 4;
constexpr size_t kMaxNumbers = 4;
// The client tuple whose Allocate asks for TCP (RFC 6062) unless the input
// says otherwise: the first TCP connection (server_fuzz_world.h).
constexpr size_t kTcpAllocationTuple = 3;

bool Tracing() {
  static const bool enabled = std::getenv("SERVER_FUZZER_TRACE") != nullptr;
  return enabled;
}

void Trace(const char* format, ...) __attribute__((format(printf, 1, 2)));
void Trace(const char* format, ...) {
  if (!Tracing()) return;
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
}

// The same bytes of the same buffer: a Forward borrows its payload.
bool SameSpan(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b) {
  return a.data() == b.data() && a.size() == b.size();
}

bool SameBytes(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

std::optional<size_t> TupleIndex(const FiveTuple& tuple) {
  for (size_t i = 0; i < kTupleCount; ++i) {
    if (Tuple(i) == tuple) return i;
  }
  return std::nullopt;
}

// The tuple a server-to-client response belongs to: same client address,
// listener and transport.
std::optional<size_t> TupleTowards(const TransportAddress& to,
                                   const core::SocketRef& via,
                                   core::Transport transport) {
  for (size_t i = 0; i < kTupleCount; ++i) {
    const FiveTuple& t = Tuple(i);
    if (t.client == to && core::ClientSocket(t) == via &&
        t.transport == transport) {
      return i;
    }
  }
  return std::nullopt;
}

struct ClientState {
  std::string nonce;  // from the last 401/438 sent to this client
  uint32_t transactions = 0;
  std::vector<uint8_t> last_message;  // for retransmissions
};

class Driver {
 public:
  explicit Driver(FuzzedDataProvider& input)
      : in_(input),
        setup_(VaryConfig(input)),
        quotas_(setup_.quotas),
        config_(setup_.config),
        filter_(config_.peer_rules),
        grants_(config_) {
    credentials_.realm = config_.realm;
    auto created = core::Server::Create(
        config_,
        core::Deps{&random_, &credentials_, &authenticator_, &quotas_});
    FUZZ_CHECK(created.ok());
    server_ = std::move(*created);
  }

  void Run() {
    for (int step = 0; step < kMaxSteps && in_.remaining_bytes() > 0; ++step) {
      Step();
      Drain();
      server_->CheckInvariants();
    }
    Finish();
  }

 private:
  enum class Action : uint8_t {
    kStun,
    kRaw,
    kChannelData,
    kRetransmit,
    kPeer,
    kAnswerRelay,
    kTime,
    kConnectionClosed,
    kReloadPeerRules,
    kPeerConnection,
    kDrain,
  };

  void Step() {
    switch (static_cast<Action>(in_.ConsumeIntegralInRange<uint8_t>(0, 10))) {
      case Action::kStun:
        SendStun(PickTuple());
        break;
      case Action::kRaw: {
        const size_t tuple = PickTuple();
        Trace("client %zu: raw bytes\n", tuple);
        SendFromClient(
            tuple, in_.ConsumeBytes<uint8_t>(
                       in_.ConsumeIntegralInRange<size_t>(0, kMaxRawMessage)));
        break;
      }
      case Action::kChannelData:
        SendChannelData(PickTuple());
        break;
      case Action::kRetransmit: {
        const size_t tuple = PickTuple();
        Trace("client %zu: retransmit\n", tuple);
        // A copy: the stored bytes must not be what the Forward borrows
        // while SendFromClient replaces them.
        std::vector<uint8_t> again = clients_[tuple].last_message;
        if (!again.empty()) SendFromClient(tuple, std::move(again));
        break;
      }
      case Action::kPeer:
        SendFromPeer();
        break;
      case Action::kAnswerRelay:
        AnswerRelay();
        break;
      case Action::kTime:
        AdvanceTime();
        break;
      case Action::kConnectionClosed: {
        const size_t tuple = PickTuple();
        Trace("client %zu: connection closed\n", tuple);
        grants_.OnConnectionClosed(tuple);
        if (data_tuple_[tuple]) {
          // The runtime closed a spliced data connection: the core must
          // close its peer connection in this step.
          data_tuple_[tuple] = false;
          closed_data_tuple_ = tuple;
        }
        server_->HandleConnectionClosed(now_, Tuple(tuple));
        break;
      }
      case Action::kReloadPeerRules: {
        // server.h: the new rules apply to new permissions and to every
        // relayed packet from now on; the Forward checks use them too.
        const bool reloaded = in_.ConsumeBool();
        Trace("peer rules: %s\n", reloaded ? "reloaded" : "configured");
        core::PeerFilterRules rules =
            reloaded ? ReloadedPeerRules() : config_.peer_rules;
        filter_ = core::PeerFilter(rules);
        server_->SetPeerRules(std::move(rules));
        break;
      }
      case Action::kPeerConnection:
        PeerConnectionStep();
        break;
      case Action::kDrain:
        // No way back (core/server.h); a second call changes nothing.
        Trace("drain\n");
        server_->StartDrain();
        draining_ = true;
        break;
    }
  }

  size_t PickTuple() {
    return in_.ConsumeIntegralInRange<size_t>(0, kTupleCount - 1);
  }

  TransportAddress PickPeer() {
    const size_t pick = in_.ConsumeIntegralInRange<size_t>(0, kPeerCount);
    if (pick < kPeerCount) return Peer(pick);
    // Any address at all, of either family.
    TransportAddress any;
    if (in_.ConsumeBool()) {
      std::array<uint8_t, 16> bytes{};
      for (uint8_t& b : bytes) b = in_.ConsumeIntegral<uint8_t>();
      any.ip = IpAddress::V6(bytes);
    } else {
      any.ip = IpAddress::V4(in_.ConsumeIntegral<uint32_t>());
    }
    any.port = in_.ConsumeIntegral<uint16_t>();
    return any;
  }

  std::string PickUsername() {
    const size_t pick = in_.ConsumeIntegralInRange<size_t>(0, kUsers.size());
    if (pick < kUsers.size()) return std::string(kUsers[pick]);
    return in_.ConsumeRandomLengthString(24);
  }

  stun::TransactionId NextTransaction(size_t tuple) {
    const uint32_t n = ++clients_[tuple].transactions;
    stun::TransactionId id{};
    id[0] = static_cast<uint8_t>(0xF0 | tuple);
    for (int i = 0; i < 4; ++i) id[8 + i] = static_cast<uint8_t>(n >> (8 * i));
    return id;
  }

  // Bits of the attribute mask in SendStun.
  enum AttributeBit : uint32_t {
    kRequestedTransport = 1u << 0,
    kRequestedFamily = 1u << 1,
    kAdditionalFamily = 1u << 2,
    kEvenPort = 1u << 3,
    kReservationToken = 1u << 4,
    kLifetime = 1u << 5,
    kDontFragment = 1u << 6,
    kPeerAddress = 1u << 7,
    kSecondPeerAddress = 1u << 8,
    kChannelNumber = 1u << 9,
    kData = 1u << 10,
    kUnknownRequired = 1u << 11,
    kFingerprint = 1u << 12,
    kUnknownRequiredToo = 1u << 13,
    kConnectionIdBit = 1u << 14,
  };

  static uint32_t NaturalAttributes(uint16_t method) {
    switch (static_cast<Method>(method)) {
      case Method::kAllocate:
        return kRequestedTransport;  // RFC 8656 §7.2
      case Method::kCreatePermission:
        return kPeerAddress;  // §9.2
      case Method::kChannelBind:
        return kChannelNumber | kPeerAddress;  // §12.2
      case Method::kSend:
        return kPeerAddress | kData;  // §11.2
      case Method::kConnect:
        return kPeerAddress;  // RFC 6062 §4.3
      case Method::kConnectionBind:
        return kConnectionIdBit;  // RFC 6062 §4.4
      default:
        return 0;
    }
  }

  // A STUN message whose method, attributes and credentials come from the
  // input. Values are drawn from small sets of meaningful ones (limits,
  // edges) with a fuzz-chosen escape, so both the common and the odd paths
  // are a few mutations away.
  void SendStun(size_t tuple) {
    // In the order a client uses them, so small values walk the happy path.
    static constexpr std::array<Method, 8> kMethods = {
        Method::kAllocate, Method::kCreatePermission, Method::kChannelBind,
        Method::kSend,     Method::kRefresh,          Method::kBinding,
        Method::kConnect,  Method::kConnectionBind};
    const size_t method_pick =
        in_.ConsumeIntegralInRange<size_t>(0, kMethods.size());
    uint16_t method = 0;
    MessageClass message_class = MessageClass::kRequest;
    if (method_pick < kMethods.size()) {
      method = static_cast<uint16_t>(kMethods[method_pick]);
      if (kMethods[method_pick] == Method::kSend) {
        message_class = MessageClass::kIndication;
      }
    } else {
      // Any method in any class: unknown methods, responses, indications.
      method = in_.ConsumeIntegralInRange<uint16_t>(0, 0xFFF);
      message_class =
          static_cast<MessageClass>(in_.ConsumeIntegralInRange<uint8_t>(0, 3));
    }
    // Each bit flips one attribute relative to what the method normally
    // carries, so mask 0 is the well-formed request (FuzzedDataProvider
    // yields 0 once the input is used up).
    const uint32_t mask =
        in_.ConsumeIntegral<uint32_t>() ^ NaturalAttributes(method);
    // 0 USERNAME + MESSAGE-INTEGRITY, 1 none, 2 SHA-256 keys and
    // MESSAGE-INTEGRITY-SHA256, 3 USERHASH, 4 each part chosen freely.
    const uint8_t auth = in_.ConsumeIntegralInRange<uint8_t>(0, 4);
    Trace("client %zu: STUN class %d method 0x%03x mask 0x%08x auth %d\n",
          tuple, static_cast<int>(message_class), method, mask, auth);

    std::array<uint8_t, 2048> buffer;
    MessageBuilder b(absl::MakeSpan(buffer), message_class, method,
                     NextTransaction(tuple));
    if (mask & kRequestedTransport) {
      // The tuple's usual transport first (TCP on the first TCP
      // connection, so RFC 6062 allocations are one step away; UDP
      // elsewhere), then the other, then anything.
      const uint8_t usual = tuple == kTcpAllocationTuple ? 6 : 17;
      const uint8_t pick = in_.ConsumeIntegralInRange<uint8_t>(0, 2);
      b.AddRequestedTransport(pick == 0   ? usual
                              : pick == 1 ? (usual == 6 ? 17 : 6)
                                          : in_.ConsumeIntegral<uint8_t>());
    }
    if (mask & kRequestedFamily) b.AddRequestedAddressFamily(PickFamily());
    if (mask & kAdditionalFamily) b.AddAdditionalAddressFamily(PickFamily());
    if (mask & kEvenPort) b.AddEvenPort(in_.ConsumeBool());
    if (mask & kReservationToken) b.AddReservationToken(PickToken());
    if (mask & kLifetime) b.AddLifetime(PickLifetime());
    if (mask & kDontFragment) b.AddEmpty(AttributeType::kDontFragment);
    if (mask & kPeerAddress) {
      b.AddXorAddress(AttributeType::kXorPeerAddress, PickPeer());
    }
    if (mask & kSecondPeerAddress) {
      b.AddXorAddress(AttributeType::kXorPeerAddress, PickPeer());
    }
    if (mask & kChannelNumber) b.AddChannelNumber(PickChannel());
    if (mask & kConnectionIdBit) b.AddConnectionId(PickNumber());
    if (mask & kData) {
      const std::vector<uint8_t> data = in_.ConsumeBytes<uint8_t>(
          in_.ConsumeIntegralInRange<size_t>(0, kMaxPayload));
      b.AddBytes(AttributeType::kData, data);
    }
    // Two bits, so that a random mask is not answered 420 half the time.
    if ((mask & kUnknownRequired) && (mask & kUnknownRequiredToo)) {
      // Comprehension-required and unknown to the codec: 420.
      b.AddBytes(static_cast<uint16_t>(0x7F00 | (mask >> 24 & 0xFF)), {});
    }
    AddCredentials(b, tuple, auth, mask);
    if (mask & kFingerprint) b.AddFingerprint();
    auto built = b.Finish();
    if (!built.ok()) return;  // the codec is fuzzed elsewhere
    SendFromClient(tuple, std::vector<uint8_t>(built->begin(), built->end()));
  }

  uint8_t PickFamily() {
    switch (in_.ConsumeIntegralInRange<uint8_t>(0, 2)) {
      case 0:
        return 0x01;
      case 1:
        return 0x02;
      default:
        return in_.ConsumeIntegral<uint8_t>();
    }
  }

  uint64_t PickToken() {
    if (!tokens_.empty() && !in_.ConsumeBool()) {
      return tokens_[in_.ConsumeIntegralInRange<size_t>(0, tokens_.size() - 1)];
    }
    return in_.ConsumeIntegral<uint64_t>();
  }

  // A CONNECTION-ID the server gave out, or any.
  uint32_t PickNumber() {
    if (!numbers_.empty() && !in_.ConsumeBool()) {
      return numbers_[in_.ConsumeIntegralInRange<size_t>(0,
                                                         numbers_.size() - 1)];
    }
    return in_.ConsumeIntegral<uint32_t>();
  }

  void LearnNumber(uint32_t number) {
    if (numbers_.size() == kMaxNumbers) numbers_.erase(numbers_.begin());
    numbers_.push_back(number);
  }

  uint32_t PickLifetime() {
    // The default (600), 0 (delete), and under, at and over the maximum.
    static constexpr std::array<uint32_t, 6> kLifetimes = {600,  0,    1,
                                                           3600, 3601, 86400};
    const size_t pick =
        in_.ConsumeIntegralInRange<size_t>(0, kLifetimes.size());
    return pick < kLifetimes.size() ? kLifetimes[pick]
                                    : in_.ConsumeIntegral<uint32_t>();
  }

  uint16_t PickChannel() {
    // RFC 5766 §11's 0x4000-0x7FFF are valid (core/config.h's default);
    // their edges and neighbours.
    static constexpr std::array<uint16_t, 5> kChannels = {
        0x4000, 0x4001, 0x7FFF, 0x3FFF, 0x8000};
    const size_t pick = in_.ConsumeIntegralInRange<size_t>(0, kChannels.size());
    return pick < kChannels.size() ? kChannels[pick]
                                   : in_.ConsumeIntegral<uint16_t>();
  }

  // RFC 8489 §9.2.4's long-term credential attributes. Integrity values are
  // HMACs with a fixed key, which the accept-all authenticator never
  // checks; they only need to be present.
  void AddCredentials(MessageBuilder& b, size_t tuple, uint8_t auth,
                      uint32_t mask) {
    if (auth == 1) return;
    const std::string& nonce = clients_[tuple].nonce;
    if (auth == 4) {
      // Each part present or not, right or wrong, from the mask's high bits.
      if (mask & 1u << 16)
        b.AddString(AttributeType::kUsername, PickUsername());
      if (mask & 1u << 17) {
        b.AddString(AttributeType::kRealm,
                    !in_.ConsumeBool() ? config_.realm
                                       : in_.ConsumeRandomLengthString(16));
      }
      if (mask & 1u << 18) {
        b.AddString(
            AttributeType::kNonce,
            !in_.ConsumeBool() ? nonce : in_.ConsumeRandomLengthString(40));
      }
      if (mask & 1u << 19) {
        // PASSWORD-ALGORITHMS as offered or not, PASSWORD-ALGORITHM either.
        std::vector<stun::PasswordAlgorithmValue> offered;
        for (auto id : config_.password_algorithms) {
          offered.push_back({static_cast<uint16_t>(id), {}});
        }
        if (in_.ConsumeBool()) offered.pop_back();
        b.AddPasswordAlgorithms(offered);
        b.AddPasswordAlgorithm(
            {in_.ConsumeIntegralInRange<uint16_t>(0, 3), {}});
      }
      if (mask & 1u << 20) b.AddMessageIntegrity(FuzzKey());
      if (mask & 1u << 21) b.AddMessageIntegritySha256(FuzzKey());
      return;
    }
    const std::string username = PickUsername();
    if (auth == 3) {
      b.AddBytes(AttributeType::kUserhash,
                 stun::ComputeUserhash(username, config_.realm));
    } else {
      b.AddString(AttributeType::kUsername, username);
    }
    b.AddString(AttributeType::kRealm, config_.realm);
    b.AddString(AttributeType::kNonce, nonce);
    if (auth == 2) {
      std::vector<stun::PasswordAlgorithmValue> offered;
      for (auto id : config_.password_algorithms) {
        offered.push_back({static_cast<uint16_t>(id), {}});
      }
      b.AddPasswordAlgorithms(offered);
      b.AddPasswordAlgorithm(
          {static_cast<uint16_t>(stun::PasswordAlgorithmId::kSha256), {}});
      b.AddMessageIntegritySha256(FuzzKey());
    } else {
      b.AddMessageIntegrity(FuzzKey());
    }
  }

  // RFC 8656 §12.4: channel number, length, payload, optional padding.
  void SendChannelData(size_t tuple) {
    static constexpr std::array<uint16_t, 4> kChannels = {0x4000, 0x4001,
                                                          0x7FFF, 0x8000};
    const size_t pick = in_.ConsumeIntegralInRange<size_t>(0, kChannels.size());
    const uint16_t channel = pick < kChannels.size()
                                 ? kChannels[pick]
                                 : in_.ConsumeIntegral<uint16_t>();
    const std::vector<uint8_t> payload = in_.ConsumeBytes<uint8_t>(
        in_.ConsumeIntegralInRange<size_t>(0, kMaxPayload));
    // Usually the true length; sometimes a lie, to reach the overrun check.
    const uint16_t length = in_.ConsumeIntegralInRange<uint8_t>(0, 7) == 7
                                ? in_.ConsumeIntegral<uint16_t>()
                                : static_cast<uint16_t>(payload.size());
    const size_t padding = in_.ConsumeIntegralInRange<size_t>(0, 3);
    Trace("client %zu: ChannelData 0x%04x length %u payload %zu\n", tuple,
          channel, length, payload.size());
    const auto header = stun::EncodeChannelDataHeader(channel, length);
    std::vector<uint8_t> frame(header.begin(), header.end());
    frame.insert(frame.end(), payload.begin(), payload.end());
    frame.insert(frame.end(), padding, 0);
    SendFromClient(tuple, std::move(frame));
  }

  void SendFromClient(size_t tuple, std::vector<uint8_t> message) {
    clients_[tuple].last_message = message;
    // Exactly sized and owned here, so ASan sees any read past the end.
    const absl::Span<const uint8_t> bytes(message);
    grants_.OnClientMessage(tuple, bytes);
    NoteRfc6062Request(tuple, bytes);
    const uint64_t over_budget = DroppedOverBudget();
    const std::optional<Forward> forward =
        server_->HandleClientMessage(now_, Tuple(tuple), bytes);
    // RFC 6062 §5.4: a spliced data connection's bytes are the peer's; the
    // core takes no command from it.
    if (data_tuple_[tuple]) FUZZ_CHECK(!forward.has_value());
    const std::optional<ToPeer> expected = DataToPeer(tuple, bytes);
    if (forward) {
      CheckForwardToPeer(tuple, *forward, expected);
    } else if (expected && MayReachPeer(tuple, expected->peer)) {
      // Granted and allowed, so only the bandwidth cap may hold it back.
      FUZZ_CHECK(DroppedOverBudget() > over_budget);
    }
  }

  uint64_t DroppedOverBudget() const {
    return server_->stats().dropped(core::DropReason::kOverBandwidth) +
           server_->stats().dropped(core::DropReason::kTooLarge);
  }

  // Client data, and where it must go if it goes anywhere: the peer a Send
  // indication names (RFC 8656 §11.2) or the one its channel is bound to
  // (§12.5), with the bytes it carries.
  struct ToPeer {
    TransportAddress peer;
    absl::Span<const uint8_t> payload;
  };
  std::optional<ToPeer> DataToPeer(size_t tuple,
                                   absl::Span<const uint8_t> message) const {
    if (message.empty()) return std::nullopt;
    if (stun::LooksLikeChannelData(message[0])) {
      const auto parsed =
          stun::ParseChannelData(message, config_.max_channel_number);
      if (!parsed.ok()) return std::nullopt;
      const std::optional<TransportAddress> peer =
          grants_.ChannelPeer(tuple, parsed->channel, now_.mono);
      if (!peer) return std::nullopt;
      return ToPeer{*peer, parsed->payload};
    }
    const auto parsed = stun::MessageView::Parse(message);
    if (!parsed.ok() || parsed->message_class() != MessageClass::kIndication ||
        parsed->method() != static_cast<uint16_t>(Method::kSend)) {
      return std::nullopt;
    }
    // RFC 8489 §6.3.2: an indication with an unknown comprehension-
    // required attribute is discarded, so it never carries data.
    if (!parsed->unknown_comprehension_required().empty()) return std::nullopt;
    const auto peers = parsed->XorPeerAddresses();
    const auto data = parsed->Data();
    if (peers.size() != 1 || !data) return std::nullopt;
    return ToPeer{peers.front(), *data};
  }

  // What the shadow says about sending to `peer` now: an allocation with a
  // relay of its family, a permission for its IP (RFC 8656 §9), and the
  // peer policy (CVE-2020-26262).
  bool MayReachPeer(size_t tuple, const TransportAddress& peer) const {
    const std::optional<core::RelayId> relay =
        grants_.RelayFor(tuple, peer.family(), now_.mono);
    // RFC 6062 §5: a TCP allocation relays no datagrams.
    return relay.has_value() &&
           relays_.Find(*relay)->transport == core::Transport::kUdp &&
           grants_.Permitted(tuple, peer.ip, now_.mono) &&
           filter_.Allows(peer.ip);
  }

  // server.h: a Send indication or ChannelData with a permission goes out
  // of a relay towards the peer, its payload borrowed from the message.
  void CheckForwardToPeer(size_t tuple, const Forward& forward,
                          const std::optional<ToPeer>& expected) {
    Trace("  -> Forward to peer %s, %zu bytes\n", forward.to.ToString().c_str(),
          forward.payload.size());
    FUZZ_CHECK(std::holds_alternative<core::RelayId>(forward.via));
    const core::RelayId relay = std::get<core::RelayId>(forward.via);
    // Only out of a socket the runtime reported bound and has not closed,
    // of the peer's family (RFC 8656 §9.1).
    FUZZ_CHECK(relays_.IsBound(relay));
    FUZZ_CHECK(relays_.Find(relay)->bound.family() == forward.to.family());
    FUZZ_CHECK(relays_.Find(relay)->transport == core::Transport::kUdp);
    FUZZ_CHECK(forward.transport == core::Transport::kUdp);
    // forward.h: nothing goes in front of client → peer data.
    FUZZ_CHECK(forward.prefix.size == 0 && forward.padding == 0);
    // Only data leaves, to the peer the client named or bound the channel
    // to, with exactly the bytes it sent...
    FUZZ_CHECK(expected.has_value());
    FUZZ_CHECK(forward.to == expected->peer);
    FUZZ_CHECK(SameSpan(forward.payload, expected->payload));
    // ...out of its own allocation's relay of the peer's family, and only
    // with a permission the server granted and has not expired (RFC 8656
    // §9) ...
    FUZZ_CHECK(grants_.RelayFor(tuple, forward.to.family(), now_.mono) ==
               relay);
    FUZZ_CHECK(grants_.Permitted(tuple, forward.to.ip, now_.mono));
    // ...and the peer policy, checked on every packet (CVE-2020-26262).
    FUZZ_CHECK(filter_.Allows(forward.to.ip));
  }

  void SendFromPeer() {
    const std::vector<core::RelayId> open = relays_.OpenIds();
    if (open.empty()) return;
    const core::RelayId relay =
        open[in_.ConsumeIntegralInRange<size_t>(0, open.size() - 1)];
    const TransportAddress peer = PickPeer();
    const std::vector<uint8_t> payload = in_.ConsumeBytes<uint8_t>(
        in_.ConsumeIntegralInRange<size_t>(0, kMaxPayload));
    Trace("peer %s -> relay %u: %zu bytes\n", peer.ToString().c_str(),
          relay.value, payload.size());
    const absl::Span<const uint8_t> bytes(payload);
    const uint64_t over_budget = DroppedOverBudget();
    const std::optional<Forward> forward =
        server_->HandlePeerDatagram(now_, relay, peer, bytes);
    const std::optional<size_t> owner = grants_.OwnerOf(relay, now_.mono);
    const bool udp = relays_.Find(relay)->transport == core::Transport::kUdp;
    if (forward) {
      // RFC 6062 §5.3: a TCP relay takes connections, not datagrams.
      FUZZ_CHECK(udp);
      CheckForwardToClient(owner, *forward, peer, bytes);
    } else if (udp && owner && grants_.Permitted(*owner, peer.ip, now_.mono) &&
               filter_.Allows(peer.ip)) {
      FUZZ_CHECK(DroppedOverBudget() > over_budget);
    }
  }

  // server.h: a peer's datagram goes to the client whose allocation owns
  // the relay, from the listener of its 5-tuple, behind a ChannelData
  // header when a channel is bound to the peer, else a Data indication
  // header (RFC 8656 §11.4, §12.6).
  void CheckForwardToClient(std::optional<size_t> owner, const Forward& forward,
                            const TransportAddress& peer,
                            absl::Span<const uint8_t> payload) {
    Trace("  -> Forward to client %s, prefix %u\n",
          forward.to.ToString().c_str(), forward.prefix.size);
    // Only to a live allocation's owner, only from a peer it permitted.
    FUZZ_CHECK(owner.has_value());
    FUZZ_CHECK(grants_.Permitted(*owner, peer.ip, now_.mono));
    FUZZ_CHECK(filter_.Allows(peer.ip));
    const FiveTuple& client = Tuple(*owner);
    // Over its connection, or from its listener (forward.h).
    FUZZ_CHECK(forward.via == core::ClientSocket(client));
    FUZZ_CHECK(forward.transport == client.transport);
    FUZZ_CHECK(forward.to == client.client);
    FUZZ_CHECK(SameSpan(forward.payload, payload));
    const absl::Span<const uint8_t> prefix = forward.prefix.view();
    if (const std::optional<uint16_t> channel =
            grants_.ChannelOf(*owner, peer, now_.mono)) {
      // RFC 8656 §12.4: the bound number and the payload's length; §12.5:
      // padded to 4 bytes over streams only.
      FUZZ_CHECK(prefix.size() == stun::kChannelDataHeaderSize);
      FUZZ_CHECK(LoadBe16(prefix.data()) == *channel);
      FUZZ_CHECK(LoadBe16(prefix.data() + 2) == payload.size());
      FUZZ_CHECK(forward.padding ==
                 stun::ChannelDataPadding(payload.size(),
                                          core::IsStream(client.transport)));
      return;
    }
    // RFC 8656 §11.4: a Data indication with XOR-PEER-ADDRESS (12 or 24
    // bytes) and DATA; the prefix ends where DATA's value begins.
    FUZZ_CHECK(prefix.size() ==
               stun::kHeaderSize + (peer.ip.is_v4() ? 12 : 24) + 4);
    FUZZ_CHECK(forward.padding == PaddingFor(payload.size()));
    std::vector<uint8_t> frame(prefix.begin(), prefix.end());
    frame.insert(frame.end(), payload.begin(), payload.end());
    frame.insert(frame.end(), forward.padding, 0);
    FUZZ_CHECK(frame.size() == forward.size());
    FUZZ_CHECK(LoadBe16(frame.data() + 2) == frame.size() - stun::kHeaderSize);
    const auto parsed = stun::MessageView::Parse(frame);
    FUZZ_CHECK(parsed.ok());
    FUZZ_CHECK(parsed->message_class() == MessageClass::kIndication);
    FUZZ_CHECK(parsed->method() == static_cast<uint16_t>(Method::kData));
    const auto attributes = parsed->Attributes();
    FUZZ_CHECK(attributes.size() == 2);
    FUZZ_CHECK(attributes[0].type ==
               static_cast<uint16_t>(AttributeType::kXorPeerAddress));
    FUZZ_CHECK(attributes[1].type ==
               static_cast<uint16_t>(AttributeType::kData));
    const auto peers = parsed->XorPeerAddresses();
    FUZZ_CHECK(peers.size() == 1 && peers.front() == peer);
    const auto data = parsed->Data();
    FUZZ_CHECK(data.has_value());
    FUZZ_CHECK(SameSpan(*data, absl::Span<const uint8_t>(frame).subspan(
                                   prefix.size(), payload.size())));
    FUZZ_CHECK(SameBytes(*data, payload));
  }

  // The runtime's side of OpenRelay: bound (port from the input, even when
  // EVEN-PORT asked for it) or failed; or a bound relay breaking.
  void AnswerRelay() {
    const uint8_t how = in_.ConsumeIntegralInRange<uint8_t>(0, 3);
    if (how == 3) {
      const std::vector<core::RelayId> open = relays_.OpenIds();
      if (open.empty()) return;
      const core::RelayId id =
          open[in_.ConsumeIntegralInRange<size_t>(0, open.size() - 1)];
      Trace("relay %u: broken\n", id.value);
      relays_.ReportFailed(id);
      grants_.OnRelayFailed(id);
      server_->HandleRelayFailed(now_, id,
                                 absl::UnavailableError("fuzz: socket error"));
      return;
    }
    const std::vector<core::RelayId>& answerable = relays_.answerable();
    if (answerable.empty()) return;
    const core::RelayId id = answerable[in_.ConsumeIntegralInRange<size_t>(
        0, answerable.size() - 1)];
    if (how == 2) {
      Trace("relay %u: failed\n", id.value);
      relays_.ReportFailed(id);
      grants_.OnRelayFailed(id);
      server_->HandleRelayFailed(now_, id,
                                 absl::UnavailableError("fuzz: bind failed"));
      return;
    }
    const RelayRecord& record = *relays_.Find(id);
    TransportAddress bound;
    bound.ip = RelayIp(record.family);
    bound.port = in_.ConsumeIntegral<uint16_t>();
    if (record.even_port) bound.port &= 0xFFFE;
    Trace("relay %u: bound to %s\n", id.value, bound.ToString().c_str());
    relays_.ReportOpened(id, bound);
    server_->HandleRelayOpened(now_, id, bound);
  }

  void AdvanceTime() {
    const std::optional<core::MonoTime> deadline = server_->NextDeadline();
    core::MonoTime to = now_.mono;
    switch (in_.ConsumeIntegralInRange<uint8_t>(0, 5)) {
      case 0:  // exactly when something is due
        if (deadline) to = *deadline;
        break;
      case 1:  // the last instant before it
        if (deadline) to = *deadline - core::Duration(1);
        break;
      case 2:  // a little: up to a second, in nanoseconds
        to += core::Duration(
            in_.ConsumeIntegralInRange<int64_t>(1, 1'000'000'000));
        break;
      case 3: {  // around the configured lifetimes
        static constexpr std::array<int, 8> kSeconds = {29,  30,  31,  299,
                                                        300, 301, 600, 3600};
        to += std::chrono::seconds(kSeconds[in_.ConsumeIntegralInRange<size_t>(
            0, kSeconds.size() - 1)]);
        break;
      }
      case 4:  // anything up to two hours
        to += std::chrono::milliseconds(
            in_.ConsumeIntegralInRange<int64_t>(0, 7'200'000));
        break;
      default:  // no time passes: an early timeout is harmless
        break;
    }
    // server.h: time never goes backwards.
    to = std::max(to, now_.mono);
    now_.wall += absl::FromChrono(to - now_.mono);
    now_.mono = to;
    Trace("time +%lld ns\n",
          static_cast<long long>((to - StartTime().mono).count()));
    server_->HandleTimeout(now_);
    // Whatever was due at `now` is done.
    if (const auto next = server_->NextDeadline())
      FUZZ_CHECK(*next > now_.mono);
  }

  void Drain() {
    while (std::optional<core::Command> command = server_->PollCommand()) {
      std::visit([this](const auto& c) { OnCommand(c); }, *command);
    }
    // Every allocation that was announced is still in the table.
    int created = 0;
    for (int live : live_created_) created += live;
    FUZZ_CHECK(server_->allocation_count() >= static_cast<size_t>(created));
    CheckStepConnections();
    grants_.EndStep();
  }

  void OnCommand(const core::Transmit& transmit) {
    // Responses go back where the request came from (nat_discovery is off,
    // so never from another listener).
    const std::optional<size_t> tuple =
        TupleTowards(transmit.to, transmit.via, transmit.transport);
    FUZZ_CHECK(tuple.has_value());
    // RFC 6062 §5.4: nothing more is said on a spliced data connection.
    FUZZ_CHECK(!data_tuple_[*tuple]);
    // Everything the server sends is a well-formed STUN response, or an
    // RFC 6062 ConnectionAttempt indication.
    const auto parsed = stun::MessageView::Parse(transmit.bytes);
    if (!parsed.ok()) {
      // RFC 8489 §12.2: an RFC 3489 client's Binding is answered with its
      // own cookie field echoed, which MessageView does not take for RFC
      // 8489 STUN; nothing else goes out without the magic cookie.
      FUZZ_CHECK(transmit.bytes.size() >= stun::kHeaderSize &&
                 LoadBe16(transmit.bytes.data()) == 0x0101 &&
                 LoadBe32(transmit.bytes.data() + 4) != stun::kMagicCookie);
      FUZZ_CHECK(transmit.bytes.size() <= core::kResponseBufferSize);
      return;
    }
    CheckFits(transmit.bytes, *parsed);
    if (parsed->message_class() == MessageClass::kIndication) {
      OnConnectionAttempt(*tuple, *parsed);
      return;
    }
    FUZZ_CHECK(parsed->message_class() == MessageClass::kSuccessResponse ||
               parsed->message_class() == MessageClass::kErrorResponse);
    OnRfc6062Response(*tuple, *parsed);
    const auto error = parsed->ErrorCode();
    Trace("  Transmit to client %zu: method 0x%03x %s %d\n", *tuple,
          parsed->method(), error ? "error" : "success",
          error ? error->code : 0);
    if (error && (error->code == stun::error_code::kUnauthenticated ||
                  error->code == stun::error_code::kStaleNonce)) {
      // RFC 8489 §9.2.4: a challenge carries the nonce to use next.
      if (const auto nonce = parsed->Nonce()) {
        clients_[*tuple].nonce = std::string(*nonce);
      }
    }
    if (error && error->code == stun::error_code::kTryAlternate) {
      CheckRedirect(*tuple, *parsed);
    }
    grants_.OnResponse(now_.mono, *tuple, *parsed);
    if (!error &&
        parsed->method() == static_cast<uint16_t>(Method::kAllocate)) {
      if (const auto token = parsed->ReservationToken()) {
        if (tokens_.size() == kMaxTokens) tokens_.erase(tokens_.begin());
        tokens_.push_back(*token);
      }
    }
  }

  // Issue 13: under the configuration drawn for this run, every response
  // fits its buffer whole: nothing was dropped to make it fit, and SOFTWARE
  // (the one attribute SendResponse would leave out) is there as configured.
  // The exception is by design: a 401/438 to a request that proved no
  // password is minimal (no reason phrase, no SOFTWARE; docs/security.md),
  // and only those carry an empty reason phrase.
  void CheckFits(absl::Span<const uint8_t> bytes,
                 const stun::MessageView& response) {
    FUZZ_CHECK(bytes.size() <= core::kResponseBufferSize);
    const auto error = response.ErrorCode();
    const bool minimal = error && error->reason.empty();
    if (minimal) {
      FUZZ_CHECK(error->code == 401 || error->code == 438);
      FUZZ_CHECK(!response.Software().has_value());
    } else {
      FUZZ_CHECK(response.Software() ==
                 (config_.software
                      ? std::optional<std::string_view>(*config_.software)
                      : std::nullopt));
    }
    FUZZ_CHECK(server_->stats().dropped(core::DropReason::kResponseTooLarge) ==
               0);
  }

  // RFC 8489 §10, §14.15, §14.16: only a draining server redirects, only an
  // Allocate, to an alternate of the client's family, protected, and with
  // ALTERNATE-DOMAIN exactly for TLS and DTLS clients.
  void CheckRedirect(size_t tuple, const stun::MessageView& response) {
    FUZZ_CHECK(draining_);
    FUZZ_CHECK(response.method() == static_cast<uint16_t>(Method::kAllocate));
    const std::optional<TransportAddress> alternate =
        response.AlternateServer();
    FUZZ_CHECK(alternate.has_value());
    FUZZ_CHECK(alternate->family() == Tuple(tuple).client.family());
    FUZZ_CHECK(response.MessageIntegrity().has_value() ||
               response.Has(stun::AttributeType::kMessageIntegritySha256));
    const bool secure = Tuple(tuple).transport == core::Transport::kTls ||
                        Tuple(tuple).transport == core::Transport::kDtls;
    FUZZ_CHECK(response.AlternateDomain().has_value() == secure);
  }

  void OnCommand(const core::OpenRelay& open) {
    Trace("  OpenRelay %u%s\n", open.id.value,
          open.reserve_id ? " (+ reserved port+1)" : "");
    // A draining server starts no allocation.
    FUZZ_CHECK(!draining_);
    relays_.OnOpenRelay(open);
    grants_.OnOpenRelay(open);
  }

  // One worker, no Deps::reservations: reservations are never shared.
  void OnCommand(const core::ShareReservation& /*share*/) {
    FUZZ_CHECK(false);
  }

  void OnCommand(const core::CloseRelay& close) {
    Trace("  CloseRelay %u\n", close.id.value);
    relays_.OnCloseRelay(close.id);
    grants_.OnCloseRelay(close.id);
  }

  // --- RFC 6062 -------------------------------------------------------------
  enum class PeerState : uint8_t { kConnecting, kPending, kBound, kClosed };
  struct PeerRecord {
    std::optional<size_t> owner;  // the tuple whose allocation it serves
    TransportAddress peer;
    PeerState state = PeerState::kConnecting;
    std::optional<uint32_t> number;      // CONNECTION-ID, once given out
    std::optional<size_t> data_tuple;    // once spliced
  };
  // A Connect or ConnectionBind sent in this step.
  struct Rfc6062Request {
    size_t tuple = 0;
    uint16_t method = 0;
    absl::InlinedVector<TransportAddress, 2> peers;
    std::optional<uint32_t> number;
  };

  void NoteRfc6062Request(size_t tuple, absl::Span<const uint8_t> message) {
    rfc6062_request_.reset();
    if (message.empty() || stun::LooksLikeChannelData(message[0])) return;
    const auto parsed = stun::MessageView::Parse(message);
    if (!parsed.ok() || parsed->message_class() != MessageClass::kRequest ||
        (parsed->method() != static_cast<uint16_t>(Method::kConnect) &&
         parsed->method() != static_cast<uint16_t>(Method::kConnectionBind))) {
      return;
    }
    rfc6062_request_ = Rfc6062Request{tuple, parsed->method(),
                                      parsed->XorPeerAddresses(),
                                      parsed->ConnectionId()};
  }

  std::vector<uint64_t> PeerIds(bool (*wanted)(PeerState)) const {
    std::vector<uint64_t> ids;
    for (uint64_t id : peer_order_) {
      if (wanted(peers_.at(id).state)) ids.push_back(id);
    }
    return ids;
  }

  // The runtime's side of RFC 6062: a ConnectPeer connects or fails, a
  // peer connects to an open relay, or a live peer connection closes.
  void PeerConnectionStep() {
    const uint8_t how = in_.ConsumeIntegralInRange<uint8_t>(0, 3);
    if (how <= 1) {
      const std::vector<uint64_t> connecting = PeerIds(
          [](PeerState s) { return s == PeerState::kConnecting; });
      if (connecting.empty()) return;
      const uint64_t id = connecting[in_.ConsumeIntegralInRange<size_t>(
          0, connecting.size() - 1)];
      if (how == 0) {
        Trace("peer connection %llx: connected\n",
              static_cast<unsigned long long>(id));
        connected_now_ = id;
        server_->HandlePeerConnected(now_, core::ConnectionId{id});
      } else {
        Trace("peer connection %llx: failed\n",
              static_cast<unsigned long long>(id));
        peers_.at(id).state = PeerState::kClosed;
        server_->HandlePeerConnectFailed(
            now_, core::ConnectionId{id},
            absl::UnavailableError("fuzz: refused"));
      }
      return;
    }
    if (how == 2) {
      const std::vector<core::RelayId> open = relays_.OpenIds();
      if (open.empty()) return;
      const core::RelayId relay =
          open[in_.ConsumeIntegralInRange<size_t>(0, open.size() - 1)];
      const TransportAddress peer = PickPeer();
      const uint64_t id = next_accepted_id_++;
      Trace("peer %s connects to relay %u as %llu\n", peer.ToString().c_str(),
            relay.value, static_cast<unsigned long long>(id));
      PeerRecord record;
      record.owner = grants_.OwnerOf(relay, now_.mono);
      record.peer = peer;
      record.state = PeerState::kPending;
      peers_[id] = record;
      peer_order_.push_back(id);
      accepted_now_ = id;
      accepted_relay_ = relay;
      server_->HandlePeerConnectionAccepted(now_, relay,
                                            core::ConnectionId{id}, peer);
      return;
    }
    const std::vector<uint64_t> live =
        PeerIds([](PeerState s) { return s != PeerState::kClosed; });
    if (live.empty()) return;
    const uint64_t id =
        live[in_.ConsumeIntegralInRange<size_t>(0, live.size() - 1)];
    Trace("peer connection %llx: closed\n",
          static_cast<unsigned long long>(id));
    PeerRecord& record = peers_.at(id);
    // command.h: a spliced pair closes together; the core closes the data
    // connection when the peer's goes.
    if (record.state == PeerState::kBound) closing_bound_ = record.data_tuple;
    record.state = PeerState::kClosed;
    server_->HandlePeerConnectionClosed(now_, core::ConnectionId{id});
  }

  // RFC 6062 §5.3: a ConnectionAttempt goes only to the owner of the relay
  // a peer just connected to, only with a permission for the peer's IP and
  // the peer policy's consent (pion/turn #570), naming the peer.
  void OnConnectionAttempt(size_t tuple, const stun::MessageView& m) {
    FUZZ_CHECK(m.method() ==
               static_cast<uint16_t>(Method::kConnectionAttempt));
    FUZZ_CHECK(accepted_now_.has_value());
    PeerRecord& record = peers_.at(*accepted_now_);
    FUZZ_CHECK(!record.number.has_value());
    FUZZ_CHECK(record.owner == tuple);
    FUZZ_CHECK(relays_.Find(accepted_relay_)->transport ==
               core::Transport::kTcp);
    FUZZ_CHECK(grants_.Permitted(tuple, record.peer.ip, now_.mono));
    FUZZ_CHECK(filter_.Allows(record.peer.ip));
    const auto peers = m.XorPeerAddresses();
    FUZZ_CHECK(peers.size() == 1 && peers.front() == record.peer);
    FUZZ_CHECK(m.ConnectionId().has_value());
    record.number = *m.ConnectionId();
    LearnNumber(*record.number);
    Trace("  ConnectionAttempt to client %zu: CONNECTION-ID %08x\n", tuple,
          *record.number);
  }

  void OnRfc6062Response(size_t tuple, const stun::MessageView& m) {
    if (m.message_class() != MessageClass::kSuccessResponse) return;
    if (m.method() == static_cast<uint16_t>(Method::kConnect)) {
      // §5.2: answered when the runtime connected, with its CONNECTION-ID.
      FUZZ_CHECK(connected_now_.has_value());
      PeerRecord& record = peers_.at(*connected_now_);
      FUZZ_CHECK(record.owner == tuple);
      FUZZ_CHECK(m.ConnectionId().has_value());
      record.number = *m.ConnectionId();
      LearnNumber(*record.number);
    } else if (m.method() ==
               static_cast<uint16_t>(Method::kConnectionBind)) {
      FUZZ_CHECK(rfc6062_request_.has_value() &&
                 rfc6062_request_->tuple == tuple &&
                 rfc6062_request_->method == m.method());
      bind_success_ = tuple;
    }
  }

  // RFC 6062 §5.2: a peer connection leaves only from the requesting
  // client's own TCP relay, to the peer it named, and never to one the
  // peer policy refuses (pion/turn #570). No TURN permission is needed
  // (§5.2 asks for none).
  void OnCommand(const core::ConnectPeer& connect) {
    Trace("  ConnectPeer %llx to %s\n",
          static_cast<unsigned long long>(connect.id.value),
          connect.peer.ToString().c_str());
    FUZZ_CHECK((connect.id.value & core::ConnectionId::kCoreAssigned) != 0);
    FUZZ_CHECK(!peers_.contains(connect.id.value));
    FUZZ_CHECK(rfc6062_request_.has_value() &&
               rfc6062_request_->method ==
                   static_cast<uint16_t>(Method::kConnect));
    const size_t tuple = rfc6062_request_->tuple;
    FUZZ_CHECK(rfc6062_request_->peers.size() == 1 &&
               rfc6062_request_->peers.front() == connect.peer);
    FUZZ_CHECK(grants_.RelayFor(tuple, connect.peer.family(), now_.mono) ==
               connect.relay);
    FUZZ_CHECK(relays_.IsBound(connect.relay));
    FUZZ_CHECK(relays_.Find(connect.relay)->transport ==
               core::Transport::kTcp);
    FUZZ_CHECK(filter_.Allows(connect.peer.ip));
    PeerRecord record;
    record.owner = tuple;
    record.peer = connect.peer;
    record.state = PeerState::kConnecting;
    peers_[connect.id.value] = record;
    peer_order_.push_back(connect.id.value);
  }

  // Only connections the core knows are closed: a peer connection, or a
  // data connection it spliced.
  void OnCommand(const core::CloseConnection& close) {
    Trace("  CloseConnection %llx\n",
          static_cast<unsigned long long>(close.id.value));
    if (auto it = peers_.find(close.id.value); it != peers_.end()) {
      it->second.state = PeerState::kClosed;
      return;
    }
    for (size_t t = 0; t < kTupleCount; ++t) {
      if (Tuple(t).connection != close.id) continue;
      FUZZ_CHECK(data_tuple_[t]);
      data_tuple_[t] = false;
      return;
    }
    FUZZ_CHECK(false);
  }

  // RFC 6062 §5.4: a splice follows the success response to a
  // ConnectionBind in the same step, on a connection that holds no
  // allocation, for a pending connection of an allocation created with the
  // same credentials that proved the ConnectionBind.
  void OnCommand(const core::SpliceConnections& splice) {
    Trace("  SpliceConnections %llx %llx\n",
          static_cast<unsigned long long>(splice.client.value),
          static_cast<unsigned long long>(splice.peer.value));
    FUZZ_CHECK(rfc6062_request_.has_value() &&
               rfc6062_request_->method ==
                   static_cast<uint16_t>(Method::kConnectionBind));
    const size_t data = rfc6062_request_->tuple;
    FUZZ_CHECK(bind_success_ == data);
    FUZZ_CHECK(Tuple(data).connection == splice.client);
    FUZZ_CHECK(!grants_.HasAllocation(data, now_.mono));
    auto it = peers_.find(splice.peer.value);
    FUZZ_CHECK(it != peers_.end());
    PeerRecord& record = it->second;
    FUZZ_CHECK(record.state == PeerState::kPending);
    FUZZ_CHECK(record.number.has_value() &&
               record.number == rfc6062_request_->number);
    FUZZ_CHECK(record.owner.has_value() && *record.owner != data);
    FUZZ_CHECK(grants_.HasAllocation(*record.owner, now_.mono));
    FUZZ_CHECK(!accepted_user_[data].empty() &&
               accepted_user_[data] == allocation_user_[*record.owner]);
    record.state = PeerState::kBound;
    record.data_tuple = data;
    data_tuple_[data] = true;
  }

  // After each step: what the runtime reported was answered, pairs closed
  // together, and no peer connection outlives its allocation.
  void CheckStepConnections() {
    if (connected_now_) {
      const PeerRecord& record = peers_.at(*connected_now_);
      // Answered with a CONNECTION-ID, or closed as no longer wanted.
      FUZZ_CHECK((record.state == PeerState::kConnecting &&
                  record.number.has_value()) ||
                 record.state == PeerState::kClosed);
      if (record.state == PeerState::kConnecting) {
        peers_.at(*connected_now_).state = PeerState::kPending;
      }
    }
    if (accepted_now_) {
      const PeerRecord& record = peers_.at(*accepted_now_);
      // Announced, or closed at once (§5.3).
      FUZZ_CHECK(record.number.has_value() ||
                 record.state == PeerState::kClosed);
    }
    if (closing_bound_) FUZZ_CHECK(!data_tuple_[*closing_bound_]);
    for (uint64_t id : peer_order_) {
      const PeerRecord& record = peers_.at(id);
      if (record.state == PeerState::kClosed) continue;
      if (closed_data_tuple_ && record.data_tuple == closed_data_tuple_) {
        // §5.4: the data connection went, so its peer connection did.
        FUZZ_CHECK(record.state != PeerState::kBound);
      }
      FUZZ_CHECK(record.owner.has_value() &&
                 grants_.HasAllocation(*record.owner, now_.mono));
    }
    for (std::string& user : accepted_user_) user.clear();
    rfc6062_request_.reset();
    connected_now_.reset();
    accepted_now_.reset();
    bind_success_.reset();
    closed_data_tuple_.reset();
    closing_bound_.reset();
  }

  // One worker (config_.worker_count 1): every CONNECTION-ID is its own,
  // so nothing is ever handed to another worker.
  void OnCommand(const core::HandOffConnection& /*hand_off*/) {
    FUZZ_CHECK(false);
  }

  void OnCommand(const core::Event& event) {
    if (const auto* verdict = std::get_if<core::AuthVerdict>(&event)) {
      // Who proved the credentials of this step's request (RFC 6062 §5.4
      // binds only with the allocation's).
      if (verdict->outcome == core::AuthOutcome::kAccepted) {
        if (const std::optional<size_t> tuple =
                TupleIndex(verdict->subject.five_tuple)) {
          accepted_user_[*tuple] = verdict->subject.username;
        }
      }
    } else if (const auto* created =
                   std::get_if<core::AllocationCreated>(&event)) {
      const std::optional<size_t> tuple =
          TupleIndex(created->subject.five_tuple);
      FUZZ_CHECK(tuple.has_value());
      Trace("  AllocationCreated on client %zu: %zu relayed, port %u\n", *tuple,
            created->relayed.size(), created->requested_port);
      // RFC 8656 §7.2: one allocation per 5-tuple.
      FUZZ_CHECK(live_created_[*tuple] == 0);
      ++live_created_[*tuple];
      allocation_user_[*tuple] = created->subject.username;
      // Only addresses the runtime reported bound are advertised.
      FUZZ_CHECK(!created->relayed.empty());
      for (const TransportAddress& relayed : created->relayed) {
        FUZZ_CHECK(relays_.IsBoundAddress(relayed));
      }
    } else if (const auto* deleted =
                   std::get_if<core::AllocationDeleted>(&event)) {
      const std::optional<size_t> tuple =
          TupleIndex(deleted->subject.five_tuple);
      FUZZ_CHECK(tuple.has_value());
      Trace("  AllocationDeleted on client %zu\n", *tuple);
      // Only an allocation that was announced is announced gone.
      FUZZ_CHECK(live_created_[*tuple] == 1);
      --live_created_[*tuple];
      grants_.OnAllocationDeleted(now_.mono, *tuple);
    }
  }

  // Shutdown leaves nothing behind: no allocation, no deadline, no socket
  // bound or being opened. Then every abandoned bind is reported bound
  // after all, and each must be closed again.
  void Finish() {
    Trace("shutdown\n");
    grants_.OnShutdown();
    server_->Shutdown(now_);
    Drain();
    server_->CheckInvariants();
    FUZZ_CHECK(server_->allocation_count() == 0);
    FUZZ_CHECK(!server_->NextDeadline().has_value());
    for (int live : live_created_) FUZZ_CHECK(live == 0);
    relays_.CheckAllReleased(/*opens_pending=*/true);
    // RFC 6062: every peer connection and every data connection is closed
    // with its allocation.
    for (uint64_t id : peer_order_) {
      FUZZ_CHECK(peers_.at(id).state == PeerState::kClosed);
    }
    for (bool data : data_tuple_) FUZZ_CHECK(!data);

    const std::vector<core::RelayId> late = relays_.answerable();
    for (core::RelayId id : late) {
      TransportAddress bound;
      bound.ip = RelayIp(relays_.Find(id)->family);
      bound.port = 40000;
      Trace("late answer: relay %u bound\n", id.value);
      relays_.ReportOpened(id, bound);
      server_->HandleRelayOpened(now_, id, bound);
      Drain();
      FUZZ_CHECK(relays_.Find(id)->state == RelayState::kClosed);
    }
    relays_.CheckAllReleased(/*opens_pending=*/false);
  }

  FuzzedDataProvider& in_;
  FuzzSetup setup_;
  FuzzRandom random_;
  FuzzCredentials credentials_;
  AcceptAllAuthenticator authenticator_;
  core::LocalQuotaLedger quotas_;
  core::ServerConfig config_;
  core::PeerFilter filter_;
  GrantBook grants_;
  std::unique_ptr<core::Server> server_;
  core::Now now_ = StartTime();
  std::array<ClientState, kTupleCount> clients_;
  std::array<int, kTupleCount> live_created_{};
  RelayBook relays_;
  std::vector<uint64_t> tokens_;

  // RFC 6062 shadow: every peer connection the server named or was told
  // of, by id, in the order they appeared (picks must not follow hash
  // order); which tuples are spliced data connections; whose credentials
  // created each allocation and proved this step's request.
  absl::flat_hash_map<uint64_t, PeerRecord> peers_;
  std::vector<uint64_t> peer_order_;
  std::vector<uint32_t> numbers_;
  std::array<bool, kTupleCount> data_tuple_{};
  // Action::kDrain happened: no relay may open from now on.
  bool draining_ = false;
  std::array<std::string, kTupleCount> allocation_user_;
  std::array<std::string, kTupleCount> accepted_user_;
  uint64_t next_accepted_id_ = 1000;
  // This step's RFC 6062 request and events.
  std::optional<Rfc6062Request> rfc6062_request_;
  std::optional<uint64_t> connected_now_;
  std::optional<uint64_t> accepted_now_;
  std::optional<size_t> bind_success_;
  std::optional<size_t> closed_data_tuple_;
  std::optional<size_t> closing_bound_;
  core::RelayId accepted_relay_;
};

}  // namespace
}  // namespace turnpike::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  turnpike::fuzz::Driver driver(input);
  driver.Run();
  return 0;
}
