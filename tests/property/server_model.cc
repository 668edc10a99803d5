#include "tests/property/server_model.h"

#include <algorithm>

namespace turnpike::testing::model {

int UserOf(int client) { return client == 3 ? 1 : 0; }
int IpOf(int client) { return client < 2 ? 0 : 1; }
int PeerIp(int peer) { return peer == 1 ? 0 : peer; }

Duration Negotiate(std::optional<uint32_t> requested_seconds) {
  if (!requested_seconds) return kDefaultLifetime;
  return std::clamp<Duration>(std::chrono::seconds(*requested_seconds),
                              kDefaultLifetime, kMaxLifetime);
}

bool IsValidChannel(uint16_t number) {
  // The server's default accepts the RFC 5766 range (core/config.h).
  return number >= 0x4000 && number <= 0x7FFF;
}

int Model::Holding(int user, int ip) const {
  int n = 0;
  for (int c = 0; c < kClients; ++c) {
    if (!allocations[c]) continue;
    if (user >= 0 && UserOf(c) != user) continue;
    if (ip >= 0 && IpOf(c) != ip) continue;
    ++n;
  }
  return n;
}

std::vector<int> Model::OpeningRelays() const {
  std::vector<int> keys;
  for (const auto& [key, relay] : relays) {
    if (relay.state == RelayState::kOpening) keys.push_back(key);
  }
  return keys;
}

const Allocation* Model::Answered(int client) const {
  const std::optional<Allocation>& a = allocations[client];
  return a && a->answered ? &*a : nullptr;
}

bool Model::HasPermission(const Allocation& a, int peer) const {
  // Expire() ran first, so whatever is present is alive.
  return a.permissions.contains(PeerIp(peer));
}

void Model::Delete(int client, Effects& e) {
  Allocation& a = *allocations[client];
  e.channels_deleted += static_cast<int>(a.channels.size());
  e.permissions_deleted += static_cast<int>(a.permissions.size());
  ++e.deleted;
  for (std::optional<int> key : {a.relay4, a.relay6}) {
    if (!key) continue;
    Relay& relay = relays.at(*key);
    if (relay.state == RelayState::kOpen) {
      e.closes.push_back(*key);
      relays.erase(*key);
    } else {
      relay.client = -1;  // closed once the runtime reports it bound
    }
  }
  allocations[client].reset();
}

void Model::Expire(Effects& e) {
  for (int c = 0; c < kClients; ++c) {
    if (!allocations[c] || !allocations[c]->answered) continue;
    Allocation& a = *allocations[c];
    for (auto it = a.channels.begin(); it != a.channels.end();) {
      if (it->second.expiry > now) {
        ++it;
        continue;
      }
      // §12.1: the number and the peer cool down for 5 minutes counted
      // from the binding's expiry.
      ++e.channels_deleted;
      a.cooling[it->first] = {it->second.peer,
                              it->second.expiry + kChannelCooldown};
      it = a.channels.erase(it);
    }
    std::erase_if(a.cooling, [&](const auto& entry) {
      return entry.second.expiry <= now;
    });
    e.permissions_deleted += static_cast<int>(std::erase_if(
        a.permissions, [&](const auto& entry) { return entry.second <= now; }));
    if (a.expiry <= now) Delete(c, e);
  }
}

std::optional<Duration> Model::NextDeadline() const {
  std::optional<Duration> next;
  auto consider = [&](Duration at) {
    if (!next || at < *next) next = at;
  };
  for (const std::optional<Allocation>& a : allocations) {
    if (!a || !a->answered) continue;
    consider(a->expiry);
    for (const auto& [ip, expiry] : a->permissions) consider(expiry);
    for (const auto& [number, channel] : a->channels) consider(channel.expiry);
    for (const auto& [number, channel] : a->cooling) consider(channel.expiry);
  }
  return next;
}

void Model::Allocate(int client, std::optional<uint32_t> lifetime, bool dual,
                     Effects& e) {
  Expire(e);
  e.response_to = client;
  auto refuse = [&](int code) {
    e.response = code;
    ++e.errors;
  };
  // RFC 8656 §7.2: one allocation per 5-tuple (437), then capacity (508)
  // and the quotas (486).
  if (allocations[client]) return refuse(437);
  if (Holding(-1, -1) >= kTotalQuota) return refuse(508);
  if (Holding(UserOf(client), -1) >= kUserQuota) return refuse(486);
  if (Holding(-1, IpOf(client)) >= kIpQuota) return refuse(486);
  Allocation a;
  a.lifetime = Negotiate(lifetime);
  a.relay4 = next_relay_key++;
  relays[*a.relay4] = Relay{client, false, RelayState::kOpening};
  e.opens.push_back(*a.relay4);
  if (dual) {
    a.relay6 = next_relay_key++;
    relays[*a.relay6] = Relay{client, true, RelayState::kOpening};
    e.opens.push_back(*a.relay6);
  }
  allocations[client] = std::move(a);
}

void Model::AnswerOpen(int key, bool ok, Effects& e) {
  Expire(e);
  Relay& relay = relays.at(key);
  if (relay.client < 0) {
    if (ok) e.closes.push_back(key);
    relays.erase(key);
    return;
  }
  const int client = relay.client;
  Allocation& a = *allocations[client];
  e.response_to = client;
  auto settle = [&] {
    for (std::optional<int> k : {a.relay4, a.relay6}) {
      if (k && relays.at(*k).state == RelayState::kOpening) return;
    }
    // RFC 8656 §7.2: answered once every relayed address is bound.
    a.answered = true;
    a.expiry = now + a.lifetime;
    e.response = 0;
    ++e.created;
  };
  if (ok) {
    relay.state = RelayState::kOpen;
    settle();
    return;
  }
  relays.erase(key);
  if (a.relay4 == key) {
    // No address of the requested family: 508, and the other family goes.
    a.relay4.reset();
    e.response = 508;
    ++e.errors;
    if (a.relay6) {
      Relay& other = relays.at(*a.relay6);
      if (other.state == RelayState::kOpen) {
        e.closes.push_back(*a.relay6);
        relays.erase(*a.relay6);
      } else {
        other.client = -1;
      }
    }
    allocations[client].reset();
    return;
  }
  // The additional family failed: the IPv4 part stands.
  a.relay6.reset();
  settle();
}

void Model::Refresh(int client, std::optional<uint32_t> lifetime, Effects& e) {
  Expire(e);
  e.response_to = client;
  if (!Answered(client)) {
    e.response = 437;
    return;
  }
  e.response = 0;
  if (lifetime && *lifetime == 0) {
    Delete(client, e);
    return;
  }
  Allocation& a = *allocations[client];
  a.lifetime = Negotiate(lifetime);
  a.expiry = now + a.lifetime;
}

void Model::CreatePermission(int client, int peer, Effects& e) {
  Expire(e);
  e.response_to = client;
  if (!Answered(client)) {
    e.response = 437;
    return;
  }
  Allocation& a = *allocations[client];
  if (kPeers[peer].ipv6 && !a.relay6) {
    e.response = 443;
  } else if (!kPeers[peer].allowed) {
    e.response = 403;
  } else if (!a.permissions.contains(PeerIp(peer)) &&
             a.permissions.size() >= kMaxPermissions) {
    e.response = 508;
  } else {
    if (!a.permissions.contains(PeerIp(peer))) ++e.permissions_created;
    a.permissions[PeerIp(peer)] = now + kPermissionLifetime;
    e.response = 0;
  }
}

void Model::ChannelBind(int client, uint16_t number, int peer, Effects& e) {
  Expire(e);
  e.response_to = client;
  if (!Answered(client)) {
    e.response = 437;
    return;
  }
  Allocation& a = *allocations[client];
  // RFC 8656 §12.2: the number is in range, not bound to another peer, the
  // peer is not bound to another number; §12.1: nor were they in the last
  // five minutes.
  auto taken = [&](const std::map<uint16_t, Channel>& bindings) {
    for (const auto& [n, channel] : bindings) {
      if (n == number && channel.peer != peer) return true;
      if (n != number && channel.peer == peer) return true;
    }
    return false;
  };
  if (!IsValidChannel(number) || taken(a.channels) || taken(a.cooling)) {
    e.response = 400;
    return;
  }
  if (kPeers[peer].ipv6 && !a.relay6) {
    e.response = 443;
    return;
  }
  if (!kPeers[peer].allowed) {
    e.response = 403;
    return;
  }
  if ((!a.channels.contains(number) && a.channels.size() >= kMaxChannels) ||
      (!a.permissions.contains(PeerIp(peer)) &&
       a.permissions.size() >= kMaxPermissions)) {
    e.response = 508;
    return;
  }
  if (!a.channels.contains(number)) ++e.channels_created;
  a.channels[number] = {peer, now + kChannelLifetime};
  a.cooling.erase(number);
  // §12.2: binding installs or refreshes the permission too.
  if (!a.permissions.contains(PeerIp(peer))) ++e.permissions_created;
  a.permissions[PeerIp(peer)] = now + kPermissionLifetime;
  e.response = 0;
}

void Model::ToPeerIfPermitted(const Allocation& a, int peer, Effects& e) const {
  const std::optional<int> relay = kPeers[peer].ipv6 ? a.relay6 : a.relay4;
  if (relay && HasPermission(a, peer)) e.to_peer = ToPeer{*relay, peer};
}

void Model::SendIndication(int client, int peer, Effects& e) {
  Expire(e);
  if (const Allocation* a = Answered(client)) ToPeerIfPermitted(*a, peer, e);
}

void Model::ChannelData(int client, uint16_t number, Effects& e) {
  Expire(e);
  const Allocation* a = Answered(client);
  if (!a) return;
  // RFC 8656 §12.5: to the peer the number is bound to.
  auto channel = a->channels.find(number);
  if (channel == a->channels.end()) return;
  ToPeerIfPermitted(*a, channel->second.peer, e);
}

void Model::FromPeer(int client, int peer, Effects& e) {
  Expire(e);
  const Allocation* a = Answered(client);
  if (!a || !HasPermission(*a, peer)) return;
  e.to_client = ToClient{client, peer, std::nullopt};
  for (const auto& [number, channel] : a->channels) {
    // RFC 8656 §12.6: a bound peer's data goes in ChannelData.
    if (channel.peer == peer) e.to_client->channel = number;
  }
}

}  // namespace turnpike::testing::model
