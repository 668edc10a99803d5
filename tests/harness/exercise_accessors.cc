#include "tests/harness/exercise_accessors.h"

#include <optional>
#include <string_view>

#include "core/stun/integrity.h"

namespace turnpike::testing {
namespace {

// Folds values into a running digest (FNV-1a style).
class Digest {
 public:
  void Add(uint64_t v) {
    value_ ^= v;
    value_ *= 0x100000001b3ULL;
  }
  void Add(std::string_view s) {
    Add(s.size());
    for (char c : s) Add(static_cast<uint8_t>(c));
  }
  void Add(absl::Span<const uint8_t> s) {
    Add(s.size());
    for (uint8_t b : s) Add(b);
  }
  void Add(const TransportAddress& a) {
    Add(a.ToString());
    Add(a.port);
  }
  template <typename T>
  void Add(const std::optional<T>& v) {
    Add(uint64_t{v.has_value()});
    if (v) Add(*v);
  }
  uint64_t value() const { return value_; }

 private:
  uint64_t value_ = 0xcbf29ce484222325ULL;
};

}  // namespace

uint64_t ExerciseAllAccessors(const stun::MessageView& view) {
  Digest d;
  d.Add(static_cast<uint64_t>(view.message_class()));
  d.Add(view.method());
  d.Add(view.header().length);
  d.Add(static_cast<uint64_t>(view.header().known_method()));
  d.Add(uint64_t{view.header().IsRequest()});
  d.Add(absl::MakeConstSpan(view.transaction_id()));
  d.Add(view.bytes());
  for (const stun::RawAttribute& a : view.Attributes()) {
    d.Add(a.type);
    d.Add(a.value);
    d.Add(a.offset);
    d.Add(uint64_t{view.Has(static_cast<stun::AttributeType>(a.type))});
    d.Add(stun::AttributeName(a.type));
  }
  for (uint16_t t : view.unknown_comprehension_required()) d.Add(t);

  d.Add(view.MappedAddress());
  d.Add(view.XorMappedAddress());
  d.Add(view.AlternateServer());
  d.Add(view.ResponseOrigin());
  d.Add(view.OtherAddress());
  for (const TransportAddress& a : view.XorPeerAddresses()) d.Add(a);
  for (const TransportAddress& a : view.XorRelayedAddresses()) d.Add(a);

  d.Add(view.Username());
  d.Add(view.Userhash());
  d.Add(view.Realm());
  d.Add(view.Nonce());
  d.Add(view.Software());
  d.Add(view.AlternateDomain());
  if (auto e = view.ErrorCode()) {
    d.Add(static_cast<uint64_t>(e->code));
    d.Add(e->reason);
  }
  for (uint16_t t : view.UnknownAttributes()) d.Add(t);
  if (auto p = view.PasswordAlgorithm()) {
    d.Add(p->algorithm);
    d.Add(p->parameters);
  }
  for (const stun::PasswordAlgorithmValue& p : view.PasswordAlgorithms()) {
    d.Add(p.algorithm);
    d.Add(p.parameters);
  }
  d.Add(view.MessageIntegrity());
  d.Add(view.MessageIntegritySha256());
  d.Add(view.Fingerprint());
  d.Add(view.message_integrity_offset());
  d.Add(view.message_integrity_sha256_offset());
  d.Add(view.ChannelNumber());
  d.Add(view.Lifetime());
  d.Add(view.Data());
  d.Add(view.RequestedAddressFamily());
  d.Add(view.AdditionalAddressFamily());
  d.Add(view.EvenPort());
  d.Add(view.RequestedTransport());
  d.Add(uint64_t{view.DontFragment()});
  d.Add(view.ReservationToken());
  if (auto e = view.AddressErrorCode()) {
    d.Add(e->family);
    d.Add(static_cast<uint64_t>(e->code));
    d.Add(e->reason);
  }
  if (auto i = view.Icmp()) {
    d.Add(i->type);
    d.Add(i->code);
    d.Add(i->error_data);
  }
  d.Add(view.ConnectionId());
  if (auto c = view.ChangeRequest()) {
    d.Add(uint64_t{c->change_ip} << 1 | uint64_t{c->change_port});
  }
  d.Add(view.ResponsePort());
  d.Add(view.Padding());
  d.Add(view.Priority());
  d.Add(uint64_t{view.UseCandidate()});
  d.Add(view.IceControlled());
  d.Add(view.IceControlling());

  static constexpr uint8_t kKey[] = {'k', 'e', 'y'};
  d.Add(static_cast<uint64_t>(stun::CheckMessageIntegrity(view, kKey)));
  d.Add(static_cast<uint64_t>(stun::CheckMessageIntegritySha256(view, kKey)));
  d.Add(static_cast<uint64_t>(stun::CheckMessageIntegrity(view, {})));
  return d.value();
}

}  // namespace turnpike::testing
