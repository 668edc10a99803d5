// Server: construction, dispatch of client messages, STUN Binding (RFC 8489
// §6.3) with RFC 5780's NAT behaviour discovery, the command queue and the
// consistency check. TURN methods live in server_allocate.cc,
// server_permission.cc and server_data.cc; authentication in
// server_auth.cc; timers in server_timers.cc.
#include "core/server.h"

#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/server_internal.h"
#include "core/stun/channel_data.h"
#include "core/stun/message_builder.h"
#include "core/turn/connection_number.h"
#include "core/util/check.h"

namespace turnpike::core {

using internal::kResponseBufferSize;
using stun::AttributeType;
using stun::Method;

std::string_view DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kNotStun:
      return "not_stun";
    case DropReason::kMalformed:
      return "malformed";
    case DropReason::kBadFingerprint:
      return "bad_fingerprint";
    case DropReason::kUnexpectedClass:
      return "unexpected_class";
    case DropReason::kUnknownIndication:
      return "unknown_indication";
    case DropReason::kNoAllocation:
      return "no_allocation";
    case DropReason::kNoPermission:
      return "no_permission";
    case DropReason::kNoChannel:
      return "no_channel";
    case DropReason::kPeerFiltered:
      return "peer_filtered";
    case DropReason::kOwnPort:
      return "own_port";
    case DropReason::kOverBandwidth:
      return "over_bandwidth";
    case DropReason::kBadIndication:
      return "bad_indication";
    case DropReason::kRetransmitPending:
      return "retransmit_pending";
    case DropReason::kTooLarge:
      return "too_large";
    case DropReason::kUnauthenticatedLimited:
      return "unauthenticated_limited";
    case DropReason::kUnauthenticatedTableFull:
      return "unauthenticated_table_full";
    case DropReason::kResponseTooLarge:
      return "response_too_large";
    case DropReason::kRfc3489Unanswered:
      return "rfc3489_unanswered";
    case DropReason::kTcpAllocationData:
      return "tcp_allocation_data";
    case DropReason::kDataConnection:
      return "data_connection";
    case DropReason::kPeerConnectionRefused:
      return "peer_connection_refused";
    case DropReason::kCount:
      break;
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(ServerConfig config,
                                                       Deps deps) {
  if (!deps.random || !deps.credentials || !deps.authenticator ||
      !deps.quotas) {
    return absl::InvalidArgumentError(
        "Server::Create: every collaborator in Deps must be set");
  }
  if (config.software && config.software->size() > stun::kMaxSoftwareBytes) {
    return absl::InvalidArgumentError(
        "software: at most 763 bytes (RFC 8489 §14.14); shorten it or leave "
        "it unset");
  }
  if (config.max_channel_number != stun::kMaxChannelNumber &&
      config.max_channel_number != stun::kMaxRfc5766ChannelNumber) {
    return absl::InvalidArgumentError(
        "max_channel_number: 0x4FFF (RFC 8656 §12) or 0x7FFF (RFC 5766 §11)");
  }
  if (config.realm.empty() || config.realm.size() > stun::kMaxRealmBytes) {
    return absl::InvalidArgumentError(
        "realm: must be 1 to 763 bytes (RFC 8489 §14.9)");
  }
  // Issue 13: every response fits its buffer by construction.
  if (absl::Status fits = CheckResponseBudget(config); !fits.ok()) {
    return fits;
  }
  const auto& algorithms = config.password_algorithms;
  if (algorithms.empty() || algorithms.size() > 2 ||
      (algorithms.size() == 2 && algorithms[0] == algorithms[1])) {
    return absl::InvalidArgumentError(
        "password-algorithms: offer md5, sha256 or both, each once");
  }
  if (config.bandwidth_bytes_per_second > turn::TokenBucket::kMaxRate) {
    return absl::InvalidArgumentError(
        "bandwidth: at most 1099511627776 bytes per second (1 TiB/s); use 0 "
        "for unlimited");
  }
  if (config.unauthenticated_sets == 0 ||
      (config.unauthenticated_sets & (config.unauthenticated_sets - 1)) != 0 ||
      config.unauthenticated_sets > (size_t{1} << 20)) {
    return absl::InvalidArgumentError(
        "unauthenticated_sets: a power of two from 1 to 1048576");
  }
  if (config.unauthenticated_rate > 1'000'000) {
    return absl::InvalidArgumentError(
        "unauthenticated-rate: at most 1000000 answers per second per "
        "source; use 0 for unlimited");
  }
  if (config.default_lifetime <= Duration::zero() ||
      config.max_lifetime < config.default_lifetime) {
    return absl::InvalidArgumentError(
        "lifetimes: default-lifetime must be positive and at most "
        "max-lifetime");
  }
  if (config.peer_connect_timeout < std::chrono::seconds(30)) {
    return absl::InvalidArgumentError(
        "peer_connect_timeout: at least 30 s (RFC 6062 §5.2)");
  }
  if (config.connection_bind_timeout <= Duration::zero()) {
    return absl::InvalidArgumentError(
        "connection_bind_timeout: must be positive (RFC 6062 §5.2: 30 s)");
  }
  if (config.worker_count == 0 ||
      config.worker_count > turn::kMaxConnectionWorkers ||
      config.worker_index >= config.worker_count) {
    return absl::InvalidArgumentError(
        "workers: 1 to 256 workers, and worker_index below worker_count");
  }
  if (config.nonce_lifetime <= Duration::zero()) {
    return absl::InvalidArgumentError("nonce-lifetime: must be positive");
  }
  if (!config.relay_ipv4 && !config.relay_ipv6) {
    return absl::InvalidArgumentError(
        "relay addresses: configure at least one relay address family");
  }
  if (config.own_addresses.relay_min_port == 0 ||
      config.own_addresses.relay_min_port >
          config.own_addresses.relay_max_port) {
    return absl::InvalidArgumentError(
        "relay ports: give 1 <= min-port <= max-port (default 49152-65535)");
  }
  if (config.alternate_domain &&
      (config.alternate_domain->empty() ||
       config.alternate_domain->size() >= stun::kMaxAlternateDomainBytes)) {
    return absl::InvalidArgumentError(
        "alternate-domain: a DNS name of 1 to 254 bytes (RFC 8489 §14.16)");
  }
  if (config.nat_discovery) {
    if (absl::Status s = CheckNatDiscoveryListeners(config.listeners);
        !s.ok()) {
      return s;
    }
  }
  // RFC 8489 §9.2: advertise the password-algorithms and username-anonymity
  // features in the nonce cookie; the nonce key never leaves the process.
  auth::NonceCodec::Key key;
  if (config.nonce_key) {
    key = *config.nonce_key;
  } else {
    deps.random->Fill(absl::MakeSpan(key));
  }
  auth::NonceCodec nonces(
      key, config.nonce_lifetime,
      auth::kFeaturePasswordAlgorithms | auth::kFeatureUsernameAnonymity);
  // The limiter's hash key is derived from the nonce key rather than drawn,
  // so adding it changed no Random draw the tests pin down; SHA-256 keeps
  // the two keys independent.
  static constexpr char kLabel[] = "turnpike unauthenticated limiter";
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256_CTX sha;
  SHA256_Init(&sha);
  SHA256_Update(&sha, kLabel, sizeof(kLabel) - 1);
  SHA256_Update(&sha, key.data(), key.size());
  SHA256_Final(digest, &sha);
  std::array<uint64_t, 2> limiter_key{};
  std::memcpy(limiter_key.data(), digest, sizeof(limiter_key));
  return std::unique_ptr<Server>(
      new Server(std::move(config), deps, std::move(nonces), limiter_key));
}

namespace {

std::vector<TransportAddress> ListenerAddresses(const ServerConfig& config) {
  std::vector<TransportAddress> out;
  for (const ListenerConfig& l : config.listeners) out.push_back(l.address);
  return out;
}

}  // namespace

Server::Server(ServerConfig config, Deps deps, auth::NonceCodec nonces,
               std::array<uint64_t, 2> limiter_key)
    : config_(std::move(config)),
      deps_(deps),
      nonces_(std::move(nonces)),
      peer_filter_(config_.peer_rules),
      self_addresses_(config_.own_addresses, ListenerAddresses(config_)),
      unauthenticated_limiter_(
          {config_.unauthenticated_rate, config_.unauthenticated_burst},
          config_.unauthenticated_sets, limiter_key),
      table_({config_.max_channel_number,
              config_.max_permissions_per_allocation,
              config_.max_channels_per_allocation,
              config_.max_connections_per_allocation}) {
  uint8_t seed[8];
  deps_.random->Fill(absl::MakeSpan(seed));
  for (uint8_t b : seed) indication_counter_ = indication_counter_ << 8 | b;
}

Server::~Server() = default;

void Server::SetPeerRules(PeerFilterRules rules) {
  config_.peer_rules = rules;
  // The data path's cached verdicts compare against the new generation.
  peer_filter_.Replace(std::move(rules));
}

absl::Status Server::SetListeners(std::vector<ListenerConfig> listeners,
                                  SelfAddressConfig own) {
  if (config_.nat_discovery) {
    if (absl::Status s = CheckNatDiscoveryListeners(listeners); !s.ok()) {
      return s;
    }
  }
  config_.listeners = std::move(listeners);
  config_.own_addresses = std::move(own);
  self_addresses_ =
      SelfAddresses(config_.own_addresses, ListenerAddresses(config_));
  return absl::OkStatus();
}

size_t Server::AllocationsOnListener(ListenerId listener) const {
  size_t count = 0;
  for (turn::AllocationId id : table_.IdsInOrder()) {
    if (table_.Get(id).five_tuple.listener == listener) ++count;
  }
  return count;
}

std::optional<Command> Server::PollCommand() {
  if (commands_.empty()) return std::nullopt;
  Command command = std::move(commands_.front());
  commands_.pop_front();
  return command;
}

std::optional<MonoTime> Server::NextDeadline() const {
  return table_.NextDeadline();
}

void Server::Drop(DropReason reason) {
  ++stats_.drops[static_cast<size_t>(reason)];
}

void Server::Emit(Event event) { commands_.push_back(std::move(event)); }

EventSubject Server::SubjectOf(const turn::Allocation& allocation) {
  return {allocation.five_tuple, allocation.username, allocation.realm};
}

std::optional<Forward> Server::HandleClientMessage(
    const Now& now, const FiveTuple& from, absl::Span<const uint8_t> message) {
  ExpireDue(now);
  // RFC 6062 §5.4: after ConnectionBind a data connection carries the
  // peer's bytes, never STUN; what still reaches the core (bytes the
  // runtime framed before it spliced) is not the client's to command.
  if (table_.HasDataConnections() && from.connection.valid() &&
      table_.FindByDataConnection(from.connection)) {
    Drop(DropReason::kDataConnection);
    return std::nullopt;
  }
  // RFC 8656 §12: the first two bits tell ChannelData (01) from STUN (00).
  if (!message.empty() && stun::LooksLikeChannelData(message[0])) {
    return HandleChannelData(now, from, message);
  }
  std::optional<Forward> forward;
  Expected<stun::MessageView, stun::ParseFailure> parsed =
      stun::MessageView::Parse(message);
  if (!parsed.ok()) {
    const stun::ParseFailure& failure = parsed.error();
    switch (failure.error) {
      case stun::ParseError::kBadFingerprint:
        // RFC 8489 §7.3: a FINGERPRINT mismatch means "not STUN": discard.
        Drop(DropReason::kBadFingerprint);
        return std::nullopt;
      case stun::ParseError::kMalformedAttribute:
      case stun::ParseError::kAttributeOverrun:
      case stun::ParseError::kFingerprintNotLast:
        // The header is sound, so a request can be told it was malformed
        // (RFC 8489 §6.3.1.1: 400 Bad Request).
        if (failure.header && failure.header->IsRequest()) {
          RespondError(from, *failure.header, stun::error_code::kBadRequest,
                       {});
          return std::nullopt;
        }
        Drop(DropReason::kMalformed);
        return std::nullopt;
      case stun::ParseError::kBadMagicCookie:
        // RFC 8489 §12.2: no cookie may be an RFC 3489 client's Binding.
        if (Expected<stun::MessageView, stun::ParseFailure> classic =
                stun::MessageView::ParseRfc3489BindingRequest(message);
            classic.ok()) {
          ++stats_.requests[ServerStats::MethodSlot(classic->method())];
          HandleRfc3489Binding(from, *classic);
          return std::nullopt;
        }
        Drop(DropReason::kNotStun);
        return std::nullopt;
      default:
        // RFC 8489 §6.3: header checks failing means silent discard.
        Drop(failure.header ? DropReason::kMalformed : DropReason::kNotStun);
        return std::nullopt;
    }
  }
  const stun::MessageView& msg = *parsed;
  const size_t slot = ServerStats::MethodSlot(msg.method());
  switch (msg.message_class()) {
    case stun::MessageClass::kRequest:
      ++stats_.requests[slot];
      HandleRequest(now, from, msg);
      break;
    case stun::MessageClass::kIndication:
      ++stats_.indications[slot];
      if (!msg.unknown_comprehension_required().empty()) {
        // RFC 8489 §6.3.2: an indication with an unknown comprehension-
        // required attribute is discarded; it has no error to answer with.
        Drop(DropReason::kBadIndication);
      } else if (msg.method() == static_cast<uint16_t>(Method::kSend)) {
        forward = HandleSendIndication(now, from, msg);
      } else if (msg.method() != static_cast<uint16_t>(Method::kBinding)) {
        // RFC 8489 §6.3.2: a Binding indication needs no answer (it keeps
        // NAT bindings alive); any other is not for a server.
        Drop(DropReason::kUnknownIndication);
      }
      break;
    case stun::MessageClass::kSuccessResponse:
    case stun::MessageClass::kErrorResponse:
      // A server sends no requests to clients, so no response is expected.
      Drop(DropReason::kUnexpectedClass);
      break;
  }
  return forward;
}

void Server::HandleRequest(const Now& now, const FiveTuple& from,
                           const stun::MessageView& request) {
  const Protection unauthenticated{
      {}, false, request.Fingerprint().has_value()};
  // RFC 8489 §6.3.1.1: unknown comprehension-required attributes → 420.
  if (!request.unknown_comprehension_required().empty()) {
    RespondError(from, request.header(), stun::error_code::kUnknownAttribute,
                 unauthenticated, request.unknown_comprehension_required());
    return;
  }
  const auto method = static_cast<Method>(request.method());
  if (method == Method::kBinding) {
    HandleBinding(from, request);
    return;
  }
  if (method != Method::kAllocate && method != Method::kRefresh &&
      method != Method::kCreatePermission && method != Method::kChannelBind &&
      method != Method::kConnect && method != Method::kConnectionBind) {
    // RFC 8489 §6.3.1.1 does not name a code for an unknown method; 400 is
    // what RFC 5389 servers send and clients expect.
    RespondError(from, request.header(), stun::error_code::kBadRequest,
                 unauthenticated);
    return;
  }
  // RFC 6062 §5.4: ConnectionBind only over TCP or TLS; said before
  // authenticating, since no credential changes the answer.
  if (method == Method::kConnectionBind && !IsStream(from.transport)) {
    RespondError(from, request.header(), stun::error_code::kBadRequest,
                 unauthenticated);
    return;
  }
  std::optional<RequestContext> ctx = Authenticate(now, from, request);
  if (!ctx) return;
  switch (method) {
    case Method::kAllocate:
      HandleAllocate(now, *ctx);
      break;
    case Method::kRefresh:
      HandleRefresh(now, *ctx);
      break;
    case Method::kCreatePermission:
      HandleCreatePermission(now, *ctx);
      break;
    case Method::kChannelBind:
      HandleChannelBind(now, *ctx);
      break;
    case Method::kConnect:
      HandleConnect(now, *ctx);
      break;
    case Method::kConnectionBind:
      HandleConnectionBind(now, *ctx);
      break;
    default:
      break;
  }
}

namespace {

const ListenerConfig* FindListener(absl::Span<const ListenerConfig> listeners,
                                   ListenerId id) {
  for (const ListenerConfig& l : listeners) {
    if (l.id == id) return &l;
  }
  return nullptr;
}

// RFC 5780 §4.1: the listener of the same transport and family on the
// other IP and/or the other port relative to `own`.
const ListenerConfig* FindPartner(absl::Span<const ListenerConfig> listeners,
                                  const ListenerConfig& own, bool change_ip,
                                  bool change_port) {
  for (const ListenerConfig& l : listeners) {
    if (l.transport != own.transport ||
        l.address.ip.family() != own.address.ip.family()) {
      continue;
    }
    if ((l.address.ip != own.address.ip) == change_ip &&
        (l.address.port != own.address.port) == change_port) {
      return &l;
    }
  }
  return nullptr;
}

}  // namespace

absl::Status CheckNatDiscoveryListeners(
    absl::Span<const ListenerConfig> listeners) {
  // RFC 5780 §4.1: two IPs and two ports, so every listener has its
  // change-port, change-IP and change-both partners.
  if (listeners.empty()) {
    return absl::InvalidArgumentError(
        "nat-discovery: no listener; RFC 5780 §4.1 needs two IPs, each "
        "listening on the same two ports");
  }
  for (const ListenerConfig& l : listeners) {
    for (const auto& [ip, port] :
         {std::pair{false, true}, std::pair{true, false},
          std::pair{true, true}}) {
      if (FindPartner(listeners, l, ip, port) != nullptr) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          "nat-discovery: listener ", l.address.ToString(), " has no partner ",
          ip ? "on a second IP" : "", ip && port ? " and " : "",
          port ? "on a second port" : "",
          "; RFC 5780 §4.1 needs two IPs, each listening on the same two "
          "ports: give four listen addresses, e.g. --listen 192.0.2.1:3478 "
          "--listen 192.0.2.1:3479 --listen 192.0.2.2:3478 --listen "
          "192.0.2.2:3479"));
    }
  }
  return absl::OkStatus();
}

