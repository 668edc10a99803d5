// What each option does to the Settings.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "tests/cli/fake_inputs.h"
#include "tests/transport/test_certificate.h"

namespace turnpike::cli {
namespace {

using testing::ErrorOf;
using testing::FakeFiles;
using testing::Load;

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.rfind(prefix, 0) == 0;
}

TEST_CASE("booleans: bare flag, =VALUE, bare file line, env words") {
  // (nat-discovery would also need four listen addresses, so log-json.)
  const auto json = [](const absl::StatusOr<Settings>& s) {
    REQUIRE(s.ok());
    return s->log.format == runtime::LogFormat::kJson;
  };
  CHECK(json(Load({"--log-json"})));
  CHECK_FALSE(json(Load({"--log-json=no"})));
  CHECK(json(Load({"--log-json=YES"})));
  // A bare switch does not swallow the next argument.
  absl::StatusOr<Settings> s = Load({"--log-json", "--listen", "127.0.0.1:5"});
  REQUIRE(s.ok());
  CHECK(s->log.format == runtime::LogFormat::kJson);
  CHECK(s->worker.listeners.size() == 1);

  const FileReader read =
      FakeFiles({{"a.conf", "log-json\n"}, {"b.conf", "log-json = off\n"}});
  CHECK(json(Load({"-f", "a.conf"}, {}, read)));
  CHECK_FALSE(json(Load({"-f", "b.conf"}, {}, read)));
  for (const char* word : {"true", "yes", "on", "1"}) {
    CHECK(Load({}, {{"TURNPIKE_LOG_JSON", word}})->log.format ==
          runtime::LogFormat::kJson);
  }
  for (const char* word : {"false", "no", "off", "0"}) {
    CHECK_FALSE(Load({}, {{"TURNPIKE_LOG_JSON", word}})->log.format ==
                runtime::LogFormat::kJson);
  }
  // The flag beats the environment for switches too.
  CHECK_FALSE(
      Load({"--log-json=false"}, {{"TURNPIKE_LOG_JSON", "1"}})->log.format ==
      runtime::LogFormat::kJson);
  CHECK(ErrorOf(Load({}, {{"TURNPIKE_NAT_DISCOVERY", "maybe"}})) ==
        "TURNPIKE_NAT_DISCOVERY: 'maybe' is not a boolean; write true or "
        "false (yes/no, on/off and 1/0 work too)");
}

TEST_CASE("help, version, check-config, foreground and debug switches") {
  CHECK(Load({"-h"})->help);
  CHECK(Load({"--help"})->help);
  CHECK(Load({"--check-config"})->check_config);
  CHECK(Load({"-n"}).ok());  // restund's flag, accepted and ignored
  CHECK(Load({}, {{"TURNPIKE_FOREGROUND", "yes"}}).ok());
  CHECK(Load({"-d"})->log.level == runtime::LogLevel::kDebug);
  // debug wins over log-level whatever their sources.
  CHECK(Load({"--log-level", "error"}, {{"TURNPIKE_DEBUG", "1"}})->log.level ==
        runtime::LogLevel::kDebug);
  CHECK(Load({"--log-level", "warning"})->log.level ==
        runtime::LogLevel::kWarning);
}

TEST_CASE("logging and event output are carried") {
  absl::StatusOr<Settings> s =
      Load({"--log-destination", "syslog", "--syslog-facility", "LOCAL3",
            "--event-output", "-"});
  REQUIRE(s.ok());
  CHECK(s->log.destination == runtime::LogDestination::kSyslog);
  CHECK(s->log.syslog_facility == "local3");
  CHECK(s->event_output == "-");
}

TEST_CASE("peer-allow and peer-deny become CIDR rules in order") {
  absl::StatusOr<Settings> s =
      Load({"--peer-allow", "10.1.2.3", "--peer-allow", "fc00::/7"},
           {{"TURNPIKE_PEER_DENY", "198.51.100.0/24"}});
  REQUIRE(s.ok());
  const core::PeerFilterRules& rules = s->worker.server.peer_rules;
  REQUIRE(rules.allow.size() == 2);
  CHECK(rules.allow[0].ToString() == "10.1.2.3/32");
  CHECK(rules.allow[1].ToString() == "fc00::/7");
  REQUIRE(rules.deny.size() == 1);
  CHECK(rules.deny[0].ToString() == "198.51.100.0/24");
  CHECK(rules.deny_special_ranges);
  CHECK(StartsWith(ErrorOf(Load({"--peer-allow", "10.1.0.0/8"})),
                   "--peer-allow: '10.1.0.0/8' is not an address prefix"));
}

TEST_CASE("relay-ip: the first address of each family, no wildcard") {
  absl::StatusOr<Settings> s =
      Load({"--relay-ip", "192.0.2.1", "--relay-ip", "2001:db8::1"});
  REQUIRE(s.ok());
  CHECK_FALSE(s->relay_auto);
  REQUIRE(s->worker.relay.ipv4.has_value());
  CHECK(s->worker.relay.ipv4->bind == Ip("192.0.2.1"));
  CHECK_FALSE(s->worker.relay.ipv4->external.has_value());
  REQUIRE(s->worker.relay.ipv6.has_value());
  CHECK(s->worker.relay.ipv6->bind == Ip("2001:db8::1"));

  CHECK(s->worker.relay.more.empty());
  CHECK(StartsWith(ErrorOf(Load({"--relay-ip", "0.0.0.0"})),
                   "--relay-ip: 0.0.0.0 is a wildcard"));
  CHECK(StartsWith(ErrorOf(Load({}, {{"TURNPIKE_RELAY_IP", "::"}})),
                   "TURNPIKE_RELAY_IP: :: is a wildcard"));
  CHECK(StartsWith(ErrorOf(Load({"--relay-ip", "192.0.2.1:5"})),
                   "--relay-ip: '192.0.2.1:5' is not an IP address"));
}

TEST_CASE("external-ip maps onto the relay address of its family") {
  absl::StatusOr<Settings> with_relay =
      Load({"--relay-ip", "10.0.0.5", "--external-ip", "203.0.113.7"});
  REQUIRE(with_relay.ok());
  CHECK(with_relay->worker.relay.ipv4->bind == Ip("10.0.0.5"));
  CHECK(with_relay->worker.relay.ipv4->external == Ip("203.0.113.7"));

  // EXTERNAL/LOCAL alone names the relay address.
  absl::StatusOr<Settings> slash =
      Load({"--external-ip", "203.0.113.7/10.0.0.5"});
  REQUIRE(slash.ok());
  CHECK_FALSE(slash->relay_auto);
  CHECK(slash->worker.relay.ipv4->bind == Ip("10.0.0.5"));
  CHECK(slash->worker.relay.ipv4->external == Ip("203.0.113.7"));
  CHECK_FALSE(slash->worker.relay.ipv6.has_value());

  // EXTERNAL alone with no relay-ip: the runtime picks the bind address.
  absl::StatusOr<Settings> automatic = Load({"--external-ip", "203.0.113.7"});
  REQUIRE(automatic.ok());
  CHECK(automatic->relay_auto);
  CHECK(automatic->worker.relay.ipv4->bind == IpAddress::V4(0u));
  CHECK(automatic->worker.relay.ipv4->external == Ip("203.0.113.7"));

  CHECK(ErrorOf(Load({"--relay-ip", "10.0.0.5", "--external-ip",
                      "203.0.113.7/10.0.0.6"})) ==
        "external-ip 203.0.113.7/10.0.0.6 maps to local address 10.0.0.6 "
        "but relay-ip is 10.0.0.5; make them the same address, or drop "
        "/LOCAL from external-ip");
  CHECK(StartsWith(
      ErrorOf(Load({"--relay-ip", "10.0.0.5", "--external-ip", "2001:db8::7"})),
      "external-ip 2001:db8::7 has no relay address of its "
      "family"));
  CHECK(ErrorOf(Load({"--external-ip", "203.0.113.7/fd00::1"})) ==
        "--external-ip: '203.0.113.7/fd00::1' mixes IPv4 and IPv6; "
        "EXTERNAL/LOCAL must be one family");
  CHECK(StartsWith(
      ErrorOf(Load({"--external-ip", "1.2.3.4", "--external-ip", "1.2.3.5"})),
      "--external-ip: 1.2.3.5 is a further external address of its family, "
      "so it must say which relay-ip it stands for"));
}

TEST_CASE("relay-ip repeated gives several relay addresses per family") {
  absl::StatusOr<Settings> s =
      Load({"--relay-ip", "10.0.0.5", "--relay-ip", "2001:db8::1", "--relay-ip",
            "10.0.0.6", "--relay-ip", "10.0.0.7", "--external-ip",
            "203.0.113.5", "--external-ip", "203.0.113.7/10.0.0.7"});
  REQUIRE(s.ok());
  REQUIRE(s->worker.relay.ipv4.has_value());
  CHECK(s->worker.relay.ipv4->bind == Ip("10.0.0.5"));
  CHECK(s->worker.relay.ipv4->external == Ip("203.0.113.5"));
  REQUIRE(s->worker.relay.ipv6.has_value());
  CHECK(s->worker.relay.ipv6->bind == Ip("2001:db8::1"));
  // In configured order, each with its own external address (or none).
  REQUIRE(s->worker.relay.more.size() == 2);
  CHECK(s->worker.relay.more[0].bind == Ip("10.0.0.6"));
  CHECK_FALSE(s->worker.relay.more[0].external.has_value());
  CHECK(s->worker.relay.more[1].bind == Ip("10.0.0.7"));
  CHECK(s->worker.relay.more[1].external == Ip("203.0.113.7"));

  CHECK(ErrorOf(Load({"--relay-ip", "10.0.0.5", "--relay-ip", "10.0.0.6",
                      "--relay-ip", "10.0.0.6"})) ==
        "--relay-ip: 10.0.0.6 is given twice; give each relay address once");
  CHECK(StartsWith(
      ErrorOf(Load({"--relay-ip", "10.0.0.5", "--relay-ip", "10.0.0.6",
                    "--external-ip", "203.0.113.5", "--external-ip",
                    "203.0.113.6/10.0.0.9"})),
      "external-ip 203.0.113.6/10.0.0.9 maps to 10.0.0.9, which is not a "
      "further relay-ip"));
  CHECK(StartsWith(ErrorOf(Load({"--relay-ip", "10.0.0.5", "--relay-ip",
                                 "10.0.0.6", "--external-ip", "203.0.113.5",
                                 "--external-ip", "203.0.113.6/10.0.0.6",
                                 "--external-ip", "203.0.113.8/10.0.0.6"})),
                   "external-ip: relay address 10.0.0.6 is mapped twice"));
}

TEST_CASE("ports, lifetimes, quotas, bandwidth, buffers, realm, software") {
  absl::StatusOr<Settings> s = Load(
      {"--min-port=50000", "--max-port=50100", "--nonce-lifetime=30",
       "--default-lifetime=120", "--max-lifetime=7200",
       "--max-allocations=1000", "--user-quota=10", "--ip-quota=20",
       "--bandwidth=512K", "--udp-receive-buffer=4M", "--udp-send-buffer=65536",
       "--realm=example.org", "--software=turnpike test"});
  REQUIRE(s.ok());
  CHECK(s->worker.relay.min_port == 50000);
  CHECK(s->worker.relay.max_port == 50100);
  CHECK(s->worker.server.nonce_lifetime == std::chrono::seconds(30));
  CHECK(s->worker.server.default_lifetime == std::chrono::seconds(120));
  CHECK(s->worker.server.max_lifetime == std::chrono::seconds(7200));
  CHECK(s->quotas.total == 1000);
  CHECK(s->quotas.per_user == 10);
  CHECK(s->quotas.per_client_ip == 20);
  CHECK(s->worker.server.bandwidth_bytes_per_second == 512 * 1024);
  CHECK(s->worker.udp.receive_buffer_bytes == 4 * 1024 * 1024);
  CHECK(s->worker.udp.send_buffer_bytes == 65536);
  CHECK(s->worker.server.realm == "example.org");
  CHECK(s->worker.server.software == "turnpike test");
}

TEST_CASE("permission and channel caps per allocation") {
  absl::StatusOr<Settings> defaults = Load({});
  REQUIRE(defaults.ok());
  CHECK(defaults->worker.server.max_permissions_per_allocation == 256);
  CHECK(defaults->worker.server.max_channels_per_allocation == 256);
  absl::StatusOr<Settings> s = Load({"--max-permissions-per-allocation=10",
                                     "--max-channels-per-allocation=0"});
  REQUIRE(s.ok());
  CHECK(s->worker.server.max_permissions_per_allocation == 10);
  CHECK(s->worker.server.max_channels_per_allocation == 0);
  CHECK_FALSE(Load({"--max-channels-per-allocation=16385"}).ok());
  // "unlimited" means 0 here as for every other limit.
  absl::StatusOr<Settings> unlimited =
      Load({"--max-permissions-per-allocation=unlimited",
            "--max-channels-per-allocation=unlimited"});
  REQUIRE(unlimited.ok());
  CHECK(unlimited->worker.server.max_permissions_per_allocation == 0);
  CHECK(unlimited->worker.server.max_channels_per_allocation == 0);
  CHECK_FALSE(Load({"--max-permissions-per-allocation=-1"}).ok());
}

TEST_CASE("listen takes an optional transport scheme") {
  // tls:// and dtls:// need a certificate (tests/cli/tls_options_test.cc).
  const ::turnpike::testing::TestCertificate cert =
      ::turnpike::testing::MakeSelfSigned("listen.test");
  absl::StatusOr<Settings> s =
      Load({"--listen", "127.0.0.1:3478", "--listen", "tcp://127.0.0.1:3478",
            "--listen", "TLS://[::1]:5349", "--listen", "dtls://[::1]:5349",
            "--listen", "udp://127.0.0.2:0", "--tls-cert", "c.pem",
            "--tls-key", "k.pem"},
           {},
           FakeFiles({{"c.pem", cert.certificate_pem},
                      {"k.pem", cert.key_pem}}));
  REQUIRE(s.ok());
  REQUIRE(s->worker.listeners.size() == 5);
  CHECK(s->worker.listeners[0].transport == core::Transport::kUdp);
  CHECK(s->worker.listeners[1].transport == core::Transport::kTcp);
  CHECK(s->worker.listeners[1].address ==
        *TransportAddress::Parse("127.0.0.1:3478"));
  CHECK(s->worker.listeners[2].transport == core::Transport::kTls);
  CHECK(s->worker.listeners[2].address == *TransportAddress::Parse("[::1]:5349"));
  CHECK(s->worker.listeners[3].transport == core::Transport::kDtls);
  CHECK(s->worker.listeners[4].transport == core::Transport::kUdp);
  CHECK(s->worker.listeners[4].address ==
        *TransportAddress::Parse("127.0.0.2:0"));
  // The same address twice over one transport is a mistake.
  CHECK(ErrorOf(Load({"--listen", "tcp://127.0.0.1:1", "--listen",
                      "tcp://127.0.0.1:1"})) ==
        "--listen: tcp://127.0.0.1:1 is given twice; give each address once");
  CHECK(StartsWith(ErrorOf(Load({"--listen", "sctp://127.0.0.1:1"})),
                   "--listen: 'sctp://127.0.0.1:1' has an unknown scheme"));
  CHECK_FALSE(Load({"--listen", "tcp://"}).ok());
}

TEST_CASE("max-connections-per-ip and idle-timeout") {
  absl::StatusOr<Settings> defaults = Load({});
  REQUIRE(defaults.ok());
  CHECK_FALSE(defaults->max_connections_per_ip_given);
  CHECK(defaults->worker.transport.idle_timeout == std::chrono::seconds(60));
  absl::StatusOr<Settings> s =
      Load({"--max-connections-per-ip=7", "--idle-timeout=5"});
  REQUIRE(s.ok());
  CHECK(s->max_connections_per_ip_given);
  CHECK(s->worker.transport.max_connections_per_ip == 7);
  CHECK(s->worker.transport.idle_timeout == std::chrono::seconds(5));
  absl::StatusOr<Settings> unlimited =
      Load({"--max-connections-per-ip=unlimited"});
  REQUIRE(unlimited.ok());
  CHECK(unlimited->worker.transport.max_connections_per_ip == 0);
  CHECK(unlimited->max_connections_per_ip_given);
  CHECK_FALSE(Load({"--max-connections-per-ip=-1"}).ok());
  CHECK_FALSE(Load({"--idle-timeout=0"}).ok());
}

TEST_CASE("users from user and users-file, REST secrets") {
  const FileReader read = FakeFiles({{"/etc/users",
                                      "# team\n"
                                      "carol:pa:ss#1\n"
                                      "\n"
                                      "  dave:word  \n"}});
  absl::StatusOr<Settings> s =
      Load({"--user", "alice:one", "--users-file", "/etc/users",
            "--rest-secret", "s1", "--rest-secret", "s2"},
           {{"TURNPIKE_USER", "bob:two"}}, read);
  REQUIRE(s.ok());
  // The flag's user list replaced the environment's; the file's users add.
  REQUIRE(s->users.size() == 3);
  CHECK(s->users[0].username == "alice");
  CHECK(s->users[1].username == "carol");
  CHECK(s->users[1].password == "pa:ss#1");
  CHECK(s->users[2].username == "dave");
  CHECK(s->users[2].password == "word");
  CHECK(s->rest_secrets == std::vector<std::string>{"s1", "s2"});
}

TEST_CASE("users errors: file:line inside the option's source, duplicates") {
  const FileReader read =
      FakeFiles({{"users", "alice:one\nbob-without-password\n"},
                 {"dup", "alice:one\nalice:two\n"}});
  CHECK(ErrorOf(Load({"--users-file", "users"}, {}, read)) ==
        "--users-file: users:2: has no ':'; write name:password (the value "
        "is not shown because it may hold a password)");
  CHECK(ErrorOf(Load({"--users-file", "missing"}, {}, read)) ==
        "--users-file: cannot read missing: No such file or directory");
  CHECK(ErrorOf(Load({"--user", "alice:"})) ==
        "--user: user 'alice' has an empty password; write name:password");
  CHECK(StartsWith(ErrorOf(Load({"--user", ":pw"})),
                   "--user: the user name before ':' is empty"));
  const std::string duplicate =
      ErrorOf(Load({"--users-file", "dup"}, {}, read));
  CHECK(StartsWith(duplicate, "user / users-file: "));
  CHECK(duplicate.find("alice") != std::string::npos);
  CHECK(StartsWith(ErrorOf(Load({"--rest-secret="})),
                   "--rest-secret: the value is empty"));
}

TEST_CASE("Summarize gives one line with the essentials") {
  absl::StatusOr<Settings> s = Load({"--listen", "127.0.0.1:3478", "--relay-ip",
                                     "127.0.0.1", "--user", "a:b"});
  REQUIRE(s.ok());
  const std::string summary = Summarize(*s);
  CHECK(summary ==
        "configuration OK: listen 127.0.0.1:3478; relay 127.0.0.1, ports "
        "49152-65535; realm turnpike; users 1, REST secrets 0; config file "
        "none");
}

}  // namespace
}  // namespace turnpike::cli
