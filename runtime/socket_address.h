// Conversion between the core's TransportAddress and the socket API's
// sockaddr. It lives here because core/ may not include socket headers.
#ifndef TURNPIKE_RUNTIME_SOCKET_ADDRESS_H_
#define TURNPIKE_RUNTIME_SOCKET_ADDRESS_H_

#include <sys/socket.h>

#include <optional>

#include "core/net/transport_address.h"

namespace turnpike::runtime {

// Fills `out` with a sockaddr_in or sockaddr_in6 and returns its length.
// IPv6 addresses get scope id 0: TransportAddress carries none, so link-local
// peers are not reachable through this conversion.
socklen_t ToSockaddr(const TransportAddress& address, sockaddr_storage* out);

// The address in `addr`, or nullopt for a family other than AF_INET/AF_INET6.
// An IPv4-mapped IPv6 address stays IPv6: listeners are IPV6_V6ONLY, so one
// never arrives from the kernel, and rewriting it would change the 5-tuple.
std::optional<TransportAddress> FromSockaddr(const sockaddr* addr);

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_SOCKET_ADDRESS_H_
