// lmdb_table: the lmdb: table, an LMDB file NAME.lmdb compatible with
// Postfix's lmdb_table(5): one unnamed database in a single file
// (MDB_NOSUBDIR), no lock file (MDB_NOLOCK: writers serialize with
// flock(2) on the file, as Postfix does), keys and values stored with a
// trailing NUL.
//
//   opts.open_flags = O_RDWR | O_CREAT | O_TRUNC;   // postmap lmdb:/etc/postfix/virtual
//   auto t = tables::Open("lmdb:/etc/postfix/virtual", opts);
//   (*t)->Update("bob@example.jp", "bob@mail.example.jp");
//   (*t)->Commit();                                 // now /etc/postfix/virtual.lmdb
//
// Open flags, Commit(), key folding, the NUL conventions and the kDup*
// flags behave as for hash: (db_table.h); the duplicate warning reads
// "lmdb:NAME: duplicate entry: "key"" (Postfix's wording). Changes go to a
// temporary file that Commit() renames over NAME.lmdb, so a reader never
// sees a half-written table. The map starts at lmdb_map_size (main.cf,
// through OpenOptions::params; 16 MB) and doubles whenever it fills up, so
// a table of any size can be built. Keys are limited to LMDB's 511 bytes.
// Readers use one reusable read transaction, renewed for each lookup.
#pragma once

#include <memory>
#include <string_view>

#include "tables/table.h"
#include "util/status.h"

namespace tables {

util::StatusOr<std::unique_ptr<Table>> OpenLmdb(std::string_view name, const OpenOptions& options);

}  // namespace tables
