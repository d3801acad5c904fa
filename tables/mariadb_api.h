// mariadb_api: MariaDB Connector/C (libmariadb), loaded at run time by the
// first mysql: table a process opens, as Postfix loads its mysql module
// only for the programs that use one.
//
// Linking libmariadb into every program made each daemon start about 2 ms
// dearer (it brings libssl, libcrypto and libz with it; bench/README.md,
// "Where the time goes"), and a daemon starts for every hundred or so
// messages whether it has a mysql: table or not. Only mysql_table.cpp
// calls the connector, through this table of functions:
//
//   util::StatusOr<const tables::MariadbApi*> api = tables::LoadMariadb();
//   if (!api.ok()) return api.status();      // "cannot load libmariadb...: why"
//   MYSQL* db = (*api)->init(nullptr);
//
// The library is named by its soname, read from the build's libmariadb.so
// by tables/CMakeLists.txt (MTA_MARIADB_LIB, e.g. libmariadb.so.3); the
// headers are the build's <mysql.h>.
#pragma once

#include <mysql.h>

#include "util/status.h"

namespace tables {

#define MTA_MARIADB_FUNCTIONS(X)                  \
  X(init, mysql_init)                             \
  X(options, mysql_options)                       \
  X(ssl_set, mysql_ssl_set)                       \
  X(real_connect, mysql_real_connect)             \
  X(close, mysql_close)                           \
  X(error, mysql_error)                           \
  X(errno_, mysql_errno)                          \
  X(real_escape_string, mysql_real_escape_string) \
  X(real_query, mysql_real_query)                 \
  X(store_result, mysql_store_result)             \
  X(num_fields, mysql_num_fields)                 \
  X(fetch_row, mysql_fetch_row)                   \
  X(fetch_lengths, mysql_fetch_lengths)           \
  X(free_result, mysql_free_result)               \
  X(next_result, mysql_next_result)

struct MariadbApi {
#define MTA_MARIADB_MEMBER(member, function) decltype(&::function) member = nullptr;
  MTA_MARIADB_FUNCTIONS(MTA_MARIADB_MEMBER)
#undef MTA_MARIADB_MEMBER
};

// Loads the library once per process (later calls return the same table,
// or the same error).
util::StatusOr<const MariadbApi*> LoadMariadb();

}  // namespace tables
