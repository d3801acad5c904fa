#include "tables/db_table.h"

#include <db.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "tables/indexed_file.h"
#include "util/msg.h"
#include "util/strings.h"

namespace tables {
namespace {

constexpr unsigned kDefaultCreateCache = 16 * 1024 * 1024;  // berkeley_db_create_buffer_size
constexpr unsigned kDefaultReadCache = 128 * 1024;          // berkeley_db_read_buffer_size

DBT MakeDbt(const void* data, size_t size) {
  DBT d;
  memset(&d, 0, sizeof(d));
  d.data = const_cast<void*>(data);
  d.size = static_cast<u_int32_t>(size);
  return d;
}

std::string DbError(int err) { return err > 0 ? strerror(err) : db_strerror(err); }

void LogDbError(const DB_ENV*, const char*, const char* text) { msg::Warn("%s", text); }

unsigned CacheParam(const OpenOptions& o, const char* name, unsigned fallback) {
  if (!o.params) return fallback;
  std::optional<std::string> v = o.params(name);
  if (!v) return fallback;
  std::optional<long long> n = util::ParseInt(*v);
  if (!n || *n <= 0 || *n > (1ll << 31)) return fallback;
  return static_cast<unsigned>(*n);
}

class DbTable : public IndexedTable {
 public:
  DbTable(std::string type, std::string_view name, unsigned flags, DBTYPE dbtype,
          const OpenOptions& o)
      : IndexedTable(std::move(type), name, flags, std::string(name) + ".db"),
        dbtype_(dbtype),
        nul_(flags, /*prefer_nul=*/true),
        create_cache_(CacheParam(o, "berkeley_db_create_buffer_size", kDefaultCreateCache)),
        read_cache_(CacheParam(o, "berkeley_db_read_buffer_size", kDefaultReadCache)) {}

  ~DbTable() override { CloseHandle(); }

  util::Status Open(int open_flags) {
    int mode = open_flags & O_ACCMODE;
    if (mode == O_RDONLY) {
      id_ = FileIdentity::Of(path_);
      return OpenHandle(path_, DB_RDONLY, read_cache_);
    }
    auto lock = WriteLock::Acquire(path_);
    if (!lock.ok()) return lock.status();
    lock_ = std::move(*lock);
    id_ = FileIdentity::Of(path_);
    if ((open_flags & O_TRUNC) || (!lock_.existing() && (open_flags & O_CREAT))) {
      temp_ = std::make_unique<TempFile>(path_);
      unlink(temp_->path().c_str());
      return OpenHandle(temp_->path(), DB_CREATE | DB_EXCL, create_cache_, path_);
    }
    if (!lock_.existing()) return OpenDatabaseError(path_, ENOENT);
    return OpenHandle(path_, DB_RDONLY, read_cache_);
  }

  LookupResult Lookup(std::string_view key) override {
    if (!db_) return LookupResult::TempError("table " + spec() + " is not open");
    SetKey(key);
    DBT value;
    for (int i = 0; i < nul_.count(); ++i) {
      bool with_nul = nul_.form(i);
      int r = Get(with_nul, &value);
      if (r == 0) {
        nul_.Learn(with_nul);
        return LookupResult::Found(
            std::string(StripNul({static_cast<const char*>(value.data), value.size})));
      }
      if (r != DB_NOTFOUND)
        return LookupResult::TempError("error reading " + path_ + ": " + DbError(r));
    }
    return LookupResult::NotFound();
  }

  bool KeysInByteOrder() const override { return dbtype_ == DB_BTREE; }

  util::Status Update(std::string_view key, std::string_view value) override {
    if (util::Status st = MakeWritable(); !st.ok()) return st;
    SetKey(key);
    bool nul = nul_.write_nul();
    if (nul) key_.push_back('\0');
    value_.assign(value);
    if (nul) value_.push_back('\0');
    DBT k = MakeDbt(key_.data(), key_.size());
    DBT v = MakeDbt(value_.data(), value_.size());
    int r = db_->put(db_, nullptr, &k, &v, (flags() & kDupReplace) ? 0 : DB_NOOVERWRITE);
    if (r == DB_KEYEXIST) {
      if (nul) key_.pop_back();
      return Duplicate(key_);
    }
    if (r != 0) return util::Unavailable("error writing " + path_ + ": " + DbError(r));
    return util::OkStatus();
  }

  util::Status Delete(std::string_view key) override {
    if (!db_) return util::FailedPrecondition("table " + spec() + " is not open");
    SetKey(key);
    DBT value;
    std::optional<bool> form;  // which form is stored
    for (int i = 0; i < nul_.count() && !form; ++i) {
      int r = Get(nul_.form(i), &value);
      if (r == 0)
        form = nul_.form(i);
      else if (r != DB_NOTFOUND)
        return util::Unavailable("error reading " + path_ + ": " + DbError(r));
    }
    if (!form) return util::NotFound("not found");
    if (util::Status st = MakeWritable(); !st.ok()) return st;
    SetKey(key);
    if (*form) key_.push_back('\0');
    DBT k = MakeDbt(key_.data(), key_.size());
    int r = db_->del(db_, nullptr, &k, 0);
    if (r == DB_NOTFOUND) return util::NotFound("not found");
    if (r != 0) return util::Unavailable("error deleting from " + path_ + ": " + DbError(r));
    return util::OkStatus();
  }

