// Listening sockets ask for 4 MiB buffers unless configured (the end-to-end
// benchmark lost packets at the system's 208 KiB default); the kernel caps
// the request at net.core.rmem_max / wmem_max, so that is what to expect
// where the cap is lower.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>

#include "core/auth/static_credential_store.h"
#include "core/policy/local_quota_ledger.h"
#include "runtime/system_random.h"
#include "runtime/worker.h"

namespace turnpike::testing {
namespace {

int ReadSysctl(const std::string& path) {
  std::ifstream in(path);
  int value = 0;
  in >> value;
  REQUIRE_MESSAGE(in, "cannot read " << path);
  return value;
}

struct Fixture {
  absl::StatusOr<core::auth::StaticCredentialStore> users =
      core::auth::StaticCredentialStore::Create("turnpike", {});
  runtime::SystemRandom random;
  core::HmacAuthenticator authenticator;
  core::LocalQuotaLedger quotas;

  std::unique_ptr<runtime::Worker> Start(runtime::UdpSocketOptions udp) {
    runtime::WorkerConfig config;
    config.listeners = {{*TransportAddress::Parse("127.0.0.1:0"), false}};
    config.relay.ipv4 =
        runtime::RelayAddress{*IpAddress::Parse("127.0.0.1"), std::nullopt};
    config.udp = udp;
    config.handle_signals = false;
    auto worker = runtime::Worker::Create(
        config, core::Deps{&random, &*users, &authenticator, &quotas});
    REQUIRE_MESSAGE(worker.ok(), worker.status().ToString());
    return *std::move(worker);
  }
};

TEST_CASE(
    "listening sockets get 4 MiB buffers by default, capped by the kernel") {
  Fixture f;
  const int receive_cap = ReadSysctl("/proc/sys/net/core/rmem_max");
  const int send_cap = ReadSysctl("/proc/sys/net/core/wmem_max");
  auto worker = f.Start({});
  const auto sizes = worker->listener_buffer_bytes();
  REQUIRE(sizes.size() == 1);
  CHECK(sizes[0].first == std::min(4 << 20, receive_cap));
  CHECK(sizes[0].second == std::min(4 << 20, send_cap));
}

TEST_CASE("a configured buffer size wins over the listeners' default") {
  Fixture f;
  runtime::UdpSocketOptions udp;
  udp.receive_buffer_bytes = 64 << 10;
  udp.send_buffer_bytes = 96 << 10;
  auto worker = f.Start(udp);
  const auto sizes = worker->listener_buffer_bytes();
  REQUIRE(sizes.size() == 1);
  CHECK(sizes[0].first == 64 << 10);
  CHECK(sizes[0].second == 96 << 10);
}

}  // namespace
}  // namespace turnpike::testing
