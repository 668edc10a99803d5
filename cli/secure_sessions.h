// tls:// and dtls:// sessions for every worker: each session is made from
// whatever certificate the holder has when its client connects, so a
// SIGHUP that swaps the holder's context reaches every worker at once.
#ifndef TURNPIKE_CLI_SECURE_SESSIONS_H_
#define TURNPIKE_CLI_SECURE_SESSIONS_H_

#include <memory>

#include "runtime/transport/tls_context.h"
#include "runtime/worker.h"

namespace turnpike::cli {

// Sets config.tls_sessions and config.dtls_sessions to make sessions from
// the returned holder, which starts with `context` and must outlive the
// workers. nullptr (and nothing set) when `context` is nullptr.
std::unique_ptr<runtime::TlsContextHolder> WireSecureSessions(
    std::shared_ptr<const runtime::TlsContext> context,
    runtime::WorkerConfig& config);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_SECURE_SESSIONS_H_