  util::Status Sequence(
      const std::function<bool(std::string_view, std::string_view)>& fn) override {
    if (!db_) return util::FailedPrecondition("table " + spec() + " is not open");
    DBC* cursor = nullptr;
    if (int r = db_->cursor(db_, nullptr, &cursor, 0); r != 0)
      return util::Unavailable("error reading " + path_ + ": " + DbError(r));
    DBT k = MakeDbt(nullptr, 0), v = MakeDbt(nullptr, 0);
    int r;
    while ((r = cursor->get(cursor, &k, &v, DB_NEXT)) == 0) {
      if (!fn(StripNul({static_cast<const char*>(k.data), k.size}),
              StripNul({static_cast<const char*>(v.data), v.size})))
        break;
    }
    cursor->close(cursor);
    if (r != 0 && r != DB_NOTFOUND)
      return util::Unavailable("error reading " + path_ + ": " + DbError(r));
    return util::OkStatus();
  }

  util::Status Commit() override {
    if (!temp_) return util::OkStatus();
    int r = db_->close(db_, 0);
    db_ = nullptr;
    if (r != 0) return util::Unavailable("error writing " + path_ + ": " + DbError(r));
    if (util::Status st = InstallTemp(); !st.ok()) return st;
    return OpenHandle(path_, DB_RDONLY, read_cache_);
  }

 private:
  std::string DuplicateWhere() const override { return path_; }  // NAME.db
  void SetKey(std::string_view key) {
    key_.assign(key);
    if (flags() & kFoldFixed) FoldCase(&key_);
  }

  // Looks up key_ (already folded) with or without a NUL; key_ is unchanged.
  int Get(bool with_nul, DBT* value) {
    if (with_nul) key_.push_back('\0');
    DBT k = MakeDbt(key_.data(), key_.size());
    *value = MakeDbt(nullptr, 0);
    int r = db_->get(db_, nullptr, &k, value, 0);
    if (with_nul) key_.pop_back();
    return r;
  }

  util::Status OpenHandle(const std::string& file, u_int32_t db_flags, unsigned cache,
                          const std::string& report_as = {}) {
    CloseHandle();
    const std::string& shown = report_as.empty() ? file : report_as;
    int r = db_create(&db_, nullptr, 0);
    if (r != 0) {
      db_ = nullptr;
      return util::Unavailable("open database " + shown + ": " + DbError(r));
    }
    db_->set_errcall(db_, LogDbError);
    db_->set_cachesize(db_, 0, cache, 0);
    if (dbtype_ == DB_HASH && (db_flags & DB_CREATE)) db_->set_h_nelem(db_, 4096);
    r = db_->open(db_, nullptr, file.c_str(), nullptr, dbtype_, db_flags, 0644);
    if (r != 0) {
      CloseHandle();
      if (r > 0) return OpenDatabaseError(shown, r);
      return util::FailedPrecondition("open database " + shown + ": " + DbError(r));
    }
    return util::OkStatus();
  }

  void CloseHandle() {
    if (db_) db_->close(db_, 0);
    db_ = nullptr;
  }

  // First change of an existing table: continue in a copy of it.
  util::Status MakeWritable() {
    if (temp_) return util::OkStatus();
    if (util::Status st = CopyLiveFile(); !st.ok()) return st;
    CloseHandle();
    // A cache that holds the whole table keeps the update from thrashing.
    unsigned long long size = static_cast<unsigned long long>(lock_.st().st_size);
    unsigned cache = static_cast<unsigned>(std::min(
        1ull << 30, std::max(size + size / 4, static_cast<unsigned long long>(create_cache_))));
    return OpenHandle(temp_->path(), 0, cache, path_);
  }

  DB* db_ = nullptr;
  DBTYPE dbtype_;
  NulConvention nul_;
  unsigned create_cache_;
  unsigned read_cache_;
  std::string key_;
  std::string value_;
};

util::StatusOr<std::unique_ptr<Table>> OpenDb(const char* type, DBTYPE dbtype,
                                              std::string_view name, const OpenOptions& o) {
  if (name.empty()) return util::FailedPrecondition(std::string(type) + ": empty table name");
  auto t = std::make_unique<DbTable>(type, name, o.flags, dbtype, o);
  if (util::Status st = t->Open(o.open_flags); !st.ok()) return st;
  return std::unique_ptr<Table>(std::move(t));
}

}  // namespace

util::StatusOr<std::unique_ptr<Table>> OpenHash(std::string_view name, const OpenOptions& o) {
  return OpenDb("hash", DB_HASH, name, o);
}

util::StatusOr<std::unique_ptr<Table>> OpenBtree(std::string_view name, const OpenOptions& o) {
  return OpenDb("btree", DB_BTREE, name, o);
}

}  // namespace tables
