// cdb_table: the cdb: table, a constant database NAME.cdb (tinycdb) in the
// format Postfix's cdb_table(5) writes: keys and values WITHOUT a trailing
// NUL (lookups also try the NUL form, so a table built with postmap -N is
// found too).
//
//   opts.open_flags = O_RDWR | O_CREAT | O_TRUNC;   // postmap cdb:/etc/postfix/virtual
//   auto t = tables::Open("cdb:/etc/postfix/virtual", opts);
//   (*t)->Update("bob@example.jp", "bob@mail.example.jp");
//   (*t)->Commit();                                 // now /etc/postfix/virtual.cdb
//
// A cdb file cannot change in place: a build streams records into a
// temporary file that Commit() renames over NAME.cdb. Unlike Postfix (which
// refuses them), incremental changes work too (postmap -i, postmap -d): the
// first change loads the table into memory, Commit() writes it out anew.
// Lookups read the memory-mapped file. Duplicate keys follow the kDup*
// flags as for hash: (db_table.h), with Postfix's cdb wording "NAME:
// duplicate entry: "key""; they are found through an in-memory set of key
// hashes, not by scanning the records written so far. Sequence (postmap -s)
// works, which Postfix's cdb does not offer.
#pragma once

#include <memory>
#include <string_view>

#include "tables/table.h"
#include "util/status.h"

namespace tables {

util::StatusOr<std::unique_ptr<Table>> OpenCdb(std::string_view name, const OpenOptions& options);

}  // namespace tables
