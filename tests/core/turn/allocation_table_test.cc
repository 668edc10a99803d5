// AllocationTable: its lookups follow every change made through it, each
// timed object keeps exactly one timer, and BrokenInvariant() names an
// index changed behind its back.
#include "core/turn/allocation_table.h"

#include "core/stun/channel_data.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <vector>

namespace turnpike::core::turn {
namespace {

MonoTime At(int seconds) { return MonoTime(std::chrono::seconds(seconds)); }

constexpr AllocationTable::Limits kLimits{stun::kMaxChannelNumber, 4, 4};

FiveTuple Client(uint8_t last_octet) {
  FiveTuple t;
  t.client = {IpAddress::V4({192, 0, 2, last_octet}), 50000};
  t.server = {IpAddress::V4({198, 51, 100, 1}), 3478};
  return t;
}

TransportAddress Peer(uint8_t last_octet, uint16_t port = 9000) {
  return {IpAddress::V4({203, 0, 113, last_octet}), port};
}

// An answered allocation with one open IPv4 relay, expiring at `expiry`.
Allocation& Answered(AllocationTable& table, const FiveTuple& tuple,
                     uint32_t relay, MonoTime expiry) {
  Allocation& allocation = table.Create(tuple);
  table.AddRelay(allocation, Relay{RelayId{relay}, AddressFamily::kIpv4,
                                   RelayState::kOpen, Peer(250, 49152)});
  allocation.answered = true;
  table.SetExpiry(allocation, expiry);
  return allocation;
}

// BrokenInvariant() as a string, so a failed CHECK prints it.
std::string Broken(const AllocationTable& table) {
  const char* broken = table.BrokenInvariant();
  return broken ? broken : "";
}

TEST_CASE("AllocationTable finds an allocation by its 5-tuple and each relay") {
  AllocationTable table(kLimits);
  Allocation& a = Answered(table, Client(1), 1, At(600));
  Allocation& b = table.Create(Client(2));
  table.AddRelay(b, Relay{RelayId{2}, AddressFamily::kIpv4,
                          RelayState::kOpening, {}});
  table.AddRelay(b, Relay{RelayId{3}, AddressFamily::kIpv6,
                          RelayState::kOpening, {}});
  CHECK(Broken(table).empty());
  CHECK(table.size() == 2);
  CHECK(a.id != b.id);
  CHECK(table.Find(Client(1)) == &a);
  CHECK(table.Find(Client(2)) == &b);
  CHECK(table.Find(Client(3)) == nullptr);
  CHECK(table.FindByRelay(RelayId{1}) == &a);
  CHECK(table.FindByRelay(RelayId{2}) == &b);
  CHECK(table.FindByRelay(RelayId{3}) == &b);
  CHECK(&table.Get(b.id) == &b);

  table.RemoveRelay(b, RelayId{3});
  CHECK(table.FindByRelay(RelayId{3}) == nullptr);
  CHECK(b.relays.size() == 1);
  CHECK(Broken(table).empty());

  const AllocationId b_id = b.id;
  table.Erase(b);
  CHECK(table.size() == 1);
  CHECK(table.Find(Client(2)) == nullptr);
  CHECK(table.FindByRelay(RelayId{2}) == nullptr);
  CHECK(table.FindByRelay(RelayId{1}) == &a);
  // Ids are never reused, so a stale id cannot name a new allocation.
  Allocation& c = table.Create(Client(2));
  CHECK(c.id.value > b_id.value);
  table.AddRelay(c, Relay{RelayId{4}, AddressFamily::kIpv4,
                          RelayState::kOpening, {}});
  CHECK(Broken(table).empty());
}

TEST_CASE("AllocationTable lists allocations and reservations in ascending order") {
  AllocationTable table(kLimits);
  std::vector<AllocationId> created;
  for (uint8_t i = 1; i <= 20; ++i) {
    created.push_back(Answered(table, Client(i), i, At(600)).id);
  }
  CHECK(table.IdsInOrder() == created);
  Reservation reservation;
  reservation.creator = created.front();
  reservation.expiry = At(30);
  for (uint64_t token : {900u, 5u, 77u, 12u}) {
    table.AddReservation(token, reservation);
  }
  CHECK(table.ReservationTokensInOrder() ==
        std::vector<uint64_t>{5, 12, 77, 900});
}

TEST_CASE("AllocationTable erases an allocation with every timer it held") {
  AllocationTable table(kLimits);
  Allocation& a = Answered(table, Client(1), 1, At(600));
  CHECK(table.InstallPermission(a, Peer(1).ip, At(300)));
  CHECK(table.InstallPermission(a, Peer(2).ip, At(300)));
  CHECK(table.BindChannel(a, 0x4000, Peer(1), At(600)));
  CHECK(table.BindChannel(a, 0x4001, Peer(2), At(600)));
  table.UnbindChannel(a, 0x4001, std::chrono::seconds(300));
  CHECK(Broken(table).empty());
  // The allocation, two permissions, one channel, one cool-down.
  CHECK(table.deadline_count() == 5);
  Allocation& other = Answered(table, Client(2), 2, At(900));
  table.Erase(a);
  CHECK(table.deadline_count() == 1);
  CHECK(table.NextDeadline() == At(900));
  CHECK(Broken(table).empty());
  table.Erase(other);
  CHECK(table.deadline_count() == 0);
  CHECK(table.NextDeadline() == std::nullopt);
}

TEST_CASE("AllocationTable keeps one timer per permission and channel however often refreshed") {
  AllocationTable table(kLimits);
  Allocation& a = Answered(table, Client(1), 1, At(10'000));
  CHECK(table.InstallPermission(a, Peer(1).ip, At(300)));
  CHECK(table.BindChannel(a, 0x4000, Peer(1), At(600)));
  for (int i = 1; i <= 100; ++i) {
    CHECK_FALSE(table.InstallPermission(a, Peer(1).ip, At(300 + i)));
    CHECK_FALSE(table.BindChannel(a, 0x4000, Peer(1), At(600 + i)));
    table.SetExpiry(a, At(10'000 + i));
  }
  CHECK(table.deadline_count() == 3);
  CHECK(table.NextDeadline() == At(400));
  CHECK(a.permissions.at(Peer(1).ip).expiry == At(400));
  CHECK(a.channels.at(0x4000).expiry == At(700));
  CHECK(a.expiry == At(10'100));
  CHECK(Broken(table).empty());

  table.RemovePermission(a, Peer(1).ip);
  CHECK_FALSE(a.permissions.contains(Peer(1).ip));
  CHECK(table.deadline_count() == 2);
  CHECK(table.NextDeadline() == At(700));
  CHECK(Broken(table).empty());
}

TEST_CASE("AllocationTable mirrors a permission onto the channels of its IP") {
  AllocationTable table(kLimits);
  Allocation& a = Answered(table, Client(1), 1, At(10'000));
  // Bound before the permission exists (the handler binds, then permits).
  table.BindChannel(a, 0x4000, Peer(1), At(600));
  CHECK_FALSE(a.channels.at(0x4000).permitted);
  CHECK_FALSE(a.channel_by_peer.at(Peer(1)).permitted);
  table.InstallPermission(a, Peer(1).ip, At(300));
  CHECK(a.channels.at(0x4000).permitted);
  CHECK(a.channel_by_peer.at(Peer(1)).permitted);
  // A refresh keeps the verdict cached on the permission.
  a.permissions.at(Peer(1).ip).verdict = CachedVerdict{7, true};
  table.InstallPermission(a, Peer(1).ip, At(400));
  CHECK(a.permissions.at(Peer(1).ip).verdict.generation == 7);
  CHECK(Broken(table).empty());
  table.RemovePermission(a, Peer(1).ip);
  CHECK_FALSE(a.channels.at(0x4000).permitted);
  CHECK_FALSE(a.channel_by_peer.at(Peer(1)).permitted);
  CHECK(Broken(table).empty());
}

TEST_CASE("AllocationTable cools an unbound channel from its expiry and a rebind ends the cool-down") {
  AllocationTable table(kLimits);
  Allocation& a = Answered(table, Client(1), 1, At(10'000));
  table.BindChannel(a, 0x4000, Peer(1), At(600));
  CHECK(a.channel_by_peer.at(Peer(1)).number == 0x4000);

  // Unbound late (a busy loop): the cool-down still counts from 600 s.
  CHECK(table.UnbindChannel(a, 0x4000, std::chrono::seconds(300)) == Peer(1));
  CHECK(a.channels.empty());
  CHECK(a.channel_by_peer.empty());
  REQUIRE(a.cooling_channels.contains(0x4000));
  CHECK(a.cooling_channels.at(0x4000).peer == Peer(1));
  CHECK(a.cooling_channels.at(0x4000).expiry == At(900));
  CHECK(table.NextDeadline() == At(900));
  CHECK(table.deadline_count() == 2);
  CHECK(Broken(table).empty());

  // RFC 8656 §12.1: the same number and peer may be bound again at once.
  CHECK(table.BindChannel(a, 0x4000, Peer(1), At(1200)));
  CHECK(a.cooling_channels.empty());
  CHECK(table.deadline_count() == 2);
  CHECK(table.NextDeadline() == At(1200));
  CHECK(Broken(table).empty());

  table.UnbindChannel(a, 0x4000, std::chrono::seconds(300));
  table.EndCooldown(a, 0x4000);
  CHECK(a.cooling_channels.empty());
  CHECK(table.deadline_count() == 1);
  CHECK(Broken(table).empty());
}

TEST_CASE("AllocationTable PopDue returns live deadlines in time order") {
  AllocationTable table(kLimits);
  Allocation& a = Answered(table, Client(1), 1, At(600));
  Allocation& b = Answered(table, Client(2), 2, At(600));  // tie with a
  table.InstallPermission(a, Peer(1).ip, At(300));
  table.InstallPermission(a, Peer(2).ip, At(200));
  table.RemovePermission(a, Peer(2).ip);  // never due any more

  CHECK(table.PopDue(At(299)) == std::nullopt);
  CHECK_FALSE(table.AnythingDue(At(299)));
  CHECK(table.AnythingDue(At(300)));
  std::optional<Deadline> due = table.PopDue(At(1000));
  REQUIRE(due.has_value());
  CHECK(due->kind == DeadlineKind::kPermission);
  CHECK(due->peer_ip == Peer(1).ip);
  CHECK(due->at == At(300));
  table.RemovePermission(a, Peer(1).ip);
  // Ties go in the order the deadlines were set: a before b.
  due = table.PopDue(At(1000));
  REQUIRE(due.has_value());
  CHECK(due->kind == DeadlineKind::kAllocation);
  CHECK(due->owner == a.id.value);
  table.Erase(a);
  due = table.PopDue(At(1000));
  REQUIRE(due.has_value());
  CHECK(due->owner == b.id.value);
  table.Erase(b);
  CHECK(table.PopDue(At(1000)) == std::nullopt);
  CHECK(Broken(table).empty());
}

TEST_CASE("AllocationTable PopDue skips the timer of an allocation that is not answered") {
  AllocationTable table(kLimits);
  Allocation& a = Answered(table, Client(1), 1, At(600));
  // The handler took the answer back after setting its expiry: the timer
  // no longer belongs to a live object and must not expire it.
  a.answered = false;
  CHECK(table.PopDue(At(600)) == std::nullopt);
  CHECK(table.deadline_count() == 0);
}

TEST_CASE("AllocationTable reservations take the next free token and belong to their creator") {
  AllocationTable table(kLimits);
  Allocation& a = Answered(table, Client(1), 1, At(600));
  Allocation& b = Answered(table, Client(2), 2, At(600));
  Reservation reservation;
  reservation.relay = RelayId{10};
  reservation.creator = a.id;
  reservation.expiry = At(30);
  const uint64_t first = table.AddReservation(41, reservation);
  CHECK(first == 41);
  reservation.relay = RelayId{11};
  reservation.creator = b.id;
  const uint64_t second = table.AddReservation(41, reservation);
  CHECK(second == 42);
  a.reservation_token = first;
  b.reservation_token = second;
  REQUIRE(table.FindReservation(41) != nullptr);
  CHECK(table.FindReservation(41)->relay == RelayId{10});
  CHECK(table.PendingReservationOf(a) == table.FindReservation(41));
  CHECK(table.PendingReservationOf(b) == table.FindReservation(42));
  CHECK(table.deadline_count() == 4);
  CHECK(Broken(table).empty());

  // Claimed, and the token reused by another allocation's reservation:
  // it is not a's any more.
  table.EraseReservation(41);
  CHECK(table.FindReservation(41) == nullptr);
  CHECK(table.PendingReservationOf(a) == nullptr);
  reservation.creator = b.id;
  CHECK(table.AddReservation(41, reservation) == 41);
  CHECK(table.PendingReservationOf(a) == nullptr);
  CHECK(table.deadline_count() == 4);
  CHECK(Broken(table).empty());
}

TEST_CASE("AllocationTable forgets an abandoned open once") {
  AllocationTable table(kLimits);
  table.Abandon(RelayId{5}, RelayId{6});
  table.Abandon(RelayId{7}, std::nullopt);
  CHECK(Broken(table).empty());
  CHECK(table.ForgetAbandoned(RelayId{5}) == RelayId{6});
  CHECK(table.ForgetAbandoned(RelayId{5}) == std::nullopt);
  CHECK(table.ForgetAbandoned(RelayId{7}) == std::nullopt);
  // Forgotten: a relay with that id may belong to an allocation again.
  Answered(table, Client(1), 5, At(600));
  CHECK(Broken(table).empty());
}

TEST_CASE("AllocationTable BrokenInvariant names an index changed behind its back") {
  AllocationTable table(kLimits);
  Allocation& a = Answered(table, Client(1), 1, At(600));
  table.InstallPermission(a, Peer(1).ip, At(300));
  table.BindChannel(a, 0x4000, Peer(1), At(600));
  REQUIRE(Broken(table).empty());

  SUBCASE("a permission without its timer") {
    a.permissions.emplace(Peer(2).ip, Permission{At(300), {}});
    CHECK(Broken(table) == "a permission's timer is due at its expiry");
  }
  SUBCASE("a permission moved without its timer") {
    a.permissions[Peer(1).ip].expiry = At(301);
    CHECK(Broken(table) == "a permission's timer is due at its expiry");
  }
  SUBCASE("a channel that forgot its permission") {
    a.channels.at(0x4000).permitted = false;
    CHECK(Broken(table) == "a channel mirrors its peer's permission");
  }
  SUBCASE("a channel missing from the peer map") {
    a.channel_by_peer.clear();
    CHECK(Broken(table) == "channel maps agree in size");
  }
  SUBCASE("a channel number out of range") {
    a.channels.emplace(0x3FFF, ChannelBinding{Peer(3), At(600)});
    a.channel_by_peer.emplace(Peer(3), PeerChannel{0x3FFF, false, {}});
    CHECK(Broken(table) == "channel number in range");
  }
  SUBCASE("a bound number also cooling down") {
    a.cooling_channels.emplace(0x4000, ChannelBinding{Peer(1), At(900)});
    CHECK(Broken(table) == "a bound number is not cooling down");
  }
  SUBCASE("a relay added without the relay index") {
    a.relays.push_back(Relay{RelayId{9}, AddressFamily::kIpv6,
                             RelayState::kOpen, {}});
    CHECK(Broken(table) == "relay index points at the allocation");
  }
  SUBCASE("a relay removed without the relay index") {
    a.relays.clear();
    CHECK(Broken(table) == "an allocation has a relay");
  }
  SUBCASE("an expiry moved without its timer") {
    a.expiry = At(601);
    CHECK(Broken(table) == "an allocation's timer is due at its expiry");
  }
  SUBCASE("a permission over the cap") {
    for (uint8_t i = 2; i <= 5; ++i) {
      table.InstallPermission(a, Peer(i).ip, At(300));
    }
    CHECK(Broken(table) == "permissions and channels within their caps");
  }
  SUBCASE("a 5-tuple changed without the 5-tuple index") {
    a.five_tuple = Client(9);
    CHECK(Broken(table) == "5-tuple index points at the allocation");
  }
  SUBCASE("an open abandoned while its allocation lives") {
    table.Abandon(RelayId{1}, std::nullopt);
    CHECK(Broken(table) == "an abandoned open belongs to nobody");
  }
  SUBCASE("a reservation holding a slot while its allocation lives") {
    Reservation reservation;
    reservation.creator = a.id;
    reservation.expiry = At(30);
    reservation.holds_quota = true;
    table.AddReservation(1, reservation);
    CHECK(Broken(table) ==
          "a reservation holds a slot exactly when its allocation is gone");
  }
}

}  // namespace
}  // namespace turnpike::core::turn

namespace turnpike::core::turn {
namespace {

// RFC 6062: an answered TCP allocation on connection `connection`.
Allocation& AnsweredTcp(AllocationTable& table, uint8_t last_octet,
                        uint64_t connection, uint32_t relay) {
  FiveTuple tuple = Client(last_octet);
  tuple.transport = Transport::kTcp;
  tuple.connection = ConnectionId{connection};
  Allocation& allocation = Answered(table, tuple, relay, At(600));
  allocation.relay_transport = Transport::kTcp;
  return allocation;
}

PeerConnection Pending(uint32_t number, uint64_t peer, MonoTime deadline) {
  PeerConnection connection;
  connection.number = number;
  connection.peer = ConnectionId{peer};
  connection.peer_address = Peer(1);
  connection.state = PeerConnectionState::kPendingBind;
  connection.deadline = deadline;
  return connection;
}

TEST_CASE(
    "AllocationTable indexes RFC 6062 peer connections three ways with one "
    "timer until bound") {
  AllocationTable table(kLimits);
  Allocation& a = AnsweredTcp(table, 1, 1, 1);
  table.AddPeerConnection(a, Pending(7, 100, At(30)));
  PeerConnection connecting = Pending(8, 101, At(60));
  connecting.state = PeerConnectionState::kConnecting;
  table.AddPeerConnection(a, connecting);
  CHECK(Broken(table).empty());
  CHECK(table.deadline_count() == 3);
  CHECK(table.FindByPeerConnection(ConnectionId{100})->number == 7);
  // Connected: the connect timer becomes the bind timer, still one entry.
  table.AwaitBind(*table.FindPeerConnection(8), At(90));
  CHECK(table.deadline_count() == 3);
  // Bound: its timer goes and the data connection finds it.
  table.BindPeerConnection(*table.FindPeerConnection(7), ConnectionId{2});
  CHECK(Broken(table).empty());
  CHECK(table.deadline_count() == 2);
  CHECK(table.FindByDataConnection(ConnectionId{2})->number == 7);
  // PopDue at 90 s expires only the unbound one.
  const std::optional<Deadline> due = table.PopDue(At(90));
  REQUIRE(due.has_value());
  CHECK(due->kind == DeadlineKind::kPeerConnection);
  CHECK(due->owner == 8);
  table.ErasePeerConnection(8);
  CHECK(Broken(table).empty());
  // Erasing the allocation takes the bound one with every index entry.
  table.Erase(a);
  CHECK(Broken(table).empty());
  CHECK(table.FindPeerConnection(7) == nullptr);
  CHECK(table.FindByPeerConnection(ConnectionId{100}) == nullptr);
  CHECK(table.FindByDataConnection(ConnectionId{2}) == nullptr);
  CHECK_FALSE(table.HasDataConnections());
  CHECK(table.deadline_count() == 0);
}

TEST_CASE(
    "AllocationTable BrokenInvariant names an RFC 6062 index changed behind "
    "its back") {
  AllocationTable::Limits limits = kLimits;
  limits.max_peer_connections = 2;
  AllocationTable table(limits);
  Allocation& a = AnsweredTcp(table, 1, 1, 1);
  table.AddPeerConnection(a, Pending(7, 100, At(30)));
  REQUIRE(Broken(table).empty());
  SUBCASE("a connection listed by an allocation that does not own it") {
    a.peer_connections.insert(9);
    CHECK(Broken(table) == "an allocation's peer connections name it as owner");
  }
  SUBCASE("a connection forgotten by its allocation") {
    a.peer_connections.clear();
    CHECK(Broken(table) == "every peer connection belongs to an allocation");
  }
  SUBCASE("a deadline moved without its timer") {
    table.FindPeerConnection(7)->deadline = At(31);
    CHECK(Broken(table) ==
          "an unbound peer connection's timer is due at its deadline");
  }
  SUBCASE("bound without the data index") {
    table.FindPeerConnection(7)->state = PeerConnectionState::kBound;
    CHECK(Broken(table) ==
          "the data-connection index points at the bound connection");
  }
  SUBCASE("over the cap") {
    table.AddPeerConnection(a, Pending(8, 101, At(30)));
    table.AddPeerConnection(a, Pending(9, 102, At(30)));
    CHECK(Broken(table) == "peer connections within their cap");
  }
  SUBCASE("on a UDP allocation") {
    a.relay_transport = Transport::kUdp;
    CHECK(Broken(table) ==
          "peer connections belong to answered TCP allocations");
  }
  SUBCASE("a data connection that holds an allocation") {
    table.BindPeerConnection(*table.FindPeerConnection(7), ConnectionId{5});
    REQUIRE(Broken(table).empty());
    AnsweredTcp(table, 2, 5, 2);
    CHECK(Broken(table) == "a data connection holds no allocation");
  }
}

}  // namespace
}  // namespace turnpike::core::turn
