#include "cli/tls_settings.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/value_parsers.h"
#include "core/util/absl_compat.h"
#include "runtime/transport/tls_context.h"

namespace turnpike::cli {
namespace {

// RFC 8656 §3.1 / RFC 7350 §4.6: the default port of TURN over TLS and DTLS.
constexpr uint16_t kDefaultTlsPort = 5349;
// A handshake longer than a minute is a stalled or hostile client.
constexpr int64_t kMaxHandshakeSeconds = 60;
constexpr uint64_t kMaxDtlsHandshakes = 1'000'000;

bool IsSecure(core::Transport transport) {
  return transport == core::Transport::kTls ||
         transport == core::Transport::kDtls;
}

}  // namespace

absl::Status ApplyTlsCert(std::string_view value, LoadState& state) {
  if (value.empty()) {
    return absl::InvalidArgumentError(
        "the value is empty; give the PEM certificate chain file");
  }
  if (!state.settings.worker.transport.tls) {
    state.settings.worker.transport.tls.emplace();
  }
  state.settings.worker.transport.tls->certificate_chain = std::string(value);
  return absl::OkStatus();
}

absl::Status ApplyTlsKey(std::string_view value, LoadState& state) {
  if (value.empty()) {
    return absl::InvalidArgumentError(
        "the value is empty; give the PEM private key file");
  }
  if (!state.settings.worker.transport.tls) {
    state.settings.worker.transport.tls.emplace();
  }
  state.settings.worker.transport.tls->private_key = std::string(value);
  return absl::OkStatus();
}

absl::Status ApplyTlsHandshakeTimeout(std::string_view value,
                                      LoadState& state) {
  absl::StatusOr<std::chrono::seconds> seconds =
      ParseSeconds(value, kMaxHandshakeSeconds);
  if (!seconds.ok()) return seconds.status();
  state.settings.worker.transport.handshake_timeout = *seconds;
  return absl::OkStatus();
}

absl::Status ApplyMaxDtlsHandshakes(std::string_view value, LoadState& state) {
  absl::StatusOr<uint64_t> count = ParseCount(value, kMaxDtlsHandshakes);
  if (!count.ok()) return count.status();
  if (*count == 0) {
    return absl::InvalidArgumentError(
        "0 would refuse every DTLS client; give at least 1");
  }
  state.settings.worker.transport.max_dtls_handshakes =
      static_cast<uint32_t>(*count);
  return absl::OkStatus();
}

absl::Status FinishTls(LoadState& state, bool listen_given) {
  Settings& settings = state.settings;
  const std::optional<runtime::TlsFiles>& files = settings.worker.transport.tls;
  if (files && files->certificate_chain.empty()) {
    return absl::InvalidArgumentError(
        "tls-key: given without tls-cert; set tls-cert to the certificate "
        "chain file as well");
  }
  if (files && files->private_key.empty()) {
    return absl::InvalidArgumentError(
        "tls-cert: given without tls-key; set tls-key to the certificate's "
        "private key file as well");
  }
  std::vector<runtime::ListenerSpec>& listeners = settings.worker.listeners;
  if (!files) {
    for (const runtime::ListenerSpec& spec : listeners) {
      if (IsSecure(spec.transport)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "listen: ", ToAbsl(core::TransportName(spec.transport)), "://",
            spec.address.ToString(),
            " needs a certificate; set tls-cert and tls-key"));
      }
    }
    return absl::OkStatus();
  }
  // Read through the loader's reader, like every file of the
  // configuration, so a reload re-reads the certificate too.
  absl::StatusOr<std::string> chain = (*state.read)(files->certificate_chain);
  if (!chain.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls-cert: ", chain.status().message(),
                     "; set tls-cert to a readable PEM file"));
  }
  absl::StatusOr<std::string> key = (*state.read)(files->private_key);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls-key: ", key.status().message(),
                     "; set tls-key to a readable PEM file"));
  }
  absl::StatusOr<std::shared_ptr<const runtime::TlsContext>> context =
      runtime::TlsContext::FromPem(*chain, *key, files->certificate_chain,
                                   files->private_key);
  if (!context.ok()) {
    return absl::InvalidArgumentError(context.status().message());
  }
  settings.tls_context = *std::move(context);
  if (!listen_given) {
    // The same families as the UDP defaults, IPv6 again best effort.
    std::vector<runtime::ListenerSpec> secure;
    for (const runtime::ListenerSpec& spec : listeners) {
      if (spec.transport != core::Transport::kUdp) continue;
      for (core::Transport transport :
           {core::Transport::kTls, core::Transport::kDtls}) {
        runtime::ListenerSpec copy = spec;
        copy.address.port = kDefaultTlsPort;
        copy.transport = transport;
        secure.push_back(copy);
      }
    }
    listeners.insert(listeners.end(), secure.begin(), secure.end());
  }
  return absl::OkStatus();
}

}  // namespace turnpike::cli
