// A chain of credential stores: every store is asked, with the caller's
// arguments, and the candidates come back concatenated in store order.
#include "core/auth/credential_chain.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "core/auth/rest_credential_store.h"
#include "core/auth/static_credential_store.h"
#include "core/stun/integrity.h"

namespace turnpike::core::auth {
namespace {

constexpr std::string_view kRealm = "example.org";
const absl::Time kWall = absl::FromUnixSeconds(1'600'000'000);

// Answers every lookup with fixed candidates and records what it was asked.
class FixedStore final : public CredentialStore {
 public:
  explicit FixedStore(CredentialCandidates answer)
      : answer_(std::move(answer)) {}

  CredentialCandidates Find(std::string_view username, std::string_view realm,
                            absl::Time wall) const override {
    asked_.push_back({std::string(username), std::string(realm), wall});
    return answer_;
  }
  CredentialCandidates FindByUserhash(absl::Span<const uint8_t> userhash,
                                      std::string_view realm,
                                      absl::Time wall) const override {
    asked_.push_back({std::string(userhash.begin(), userhash.end()),
                      std::string(realm), wall});
    return answer_;
  }

  struct Question {
    std::string key;  // the username, or the userhash bytes
    std::string realm;
    absl::Time wall;
  };
  const std::vector<Question>& asked() const { return asked_; }

 private:
  CredentialCandidates answer_;
  mutable std::vector<Question> asked_;
};

std::vector<std::string> Passwords(const CredentialCandidates& candidates) {
  std::vector<std::string> out;
  for (const Credential& c : candidates) out.push_back(c.password);
  return out;
}

TEST_CASE("an empty chain finds nothing") {
  const CredentialChain chain({});
  CHECK(chain.Find("alice", kRealm, kWall).empty());
  CHECK(
      chain
          .FindByUserhash(stun::ComputeUserhash("alice", kRealm), kRealm, kWall)
          .empty());
}

TEST_CASE("Find concatenates every store's candidates in store order") {
  const FixedStore first({{"u", "a1"}, {"u", "a2"}});
  const FixedStore empty({});
  const FixedStore last(CredentialCandidates{{"u", "b1"}});
  const CredentialChain chain({&first, &empty, &last});

  CHECK(Passwords(chain.Find("u", kRealm, kWall)) ==
        std::vector<std::string>{"a1", "a2", "b1"});
  // Each store saw exactly the caller's question.
  for (const FixedStore* store : {&first, &empty, &last}) {
    REQUIRE(store->asked().size() == 1);
    CHECK(store->asked()[0].key == "u");
    CHECK(store->asked()[0].realm == kRealm);
    CHECK(store->asked()[0].wall == kWall);
  }

  const CredentialChain reversed({&last, &first});
  CHECK(Passwords(reversed.Find("u", kRealm, kWall)) ==
        std::vector<std::string>{"b1", "a1", "a2"});
}

TEST_CASE("FindByUserhash asks every store with the same hash") {
  const FixedStore first(CredentialCandidates{{"alice", "a"}});
  const FixedStore second(CredentialCandidates{{"alice", "b"}});
  const CredentialChain chain({&first, &second});
  const auto hash = stun::ComputeUserhash("alice", kRealm);

  CHECK(Passwords(chain.FindByUserhash(hash, kRealm, kWall)) ==
        std::vector<std::string>{"a", "b"});
  for (const FixedStore* store : {&first, &second}) {
    REQUIRE(store->asked().size() == 1);
    CHECK(store->asked()[0].key == std::string(hash.begin(), hash.end()));
    CHECK(store->asked()[0].realm == kRealm);
    CHECK(store->asked()[0].wall == kWall);
  }
}

TEST_CASE("static users and REST secrets together") {
  absl::StatusOr<StaticCredentialStore> users = StaticCredentialStore::Create(
      std::string(kRealm),
      {{"alice", "wonderland"}, {"1700000000:bob", "static-bob"}});
  REQUIRE(users.ok());
  absl::StatusOr<RestCredentialStore> rest =
      RestCredentialStore::Create(std::string(kRealm), {"s3cret", "other"});
  REQUIRE(rest.ok());
  const CredentialChain chain({&*users, &*rest});

  // Only the static store knows alice; REST wants a leading expiry.
  CHECK(Passwords(chain.Find("alice", kRealm, kWall)) ==
        std::vector<std::string>{"wonderland"});
  // A name both can answer: the static user first, then one per secret.
  CHECK(Passwords(chain.Find("1700000000:bob", kRealm, kWall)) ==
        std::vector<std::string>{"static-bob", "iqOUFv+P824wi/aW3liW77QZa80=",
                                 "WJOb8MYAmgEYmAxcF11G6yGVLk4="});
  // After the REST expiry only the static user remains.
  CHECK(Passwords(chain.Find("1700000000:bob", kRealm,
                             absl::FromUnixSeconds(1'700'000'000))) ==
        std::vector<std::string>{"static-bob"});
  // USERHASH reaches the static users only.
  CHECK(Passwords(chain.FindByUserhash(stun::ComputeUserhash("alice", kRealm),
                                       kRealm, kWall)) ==
        std::vector<std::string>{"wonderland"});
  CHECK(chain.Find("alice", "example.net", kWall).empty());
}

}  // namespace
}  // namespace turnpike::core::auth
