// table_tool: the postmap(1) and postalias(1) commands, one implementation
// with two flavours (the programs' main() is one call).
//
//   int main(int argc, char** argv) { return table_tool::Main(argc, argv,
//   table_tool::Flavor::kPostmap); }
//
// POSTMAP
// Usage:
//   postmap [-Nfinoprvw] [-c DIR] [type:]file ...        build each table from `file`
//   postmap -i [type:]file ...                           add entries from stdin
//   postmap [-Nfn] -q key [type:]table ...               print the first value found
//   postmap [-Nfn] -q - [type:]table ...                 keys from stdin: "key<TAB>value"
//   postmap [-Nfn] -d key|- [type:]table ...             delete (keys from stdin with -)
//   postmap -s [type:]table ...                          print every "key<TAB>value"
//
// A table without "type:" has main.cf's default_database_type (hash). The
// writable types are hash, btree (NAME.db), lmdb (NAME.lmdb) and cdb
// (NAME.cdb); -q, -s and -d take any table type the registry knows (with
// -d and -s as far as the type supports them).
//
// Input format (postmap(1)): "key whitespace value"; blank lines and lines
// whose first non-blank character is '#' are skipped; a line that starts
// with white space continues the previous one. Keys are lower-cased unless
// -f. Warnings, as Postfix words them: "FILE, line N: expected format: key
// whitespace value", "FILE, line N: record is in "key: value" format; is
// this an alias file?", "FILE: logical line must not start with
// whitespace: "TEXT"", and each table type's duplicate-entry warning (-w:
// silently keep the first, -r: replace).
//
// Options: -c DIR configuration directory; -N / -n store and look up keys
// and values with / without a trailing NUL (default: the type's own
// convention for writing, both forms for reading); -f no case folding; -i
// incremental (do not start from an empty table); -o as root, keep root
// privileges (otherwise a build runs as the owner of its source file); -p
// new tables get mode 0644 (default: owner read-write plus the group and
// other read bits of the source file); -r replace duplicates; -w ignore
// duplicates silently; -v verbose.
//
// Exit status: 0 on success; -q and -d: 0 when at least one key was found,
// 1 when none was; 1 after a "postmap: fatal: ..." message (missing main.cf
// or source file, unknown or read-only table type, a table that cannot be
// read or written, a -q KEY lookup that failed with a temporary error:
// "table TYPE:NAME: query error: REASON").
//
// Differences from Postfix, on purpose: with -q -, a key whose lookup fails
// with a temporary error gets a warning ("table TYPE:NAME: query error for
// key "KEY": REASON") and the batch goes on with the next key (Postfix
// stops the whole batch: one undecodable address would hide all others);
// a rebuild never exposes a
// half-built table (each change is built in a temporary file and renamed
// into place, see tables/indexed_file.h), and cdb tables also support -i,
// -d and -s.
//
// POSTALIAS (postalias(1)): the same options and table handling, with
// these differences:
//   - the source is an aliases(5) file: "name: value" logical lines
//     (global/alias_syntax.h: the name ends at the first unquoted ':', the
//     value is stored normalized as Postfix stores it); a line without a
//     name:value pair gets "FILE, line N: need name:value pair";
//   - a full build (not -i) ends with Postfix's records YP_LAST_MODIFIED
//     (the build time), YP_MASTER_NAME ($myhostname) and "@" = "@";
//   - -s and -q - print "key:<TAB>value".
// newaliases (sendmail -bi) runs postalias on each $alias_database.
#pragma once

namespace table_tool {

enum class Flavor { kPostmap, kPostalias };

// The whole command: options, main.cf, then build, query, delete or list.
// Returns the exit status (fatal errors exit 1 through msg::Fatal).
int Main(int argc, char** argv, Flavor flavor);

}  // namespace table_tool
