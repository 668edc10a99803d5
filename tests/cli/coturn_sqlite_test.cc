// coturn's SQLite user database read directly (userdb-sqlite): a database
// made with coturn's schema (turndb/schema.sql) in a temporary directory,
// rows of two realms, and the failures an operator meets (missing file, not
// a database, a writer holding the lock).
#include "cli/coturn_sqlite.h"

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/time/time.h"
#include "cli/user_key.h"
#include "core/stun/integrity.h"
#include "core/util/absl_compat.h"
#include "tests/cli/fake_inputs.h"

namespace turnpike::cli {
namespace {

// coturn's turndb/schema.sql, the two tables turnpike reads and one it
// ignores.
constexpr const char* kCoturnSchema = R"sql(
CREATE TABLE turnusers_lt (
    realm varchar(127) default '',
    name varchar(512),
    hmackey char(128),
    PRIMARY KEY (realm,name)
);
CREATE TABLE turn_secret (
    realm varchar(127) default '',
    value varchar(256),
    primary key (realm,value)
);
CREATE TABLE allowed_peer_ip (
    realm varchar(127) default '',
    ip_range varchar(256),
    primary key (realm,ip_range)
);
)sql";

// A temporary directory removed with what it holds.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/turnpike-sqlite-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    for (const char* name : {"/turndb", "/garbage"}) {
      unlink((path_ + name).c_str());
    }
    rmdir(path_.c_str());
  }
  std::string File(const char* name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void Exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  INFO(sql << ": " << (error ? error : ""));
  sqlite3_free(error);
  REQUIRE(rc == SQLITE_OK);
}

std::string Hex(const stun::HmacKey& key) {
  std::string out;
  for (uint8_t byte : key) {
    static constexpr char kDigits[] = "0123456789abcdef";
    out += kDigits[byte >> 4];
    out += kDigits[byte & 15];
  }
  return out;
}

// The coturn example database: north.gov users and secret, and a user and
// secret of another realm that must not be taken.
std::string MakeDatabase(const TempDir& dir) {
  const std::string path = dir.File("turndb");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  Exec(db, kCoturnSchema);
  const std::string gorst_sha256 = Hex(stun::LongTermKey(
      stun::PasswordAlgorithmId::kSha256, "gorst", "north.gov", "hero"));
  Exec(db,
       "INSERT INTO turnusers_lt VALUES "
       "('north.gov', 'ninefingers', 'bc807ee29df3c9ffa736523fb2c4e8ee'),"
       "('north.gov', 'gorst', '" +
           gorst_sha256 +
           "'),"
           "('north.gov', 'old384', '" +
           std::string(96, 'a') +
           "'),"
           "('crinna.org', 'whirrun', '6972e85e51f36e53b0b61759c5a5219a');"
           "INSERT INTO turn_secret VALUES ('north.gov', 'logen'),"
           "('crinna.org', 'north');");
  sqlite3_close(db);
  return path;
}

TEST_CASE("coturn's database gives the users and secrets of the realm only") {
  TempDir dir;
  const std::string path = MakeDatabase(dir);
  auto db = ReadCoturnDatabase(path, "north.gov");
  REQUIRE_MESSAGE(db.ok(), FromAbsl(db.status().message()));
  REQUIRE(db->users.size() == 2);
  CHECK(db->users[0].username == "gorst");
  CHECK(db->users[0].key_algorithm == stun::PasswordAlgorithmId::kSha256);
  CHECK(db->users[0].key ==
        stun::LongTermKey(stun::PasswordAlgorithmId::kSha256, "gorst",
                          "north.gov", "hero"));
  CHECK(db->users[1].username == "ninefingers");
  CHECK(db->users[1].key_algorithm == stun::PasswordAlgorithmId::kMd5);
  CHECK(db->users[1].key == stun::LongTermKey(stun::PasswordAlgorithmId::kMd5,
                                              "ninefingers", "north.gov",
                                              "youhavetoberealistic"));
  REQUIRE(db->rest_secrets.size() == 1);
  CHECK(db->rest_secrets[0] == "logen");
  REQUIRE(db->skipped.size() == 1);
  CHECK(db->skipped[0].find("old384") != std::string::npos);
}

TEST_CASE("userdb-sqlite feeds the snapshot LoadSettings builds") {
  TempDir dir;
  const std::string path = MakeDatabase(dir);
  auto settings = testing::Load(
      {"--realm", "north.gov", "--userdb-sqlite", path, "--user", "local:pw"});
  REQUIRE_MESSAGE(settings.ok(), testing::ErrorOf(settings));
  CHECK(settings->users.size() == 3);
  CHECK(settings->rest_secrets.size() == 1);
  const absl::Time wall = absl::FromUnixSeconds(1'700'000'000);
  auto found = settings->credentials->Find("ninefingers", "north.gov", wall);
  REQUIRE(found.size() == 1);
  CHECK(found[0].key_algorithm == stun::PasswordAlgorithmId::kMd5);
  CHECK(settings->credentials->Find("whirrun", "north.gov", wall).empty());
}

TEST_CASE("a missing or broken coturn database is a clear error") {
  TempDir dir;
  auto missing = ReadCoturnDatabase(dir.File("turndb"), "north.gov");
  REQUIRE_FALSE(missing.ok());
  const std::string message(FromAbsl(missing.status().message()));
  CHECK(message.find("userdb-sqlite " + dir.File("turndb")) == 0);
  // Read-only: a mistyped path creates nothing.
  CHECK(access(dir.File("turndb").c_str(), F_OK) != 0);

  std::ofstream(dir.File("garbage")) << "this is not a database\n";
  auto garbage = ReadCoturnDatabase(dir.File("garbage"), "north.gov");
  REQUIRE_FALSE(garbage.ok());
  CHECK(
      std::string(FromAbsl(garbage.status().message())).find("userdb-sqlite") ==
      0);

  // A database without coturn's tables.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.File("turndb").c_str(), &db) == SQLITE_OK);
  Exec(db, "CREATE TABLE other (x);");
  sqlite3_close(db);
  auto wrong = ReadCoturnDatabase(dir.File("turndb"), "north.gov");
  REQUIRE_FALSE(wrong.ok());
  CHECK(std::string(FromAbsl(wrong.status().message())).find("coturn") !=
        std::string::npos);
}

TEST_CASE("a coturn database locked by a writer fails the read") {
  TempDir dir;
  const std::string path = MakeDatabase(dir);
  sqlite3* writer = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &writer) == SQLITE_OK);
  Exec(writer, "BEGIN EXCLUSIVE");
  auto locked = ReadCoturnDatabase(path, "north.gov");
  REQUIRE_FALSE(locked.ok());
  CHECK(std::string(FromAbsl(locked.status().message())).find("lock") !=
        std::string::npos);
  Exec(writer, "COMMIT");
  sqlite3_close(writer);
  CHECK(ReadCoturnDatabase(path, "north.gov").ok());
}

}  // namespace
}  // namespace turnpike::cli
