// The embedded default never runs open: with no user and no REST secret
// configured, turnpike makes up one credential at start and prints it once,
// with a ready-to-paste turn: URL and RTCPeerConnection iceServers entry.
#ifndef TURNPIKE_CLI_GENERATED_CREDENTIAL_H_
#define TURNPIKE_CLI_GENERATED_CREDENTIAL_H_

#include <string>
#include <utility>
#include <vector>

#include "core/deps.h"
#include "core/net/transport_address.h"
#include "core/types.h"

namespace turnpike::cli {

// Username "turnpike" and a 24-character password of letters and digits
// (about 143 bits) drawn from `random`.
core::Credential GenerateCredential(core::Random& random);

// A listener as clients reach it: its transport and an address clients
// can use (a wildcard already replaced by a host address).
using ClientFacingListener = std::pair<core::Transport, TransportAddress>;

// RFC 7065 §3.1: turn:HOST:PORT?transport=udp|tcp, turns:…?transport=tcp
// for TLS and turns:…?transport=udp for DTLS.
std::string TurnUrl(core::Transport transport, const TransportAddress& server);

// The text printed once at start: every listener's URL, and an
// RTCPeerConnection iceServers entry with those a browser can use (all but
// DTLS, which browsers do not speak).
std::string CredentialBanner(const core::Credential& credential,
                             const std::vector<ClientFacingListener>& servers);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_GENERATED_CREDENTIAL_H_
