#include "core/types.h"

namespace turnpike::core {

std::string_view TransportName(Transport transport) {
  switch (transport) {
    case Transport::kUdp:
      return "udp";
    case Transport::kTcp:
      return "tcp";
    case Transport::kTls:
      return "tls";
    case Transport::kDtls:
      return "dtls";
  }
  return "?";
}

}  // namespace turnpike::core
