// The embedded default never runs open: with no user and no REST secret
// configured, turnpike makes up one credential at start and prints it once,
// with a ready-to-paste turn: URL and RTCPeerConnection iceServers entry.
#ifndef TURNPIKE_CLI_GENERATED_CREDENTIAL_H_
#define TURNPIKE_CLI_GENERATED_CREDENTIAL_H_

#include <string>
#include <vector>

#include "core/deps.h"
#include "core/net/transport_address.h"

namespace turnpike::cli {

// Username "turnpike" and a 24-character password of letters and digits
// (about 143 bits) drawn from `random`.
core::Credential GenerateCredential(core::Random& random);

// The text printed once at start. `servers` are the addresses clients
// should use (wildcard listeners already replaced by a host address).
std::string CredentialBanner(const core::Credential& credential,
                             const std::vector<TransportAddress>& servers);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_GENERATED_CREDENTIAL_H_
