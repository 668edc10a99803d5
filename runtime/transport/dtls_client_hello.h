// The gate in front of every DTLS association: nothing is allocated for a
// datagram from an unknown address unless it starts with a well-formed,
// unfragmented DTLS ClientHello (docs/security.md "TLS and DTLS": why there
// is no stateless cookie exchange, and what bounds the state instead).
#ifndef TURNPIKE_RUNTIME_TRANSPORT_DTLS_CLIENT_HELLO_H_
#define TURNPIKE_RUNTIME_TRANSPORT_DTLS_CLIENT_HELLO_H_

#include <cstdint>

#include "absl/types/span.h"

namespace turnpike::runtime {

// Untrusted: straight from the network. True when the datagram's first
// record is an epoch-0 DTLS handshake record (RFC 6347 §4.1) holding a
// whole ClientHello (§4.2.2) that fits the record and whose body starts
// with a DTLS version: the only datagram that may open an association.
bool IsDtlsClientHello(absl::Span<const uint8_t> datagram);

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_TRANSPORT_DTLS_CLIENT_HELLO_H_
