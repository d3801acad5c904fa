// mysql_table: the mysql: lookup table (Postfix's mysql_table(5)), a client
// of MariaDB/MySQL servers through MariaDB Connector/C.
//
//   mysql:/etc/postfix/sql/virtual_alias.cf   a file in main.cf syntax
//   mysql:vhosts                               main.cf parameters vhosts_hosts,
//                                              vhosts_query, ... (legacy form)
//
// Parameters (mysql_table(5)): hosts, user, password, dbname, query,
// result_format, domain, expansion_limit, option_file, option_group
// (default "client"), require_result_set, tls_cert_file, tls_key_file,
// tls_CAfile, tls_CApath, tls_ciphers, tls_verify_cert, and the legacy
// select_field/table/where_field/additional_conditions used when `query` is
// not set. Extensions: charset (default utf8mb4, as Postfix 3.9),
// idle_interval (60s: an open connection unused that long is closed before
// the next lookup), retry_interval (60s: the longest rest of a failed host),
// connect_timeout (10s), query_timeout (30s: read/write timeout of a query).
// Unknown names in a .cf file are warned about ("FILE, line N: unused
// parameter: NAME"); bad values fail the open with "FILE, line N: ...".
// '%' templates: see mysql_expand.h. Keys are lower-cased with kFoldFixed.
//
// Failure handling (better than Postfix, which rests a host after any
// query error): an error caused by one query (an illegal mix of collations,
// invalid data, a missing table: any error while the connection is fine)
// is a temporary error for that key only; the connection stays open and the
// next key is looked up normally. Connection-level failures (cannot
// connect, server gone 2006/2013, timeouts) take the host out of rotation
// with a doubling backoff (1s up to retry_interval; see mysql_hosts.h) and
// the same query is tried on the next host; only when no host answers is
// the lookup a temporary error. A reused connection that the server closed
// meanwhile is reopened once to the same host before that host is rested.
// The lookup fails with a temporary error when expansion_limit is exceeded.
//
// Environment seam: the table talks to servers through MysqlConnector /
// MysqlConnection, so that tests can inject dead hosts and failing keys;
// NewMysqlTable takes the connector and the clock.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tables/mysql_expand.h"
#include "tables/mysql_hosts.h"
#include "tables/table.h"
#include "util/status.h"

namespace tables {

util::StatusOr<std::unique_ptr<Table>> OpenMysql(std::string_view name, const OpenOptions& options);

struct MysqlConfig {
  std::vector<MysqlHost> hosts;
  std::string user, password, dbname;
  std::string charset = "utf8mb4";
  std::string query;  // the legacy fields already folded in
  std::string result_format = "%s";
  std::vector<std::string> domain;  // items of the domain list
  long long expansion_limit = 0;
  std::string option_file;
  std::string option_group = "client";
  bool require_result_set = true;
  std::string tls_cert_file, tls_key_file, tls_CAfile, tls_CApath, tls_ciphers;
  bool tls_verify_cert = false;
  double idle_interval = 60;
  double retry_interval = 60;
  int connect_timeout = 10;
  int query_timeout = 30;
};

// A source of parameter values: the value of `name` (e.g. "hosts") and
// where it was defined ("FILE, line N" or "main.cf parameter vhosts_hosts"),
// or nullopt when it is not set.
struct MysqlParam {
  std::string value;
  std::string where;
};
using MysqlParamSource = std::function<std::optional<MysqlParam>(std::string_view name)>;

// Builds a configuration; `table` names the table in messages ("mysql:NAME").
// Errors are kFailedPrecondition "WHERE: bad VALUE..." or, with neither
// query nor the legacy fields, "TABLE: no query, and no select_field,
// table and where_field".
util::StatusOr<MysqlConfig> ParseMysqlConfig(const std::string& table, const MysqlParamSource& get);
// Reads a .cf file; unknown parameter names are appended to *warnings.
util::StatusOr<MysqlConfig> LoadMysqlCf(const std::string& path,
                                        std::vector<std::string>* warnings);

// The `domain` restriction: a list of domain names (compared without
// regard to case), "type:name" tables (a found key matches), "/file/name"
// files of further items, each optionally negated with "!". The first
// matching item decides.
class DomainFilter {
 public:
  enum class Match { kYes, kNo, kError };
  static util::StatusOr<DomainFilter> Create(const std::vector<std::string>& items,
                                             const OpenOptions& options);
  bool empty() const { return items_.empty(); }
  // kError: a table lookup failed (temporary); *reason says why.
  Match Check(std::string_view domain, std::string* reason) const;

 private:
  struct Item {
    bool negate = false;
    std::string text;              // lower-cased literal domain
    std::shared_ptr<Table> table;  // or a table
  };
  util::Status Add(std::string_view item, bool negate, const OpenOptions& options, int depth);
  std::vector<Item> items_;
};

// Whether a MySQL/MariaDB error number means the connection is unusable
// (client-side errors 2000-2999, server shutdown, killed or aborted
// connection, network errors) rather than a failure of one query.
bool IsMysqlConnectionError(unsigned error_number);

// One open connection to a server (the environment seam).
class MysqlConnection {
 public:
  struct Result {
    enum class Kind { kRows, kNoResultSet, kQueryError, kConnectionError };
    Kind kind = Kind::kRows;
    std::vector<std::vector<std::string>> rows;  // NULL columns are ""
    std::string error;
  };
  virtual ~MysqlConnection() = default;
  // Escapes a value for an SQL string literal in this connection's charset.
  virtual std::string Escape(std::string_view s) = 0;
  virtual Result Query(std::string_view sql) = 0;
};

class MysqlConnector {
 public:
  virtual ~MysqlConnector() = default;
  // kUnavailable with the client library's message when the host cannot be used.
  virtual util::StatusOr<std::unique_ptr<MysqlConnection>> Connect(const MysqlHost& host) = 0;
};

// The real connector (MariaDB Connector/C, loaded here: mariadb_api.h) for
// a configuration; kUnavailable when the library cannot be loaded.
util::StatusOr<std::unique_ptr<MysqlConnector>> NewMariadbConnector(const MysqlConfig& config);

// A mysql: table over any connector. `name` is what followed "mysql:".
util::StatusOr<std::unique_ptr<Table>> NewMysqlTable(std::string name, MysqlConfig config,
                                                     const OpenOptions& options,
                                                     std::unique_ptr<MysqlConnector> connector,
                                                     HostRotation::Clock clock = {},
                                                     uint32_t seed = 0);

}  // namespace tables
