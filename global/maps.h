// maps: a list of lookup tables named by a parameter value, searched in
// order (Postfix's maps_find), with a process-wide cache of open tables.
//
//   auto aliases = maps::Maps::FromParameter(cfg, "virtual_alias_maps");
//   if (!aliases.ok()) msg::Fatal("%s", aliases.status().message().c_str());
//   tables::LookupResult r = aliases->Find("bob@example.jp");
//   if (r.temp_error()) defer("451 4.3.0 ...");      // never "not found"
//
// The list is the usual Postfix list ("hash:/a, mysql:/b", commas and/or
// white space) where braces group: "inline:{a=b, {c = d e}}, static:x" is
// two tables. Find() asks each table in turn: the first value found wins;
// a temporary error stops the search and is the result (logged as
// "TYPE:NAME lookup error for "KEY": REASON"); an empty value found is an
// error too, as in Postfix ("TITLE lookup of KEY returned an empty string
// result"). With Which::kFixedOnly only fixed-string tables are asked
// (IsFixedStringTable); the partial address forms of addr_find.h use it.
//
// Opening. Each table is opened once per process, shared by every list that
// names it (the cache key is the spec plus the flags). A malformed list, a
// spec without "type:" or an unsupported type is an Open() error
// (kFailedPrecondition, "TITLE: ..."), a configuration error for the caller
// to make fatal. A table of a known type that cannot be opened (a missing
// file, an unreadable mysql .cf) does not fail Open(): as in Postfix, it is
// logged ("TYPE:NAME is unavailable. REASON") and its lookups are temporary
// errors with that text, so mail is deferred rather than misrouted; the
// open is retried at the next change check. (Bad rules inside a regexp or
// cidr file are only warnings: the table opens without them.)
//
// Reopening. At most once per ChangeCheckInterval() (1 s by default) per
// table, Find() asks Table::Changed() and reopens a table whose file
// changed; if the reopen fails, the old table stays in use (with a
// warning) - better than Postfix, which would exit.
//
// Threads: the cache is safe to open from several threads, but a Maps and
// its tables are used by one thread at a time (daemons are single-threaded).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "tables/table.h"
#include "util/status.h"

namespace maps {

// Options for tables opened by a program with this configuration: `params`
// gives expanded main.cf values (nullopt for names that are not defined).
// `cfg` must outlive every table opened with the result.
tables::OpenOptions TableOptions(const config::Config& cfg,
                                 unsigned flags = tables::kDefaultLookupFlags);

// Whether a table matches keys as fixed strings (hash, btree, lmdb, cdb,
// texthash, inline, static, mysql, ...; proxy: as its inner type; unionmap:
// when all its tables are; pipemap: as its first table, the only one that
// sees the key) rather than as patterns (regexp, pcre, cidr, fail). Only fixed-string tables see
// partial address forms.
bool IsFixedStringTable(const tables::Table& table);
bool IsFixedStringSpec(std::string_view spec);

class Maps {
 public:
  enum class Which { kAll, kFixedOnly };

  Maps() = default;  // an empty list: Find() is always "not found"

  // Opens the tables of `list`; `title` names the list in messages
  // (normally the parameter name).
  static util::StatusOr<Maps> Open(std::string_view title, std::string_view list,
                                   const tables::OpenOptions& options);
  // The list is the expanded value of parameter `param`.
  static util::StatusOr<Maps> FromParameter(const config::Config& cfg, config::AnyParam param,
                                            unsigned flags = tables::kDefaultLookupFlags);

  tables::LookupResult Find(std::string_view key, Which which = Which::kAll);

  // Runs Find()'s change check on every table of the list now (still at
  // most once per ChangeCheckInterval() per table); a changed table is
  // reopened and Generation() grows. For caches that answer without Find().
  void CheckChanges();

  bool empty() const { return entries_.empty(); }
  const std::string& title() const { return title_; }
  // The table specs, in search order.
  std::vector<std::string> specs() const;

  struct Entry;  // a cached table (maps.cpp)

 private:
  std::string title_;
  std::vector<Entry*> entries_;
};

// Grows whenever a cached table is reopened after a change, or opened
// after being unavailable: results derived from tables (trivial-rewrite's
// resolve cache) are stale when it differs from the value they saw.
uint64_t Generation();

// How often Find() checks a table for changes (tests set zero).
void SetChangeCheckInterval(std::chrono::milliseconds interval);
std::chrono::milliseconds ChangeCheckInterval();

// Forgets every cached table. Only for tests: no Maps may be in use.
void ClearTableCache();

}  // namespace maps