void Server::HandleBinding(const FiveTuple& from,
                           const stun::MessageView& request) {
  const Protection protection{{}, false, request.Fingerprint().has_value()};
  std::optional<stun::ChangeRequestValue> change = request.ChangeRequest();
  std::optional<uint16_t> response_port = request.ResponsePort();
  const ListenerConfig* own =
      config_.nat_discovery ? FindListener(config_.listeners, from.listener)
                            : nullptr;
  if (!own) {
    // Without RFC 5780 these comprehension-required attributes are not
    // understood (RFC 5780 §7.2, §7.5): 420 lists them.
    absl::InlinedVector<uint16_t, 2> unknown;
    if (change)
      unknown.push_back(static_cast<uint16_t>(AttributeType::kChangeRequest));
    if (response_port) {
      unknown.push_back(static_cast<uint16_t>(AttributeType::kResponsePort));
    }
    if (!unknown.empty()) {
      RespondError(from, request.header(), stun::error_code::kUnknownAttribute,
                   protection, unknown);
      return;
    }
  }

  // RFC 5780 §6.1: CHANGE-REQUEST picks the listener the answer leaves from.
  FiveTuple reply_to = from;
  const ListenerConfig* origin = own;
  if (own && change && (change->change_ip || change->change_port)) {
    origin = FindPartner(config_.listeners, *own, change->change_ip,
                         change->change_port);
    if (!origin) {
      static constexpr uint16_t kChangeRequest[] = {
          static_cast<uint16_t>(AttributeType::kChangeRequest)};
      RespondError(from, request.header(), stun::error_code::kUnknownAttribute,
                   protection, kChangeRequest);
      return;
    }
    reply_to.listener = origin->id;
  }
  // RFC 5780 §7.5: RESPONSE-PORT sends the answer to another port of the
  // client's IP (never another IP, so it reflects nothing elsewhere).
  if (own && response_port) reply_to.client.port = *response_port;

  std::array<uint8_t, kResponseBufferSize> buffer;
  stun::MessageBuilder response(absl::MakeSpan(buffer),
                                stun::MessageClass::kSuccessResponse,
                                Method::kBinding, request.transaction_id());
  // RFC 8489 §7.3.1: the reflexive address, XOR'ed (§14.2).
  response.AddXorAddress(AttributeType::kXorMappedAddress, from.client);
  if (own) {
    // RFC 5780 §7.3, §7.4.
    if (const ListenerConfig* other =
            FindPartner(config_.listeners, *own, true, true)) {
      response.AddAddress(AttributeType::kOtherAddress, other->address);
    }
    response.AddAddress(AttributeType::kResponseOrigin, origin->address);
    // RFC 5780 §7.6: PADDING asks for a response of the same size; we pad
    // no further than the request came, so nothing is amplified, and no
    // further than the buffer holds beside what SendResponse adds after
    // it (PADDING is best effort: a shorter one still answers).
    if (std::optional<absl::Span<const uint8_t>> padding = request.Padding()) {
      static constexpr std::array<uint8_t, kResponseBufferSize> kZeros{};
      const size_t reserved =
          stun::kAttributeHeaderSize +
          ResponseTrailerSize(internal::SoftwareSize(config_));
      const size_t room = response.room() > reserved
                              ? (response.room() - reserved) & ~size_t{3}
                              : 0;
      const size_t size = std::min(
          {padding->size(), kZeros.size(), request.bytes().size(), room});
      response.AddBytes(AttributeType::kPadding,
                        absl::MakeConstSpan(kZeros.data(), size));
    }
  }
  SendResponse(reply_to, response, protection);
}

