#include "cli/secure_sessions.h"

#include <utility>

#include "runtime/transport/tls_session.h"

namespace turnpike::cli {

std::unique_ptr<runtime::TlsContextHolder> WireSecureSessions(
    std::shared_ptr<const runtime::TlsContext> context,
    runtime::WorkerConfig& config) {
  if (context == nullptr) return nullptr;
  auto holder = std::make_unique<runtime::TlsContextHolder>(std::move(context));
  for (const auto framing :
       {runtime::SecureFraming::kStream, runtime::SecureFraming::kDatagram}) {
    auto factory = [holder = holder.get(), framing](runtime::RecordSink& sink)
        -> std::unique_ptr<runtime::SecureSession> {
      return runtime::TlsSession::NewServer(*holder->current(), framing, sink);
    };
    (framing == runtime::SecureFraming::kStream ? config.tls_sessions
                                                : config.dtls_sessions) =
        factory;
  }
  return holder;
}

}  // namespace turnpike::cli
