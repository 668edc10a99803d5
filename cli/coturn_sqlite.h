// coturn's SQLite user database (turnserver's `userdb`, turndb/schema.sql),
// read directly so a coturn operator can point turnpike at the database
// they already have: the long-term users of `turnusers_lt` (realm, name,
// hmackey: the hex MD5 or SHA-256 key of RFC 8489 §9.2.2, as turnadmin
// -a stores it) and the TURN REST API secrets of `turn_secret` (realm,
// value). Only rows of turnpike's realm are taken. The file is opened
// read-only and never written or locked for writing.
#ifndef TURNPIKE_CLI_COTURN_SQLITE_H_
#define TURNPIKE_CLI_COTURN_SQLITE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/deps.h"

namespace turnpike::cli {

struct CoturnDatabase {
  std::vector<core::Credential> users;  // keyed: Credential::key_algorithm
  std::vector<std::string> rest_secrets;
  // Rows of the realm that could not be used (a key of another length,
  // such as SHA-384 from an old coturn), one note each, for the log.
  std::vector<std::string> skipped;
};

// Fails with a message that starts "userdb-sqlite PATH: " and says what to
// fix when the file is missing, not a database, locked, or lacks the
// tables.
absl::StatusOr<CoturnDatabase> ReadCoturnDatabase(const std::string& path,
                                                  const std::string& realm);

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_COTURN_SQLITE_H_
