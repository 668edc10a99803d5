// DESIGN.md: "No heap allocation per relayed packet." This executable
// replaces the global operator new to count calls, then relays packets in
// every direction and form and checks the count did not move. It is its own
// binary because the replacement is process-wide. (bench/core_bench.cc
// checks the same in release builds, counting malloc as well; this one runs
// in CI under the sanitizers, which keep malloc to themselves but let a
// program define operator new.)
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "tests/core/scenario/test_server.h"

namespace {
std::atomic<uint64_t> g_news{0};
}  // namespace

void* operator new(size_t size) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace turnpike::core::testing {
namespace {

using stun::AttributeType;
using stun::MessageBuilder;
using stun::Method;

TEST_CASE("relaying allocates nothing, in either direction, in any form") {
  TestServer server;
  server.users.Add("alice", "secret");
  TestClient client(server, ClientTuple(), "alice", "secret");
  const RelayId relay = client.Allocate(Addr("203.0.113.5:50000"));
  const TransportAddress bound_peer = Addr("192.0.2.200:7000");
  const TransportAddress other_port = Addr("192.0.2.200:7001");
  client.Bind(0x4000, bound_peer);
  const std::vector<uint8_t> payload(1200, 0xAB);
  std::vector<uint8_t> frame = {0x40, 0x00, 0x04, 0xB0};
  frame.insert(frame.end(), payload.begin(), payload.end());
  const Encoded send = client.Indication(Method::kSend, [&](MessageBuilder& b) {
    b.AddXorAddress(AttributeType::kXorPeerAddress, other_port);
    b.AddBytes(AttributeType::kData, payload);
  });
  // A dropped packet (no permission) must not allocate either.
  const TransportAddress stranger = Addr("192.0.2.99:1");

  const uint64_t before = g_news.load();
  int relayed = 0;
  for (int i = 0; i < 1000; ++i) {
    relayed += server->HandleClientMessage(server.now, client.tuple, frame)
                   .has_value();
    relayed +=
        server->HandleClientMessage(server.now, client.tuple, send.span())
            .has_value();
    relayed +=
        server->HandlePeerDatagram(server.now, relay, bound_peer, payload)
            .has_value();
    relayed +=
        server->HandlePeerDatagram(server.now, relay, other_port, payload)
            .has_value();
    relayed += server->HandlePeerDatagram(server.now, relay, stranger, payload)
                   .has_value();
  }
  const uint64_t news = g_news.load() - before;
  CHECK(relayed == 4000);
  CHECK(news == 0);
  // The counter works: a vector growing from empty allocates.
  std::vector<int> probe;
  probe.push_back(1);
  CHECK(g_news.load() > before);
}

}  // namespace
}  // namespace turnpike::core::testing
