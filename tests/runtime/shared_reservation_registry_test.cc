// runtime::SharedReservationRegistry: the reserved socket's descriptor
// follows its token (to the claiming worker, or closed on release), and
// workers racing to claim one token get it once between them. Built with
// the TSan preset in CI (label multiworker).
#include "runtime/shared_reservation_registry.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace turnpike::runtime {
namespace {

const TransportAddress kNext{*IpAddress::Parse("127.0.0.1"), 50001};
const core::MonoTime kNow{std::chrono::seconds(1000)};
const core::MonoTime kExpiry = kNow + std::chrono::seconds(30);

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

int NewSocket() {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  return fd;
}

bool Accept(const core::SharedReservation&) { return true; }

TEST_CASE("a claimed reservation hands its descriptor to the claimer once") {
  SharedReservationRegistry registry;
  const uint64_t token = registry.Add(7, kNext, kExpiry);
  const int fd = NewSocket();
  registry.Attach(token, fd);
  CHECK(registry.descriptors() == 1);

  // Racing claims: one wins, the others find nothing.
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      if (registry.Claim(token, kNow, &Accept)) won.fetch_add(1);
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(won.load() == 1);
  CHECK(registry.size() == 0);
  CHECK_FALSE(registry.Release(token).has_value());  // nothing to close
  CHECK(registry.TakeClaimed(token) == fd);
  CHECK(registry.TakeClaimed(token) == -1);
  CHECK(IsOpen(fd));  // the claimer's now
  ::close(fd);
}

TEST_CASE("a released reservation closes its descriptor") {
  SharedReservationRegistry registry;
  const uint64_t token = registry.Add(7, kNext, kExpiry);
  const int fd = NewSocket();
  registry.Attach(token, fd);
  // A refused claim changes nothing.
  CHECK_FALSE(registry
                  .Claim(token, kNow,
                         [](const core::SharedReservation&) { return false; })
                  .has_value());
  CHECK(registry.size() == 1);
  CHECK(IsOpen(fd));
  // Past its expiry no claim gets it; its release closes the socket, once.
  CHECK_FALSE(registry.Claim(token, kExpiry, &Accept).has_value());
  CHECK(registry.Release(token).has_value());
  CHECK_FALSE(IsOpen(fd));
  CHECK_FALSE(registry.Release(token).has_value());
  CHECK(registry.descriptors() == 0);

  // A descriptor for a token no longer registered is closed at once.
  const int late = NewSocket();
  registry.Attach(token, late);
  CHECK_FALSE(IsOpen(late));
}

}  // namespace
}  // namespace turnpike::runtime
