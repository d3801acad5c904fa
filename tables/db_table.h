// db_table: the hash: and btree: tables, Berkeley DB 5.3 files NAME.db,
// byte-compatible with Postfix's (db_table(5) of Postfix: DB_HASH and
// DB_BTREE without an environment).
//
//   opts.open_flags = O_RDWR | O_CREAT | O_TRUNC;   // postmap: build from scratch
//   auto t = tables::Open("hash:/etc/postfix/virtual", opts);
//   (*t)->Update("bob@example.jp", "bob@mail.example.jp");
//   (*t)->Commit();                                 // now /etc/postfix/virtual.db
//
// Open flags: O_RDONLY (lookups; a missing NAME.db is kNotFound "open
// database NAME.db: No such file or directory"); O_RDWR (change an existing
// table: postmap -d); O_RDWR|O_CREAT (postmap -i: change, or create when
// missing); O_RDWR|O_CREAT|O_TRUNC (build from scratch). A writable table
// collects changes in a temporary file beside NAME.db (see indexed_file.h)
// and only Commit() makes them visible, atomically; destroying the table
// without Commit() discards them.
//
// Keys and values are stored with a trailing NUL, as Postfix does (-n:
// kTryNoNul alone stores them without); lookups try both forms. Keys are
// lower-cased with kFoldFixed. A duplicate key during Update follows the
// kDup* flags: warn "NAME.db: duplicate entry: "key"" and keep the first
// (kDupWarn), keep it silently (kDupIgnore), replace it (kDupReplace); with
// none of them it is an error. Cache sizes come from main.cf
// (berkeley_db_create_buffer_size for writers, berkeley_db_read_buffer_size
// for readers) through OpenOptions::params.
#pragma once

#include <memory>
#include <string_view>

#include "tables/table.h"
#include "util/status.h"

namespace tables {

util::StatusOr<std::unique_ptr<Table>> OpenHash(std::string_view name, const OpenOptions& options);
util::StatusOr<std::unique_ptr<Table>> OpenBtree(std::string_view name, const OpenOptions& options);

}  // namespace tables
