// The order in which a family's relay addresses are tried for new relays
// (runtime/relay_address_picker.h): in turn, each call starting one further,
// and every address of the family on each call so a full one is skipped.
#include "runtime/relay_address_picker.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "runtime/worker.h"

namespace turnpike::runtime {
namespace {

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

std::vector<std::string> Binds(const std::vector<const RelayAddress*>& order) {
  std::vector<std::string> out;
  for (const RelayAddress* address : order) {
    out.push_back(address->bind.ToString());
  }
  return out;
}

TEST_CASE("relay addresses of a family are tried in turn") {
  RelayOptions options;
  options.ipv4 = RelayAddress{Ip("192.0.2.1"), std::nullopt};
  options.ipv6 = RelayAddress{Ip("2001:db8::1"), std::nullopt};
  options.more = {RelayAddress{Ip("192.0.2.2"), Ip("203.0.113.2")},
                  RelayAddress{Ip("192.0.2.3"), std::nullopt}};
  RelayAddressPicker picker(options);

  using Order = std::vector<std::string>;
  CHECK(Binds(picker.Candidates(AddressFamily::kIpv4)) ==
        Order{"192.0.2.1", "192.0.2.2", "192.0.2.3"});
  CHECK(Binds(picker.Candidates(AddressFamily::kIpv4)) ==
        Order{"192.0.2.2", "192.0.2.3", "192.0.2.1"});
  // The other family has its own turn.
  CHECK(Binds(picker.Candidates(AddressFamily::kIpv6)) == Order{"2001:db8::1"});
  CHECK(Binds(picker.Candidates(AddressFamily::kIpv4)) ==
        Order{"192.0.2.3", "192.0.2.1", "192.0.2.2"});
  CHECK(Binds(picker.Candidates(AddressFamily::kIpv4)) ==
        Order{"192.0.2.1", "192.0.2.2", "192.0.2.3"});
  // The external address travels with its bind address.
  CHECK(picker.addresses(AddressFamily::kIpv4)[1].external ==
        Ip("203.0.113.2"));
}

TEST_CASE("a family without a relay address has no candidates") {
  RelayOptions options;
  options.ipv4 = RelayAddress{Ip("192.0.2.1"), std::nullopt};
  RelayAddressPicker picker(options);
  CHECK(picker.Candidates(AddressFamily::kIpv6).empty());
  CHECK(picker.Candidates(AddressFamily::kIpv4).size() == 1);
}

}  // namespace
}  // namespace turnpike::runtime
