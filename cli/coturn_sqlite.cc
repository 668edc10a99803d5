#include "cli/coturn_sqlite.h"

#include <sqlite3.h>

#include <memory>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "cli/user_key.h"
#include "core/util/absl_compat.h"

namespace turnpike::cli {
namespace {

struct CloseDatabase {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct FinalizeStatement {
  void operator()(sqlite3_stmt* statement) const {
    sqlite3_finalize(statement);
  }
};
using Database = std::unique_ptr<sqlite3, CloseDatabase>;
using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// A busy database (coturn's turnadmin writing) is waited for this long,
// then the read fails and the last good snapshot stays.
constexpr int kBusyTimeoutMs = 250;

std::string_view Column(sqlite3_stmt* statement, int index) {
  const unsigned char* text = sqlite3_column_text(statement, index);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text),
          static_cast<size_t>(sqlite3_column_bytes(statement, index))};
}

// The last error on `db`, with what the operator can do about it.
absl::Status Failure(sqlite3* db, const std::string& path) {
  const int code = sqlite3_errcode(db) & 0xff;  // the primary result code
  const char* fix =
      code == SQLITE_BUSY || code == SQLITE_LOCKED
          ? "another process holds a write lock; reload when it is done"
      : code == SQLITE_ERROR
          ? "is this coturn's database (turndb/schema.sql, tables "
            "turnusers_lt and turn_secret)?"
          : "check or restore the database file (sqlite3 FILE 'PRAGMA "
            "integrity_check')";
  return absl::UnavailableError(absl::StrCat("userdb-sqlite ", path, ": ",
                                             sqlite3_errmsg(db), "; ", fix));
}

// Runs `sql` with the realm bound to ?1 and calls `row` for each result.
template <typename Row>
absl::Status ForEachRow(sqlite3* db, const std::string& path, const char* sql,
                        const std::string& realm, Row row) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    return Failure(db, path);
  }
  Statement statement(raw);
  sqlite3_bind_text(raw, 1, realm.data(), static_cast<int>(realm.size()),
                    SQLITE_TRANSIENT);
  for (;;) {
    const int step = sqlite3_step(raw);
    if (step == SQLITE_DONE) return absl::OkStatus();
    if (step != SQLITE_ROW) return Failure(db, path);
    row(raw);
  }
}

}  // namespace

absl::StatusOr<CoturnDatabase> ReadCoturnDatabase(const std::string& path,
                                                  const std::string& realm) {
  sqlite3* raw = nullptr;
  // Read-only, and never created: a mistyped path is an error, not a new
  // empty database.
  const int opened =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  Database db(raw);
  if (opened != SQLITE_OK) {
    return absl::NotFoundError(absl::StrCat(
        "userdb-sqlite ", path, ": ",
        raw ? sqlite3_errmsg(raw) : "out of memory",
        "; give the path of coturn's database (its `userdb` setting, often "
        "/var/lib/turn/turndb) and make it readable by turnpike"));
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  CoturnDatabase out;
  // A read transaction, so both tables come from one state of the file.
  if (sqlite3_exec(raw, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Failure(raw, path);
  }
  absl::Status users = ForEachRow(
      raw, path,
      "SELECT name, hmackey FROM turnusers_lt WHERE realm = ?1"
      "ORDER BY name",
      realm, [&](sqlite3_stmt* row) {
        core::Credential user{std::string(Column(row, 0)), ""};
        std::string_view hex = Column(row, 1);
        // turnadmin stores the key as bare hex; accept turnadmin -k's 0x too.
        if (hex.size() > 2 && hex[0] == '0' &&
            (hex[1] == 'x' || hex[1] == 'X')) {
          hex.remove_prefix(2);
        }
        // 32 hex digits: MD5; 64: SHA-256 (RFC 8489 §9.2.2).
        const std::string value =
            hex.size() == 64
                ? absl::StrCat(ToAbsl(kSha256KeyPrefix), "0x", ToAbsl(hex))
                : absl::StrCat("0x", ToAbsl(hex));
        if (!ParseUserKey(value, user).ok()) {
          out.skipped.push_back(absl::StrCat(
              "user '", user.username,
              "': hmackey is neither an MD5 (32 hex digits) nor a SHA-256 "
              "(64) key; set it again with turnadmin -a, or move the user to a "
              "users file"));
          return;
        }
        out.users.push_back(std::move(user));
      });
  if (!users.ok()) return users;
  absl::Status secrets = ForEachRow(
      raw, path,
      "SELECT value FROM turn_secret WHERE realm = ?1 ORDER BY value", realm,
      [&](sqlite3_stmt* row) {
        if (!Column(row, 0).empty()) {
          out.rest_secrets.emplace_back(Column(row, 0));
        }
      });
  if (!secrets.ok()) return secrets;
  sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr);
  return out;
}

}  // namespace turnpike::cli