// RFC 8489 §12.2 with RFC 3489 §8.2 and §11.2: a Binding request without
// the magic cookie. The answer has MAPPED-ADDRESS (RFC 3489 knew no XOR),
// echoes the 16-byte transaction ID (cookie field included), and with NAT
// discovery on carries RFC 3489's SOURCE-ADDRESS and CHANGED-ADDRESS (the
// values RFC 5780 §7.3/§7.4 calls RESPONSE-ORIGIN and OTHER-ADDRESS) and
// honours CHANGE-REQUEST as HandleBinding does. Nothing is answered with an
// error: RFC 3489 clients (Vovida's `stun` among them) do not look at the
// class of an answer, so a 420 to "change IP and port" would tell them their
// NAT is open; silence tells them the truth, that no such answer came.
void Server::HandleRfc3489Binding(const FiveTuple& from,
                                  const stun::MessageView& request) {
  // RFC 3489 §11.1: SOURCE-ADDRESS and CHANGED-ADDRESS (0x0004, 0x0005)
  // are not in RFC 8489's registry under these names, only as reserved.
  constexpr auto kSourceAddress = static_cast<AttributeType>(0x0004);
  constexpr auto kChangedAddress = static_cast<AttributeType>(0x0005);
  if (!request.unknown_comprehension_required().empty()) {
    // RESPONSE-ADDRESS (0x0002), which would reflect answers to any
    // address, PASSWORD and the like: RFC 8489 §12.2 supports none.
    Drop(DropReason::kRfc3489Unanswered);
    return;
  }
  const ListenerConfig* own =
      config_.nat_discovery ? FindListener(config_.listeners, from.listener)
                            : nullptr;
  const ListenerConfig* origin = own;
  FiveTuple reply_to = from;
  if (std::optional<stun::ChangeRequestValue> change = request.ChangeRequest();
      change && (change->change_ip || change->change_port)) {
    // RFC 5780 §6.1 (RFC 3489 §8.2): the answer leaves from the partner
    // listener; without NAT discovery there is none to leave from.
    origin = own ? FindPartner(config_.listeners, *own, change->change_ip,
                               change->change_port)
                 : nullptr;
    if (!origin) {
      Drop(DropReason::kRfc3489Unanswered);
      return;
    }
    reply_to.listener = origin->id;
  }

  std::array<uint8_t, kResponseBufferSize> buffer;
  stun::MessageBuilder response(absl::MakeSpan(buffer),
                                stun::MessageClass::kSuccessResponse,
                                Method::kBinding, request.transaction_id());
  response.SetCookieField(request.rfc3489_cookie_field());
  response.AddAddress(AttributeType::kMappedAddress, from.client);
  if (own) {
    response.AddAddress(kSourceAddress, origin->address);
    if (const ListenerConfig* other =
            FindPartner(config_.listeners, *own, true, true)) {
      response.AddAddress(kChangedAddress, other->address);
    }
  }
  // No SOFTWARE or FINGERPRINT: RFC 3489 defines neither.
  SendResponse(
      reply_to, response,
      Protection{{}, false, /*fingerprint=*/false, /*software=*/false});
}

void Server::HandleConnectionClosed(const Now& now,
                                    const FiveTuple& five_tuple) {
  ExpireDue(now);
  // RFC 8656 §3.2: on stream transports the allocation lives as long as
  // its connection.
  if (turn::Allocation* allocation = FindAllocation(five_tuple)) {
    DeleteAllocation(*allocation, DeleteReason::kConnectionClosed);
    return;
  }
  // RFC 6062 §5.4: a client data connection goes with its peer connection.
  if (five_tuple.connection.valid()) {
    if (turn::PeerConnection* bound =
            table_.FindByDataConnection(five_tuple.connection)) {
      commands_.push_back(CloseConnection{bound->peer});
      table_.ErasePeerConnection(bound->number);
    }
  }
}

void Server::Shutdown(const Now& /*now*/) {
  // In id order, not hash order, so the events come out the same every run.
  for (turn::AllocationId id : table_.IdsInOrder()) {
    DeleteAllocation(table_.Get(id), DeleteReason::kShutdown);
  }
  for (uint64_t token : table_.ReservationTokensInOrder()) {
    DropReservation(token);
  }
}

void Server::CheckInvariants() const { table_.CheckInvariants(); }

}  // namespace turnpike::core
