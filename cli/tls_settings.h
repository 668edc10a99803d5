// The TLS and DTLS options (tls-cert, tls-key, tls-handshake-timeout,
// max-dtls-handshakes) and the start-up checks that involve them: a
// tls:// or dtls:// listener needs a certificate, the certificate and key
// must load, and with a certificate but no listen option the default also
// listens tls:// and dtls:// on 5349 (RFC 8656 §3.1's TURNS port, as
// coturn does). The option table (option_table.cc) points at the Apply
// functions here.
#ifndef TURNPIKE_CLI_TLS_SETTINGS_H_
#define TURNPIKE_CLI_TLS_SETTINGS_H_

#include <string_view>

#include "absl/status/status.h"
#include "cli/load_state.h"

namespace turnpike::cli {

absl::Status ApplyTlsCert(std::string_view value, LoadState& state);
absl::Status ApplyTlsKey(std::string_view value, LoadState& state);
absl::Status ApplyTlsHandshakeTimeout(std::string_view value,
                                      LoadState& state);
absl::Status ApplyMaxDtlsHandshakes(std::string_view value, LoadState& state);

// After every option is in and the default listeners are set: loads the
// certificate through `state.read` into settings.tls_context, adds the
// tls:// and dtls:// defaults when `listen_given` is false, and refuses a
// tls:// or dtls:// listener without a certificate.
absl::Status FinishTls(LoadState& state, bool listen_given);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_TLS_SETTINGS_H_
