// table: the one lookup-table interface (Postfix's dict), opened by
// "type:name".
//
// A lookup has exactly three outcomes (LookupResult): found (a value), not
// found, or a temporary error (a reason; callers defer: SMTP 451 4.3.0,
// delivery "deferred"). A temporary error is never "not found".
//
//   tables::OpenOptions opts;                 // read-only, Postfix's default flags
//   opts.params = [&](std::string_view n) { return cfg.Get(n); };  // main.cf, expanded
//   auto t = tables::Open("hash:/etc/postfix/virtual", opts);
//   if (!t.ok()) msg::Fatal("%s", t.status().message().c_str());   // bad type, missing file
//   tables::LookupResult r = (*t)->Lookup("bob@example.jp");
//   if (r.found()) use(r.value); else if (r.temp_error()) defer(r.value);
//
// Writable types (hash, btree, lmdb, cdb: postmap builds them) add Update,
// Delete and Sequence. File-based tables remember their file's identity;
// Changed() tells a long-running process to reopen them.
//
// Key conventions (Postfix's dict flags): with kFoldFixed the key is
// lower-cased before lookup and update (postmap's default, off with -f);
// indexed files store key and value with a trailing NUL (kTryNul), and
// lookups try with and without it, as Postfix does.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace tables {

struct LookupResult {
  enum class Kind { kFound, kNotFound, kTempError };
  Kind kind = Kind::kNotFound;
  std::string value;  // kFound: the value; kTempError: the reason

  static LookupResult Found(std::string v) { return {Kind::kFound, std::move(v)}; }
  static LookupResult NotFound() { return {Kind::kNotFound, {}}; }
  static LookupResult TempError(std::string reason) {
    return {Kind::kTempError, std::move(reason)};
  }
  bool found() const { return kind == Kind::kFound; }
  bool not_found() const { return kind == Kind::kNotFound; }
  bool temp_error() const { return kind == Kind::kTempError; }
};

// Dictionary flags (Postfix's DICT_FLAG_*), combined with |.
enum Flags : unsigned {
  kNone = 0,
  kFoldFixed = 1u << 0,      // lower-case keys (fixed-string tables)
  kFoldMul = 1u << 1,        // lower-case keys (regexp/pcre: match case-insensitively by default)
  kTryNul = 1u << 2,         // stored keys include a trailing NUL
  kTryNoNul = 1u << 3,       // stored keys have no trailing NUL
  kDupWarn = 1u << 4,        // on duplicate key during build: warn, keep first
  kDupIgnore = 1u << 5,      // on duplicate key: silently keep first
  kDupReplace = 1u << 6,     // on duplicate key: replace
  kNoRegsub = 1u << 7,       // regexp/pcre: no $n substitution (security-sensitive callers)
  kNoProxy = 1u << 8,        // refuse proxy: (proxymap itself)
  kUtf8 = 1u << 9,           // keys/values must be valid UTF-8
  kSrcRhsIsFile = 1u << 10,  // postmap -F: values are file names (unused for now)
};

// The default flags of a table opened for lookups by a daemon: fold case,
// try keys with and without the trailing NUL. (postmap chooses its own
// flags per type: each indexed type writes in its own NUL convention.)
inline constexpr unsigned kDefaultLookupFlags = kFoldFixed | kTryNul | kTryNoNul;

// How to open a table. `params` returns the expanded value of a main.cf
// parameter (nullopt: undefined); tables that read main.cf settings
// (mysql:name embedded form, proxy: socket location) use it. Without it
// they see no main.cf at all.
struct OpenOptions {
  int open_flags = 0;  // O_RDONLY (0), or O_RDWR|O_CREAT[|O_TRUNC] to build
  unsigned flags = kDefaultLookupFlags;
  std::function<std::optional<std::string>(std::string_view)> params;
};

class Table {
 public:
  Table(std::string type, std::string name, unsigned flags)
      : type_(std::move(type)), name_(std::move(name)), flags_(flags) {}
  virtual ~Table() = default;
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  virtual LookupResult Lookup(std::string_view key) = 0;

  // Writable tables. Defaults say the table type is read-only.
  virtual util::Status Update(std::string_view key, std::string_view value);
  // kNotFound when the key is absent.
  virtual util::Status Delete(std::string_view key);
  // Calls `fn` for every entry (postmap -s); stops early when fn returns false.
  virtual util::Status Sequence(
      const std::function<bool(std::string_view key, std::string_view value)>& fn);
  // Makes updates durable and visible (a build: write, sync, rename into
  // place). Called once by postmap after the last Update.
  virtual util::Status Commit() { return util::OkStatus(); }

  // True when the underlying file changed since it was opened (reopen it).
  virtual bool Changed() const { return false; }

  // What a build does with a key the table has already (unless
  // kDupReplace, which the table applies itself): nothing with kDupIgnore,
  // a warning with kDupWarn, otherwise this error. Postfix's words,
  // WHERE: duplicate entry: "KEY", WHERE as DuplicateWhere() says.
  util::Status Duplicate(std::string_view key) const;

  // True when the table keeps its keys in byte order (btree, lmdb): Updates
  // in that order fill its pages one after another, so a bulk load
  // (global/table_loader.h) sorts its entries first: the file is about
  // half as large as in source order, and lookups are faster.
  virtual bool KeysInByteOrder() const { return false; }

  const std::string& type() const { return type_; }
  const std::string& name() const { return name_; }
  std::string spec() const { return type_ + ":" + name_; }
  unsigned flags() const { return flags_; }

 protected:
  // The table as a duplicate warning names it: spec() unless the type says
  // otherwise (hash and btree the .db file, cdb the source name).
  virtual std::string DuplicateWhere() const { return spec(); }
  // Applies kFoldFixed to a key (helper for implementations).
  std::string FoldKey(std::string_view key) const;

 private:
  std::string type_;
  std::string name_;
  unsigned flags_;
};

}  // namespace tables
