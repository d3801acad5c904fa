#include "tables/lmdb_table.h"

#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "tables/indexed_file.h"
#include "util/msg.h"
#include "util/strings.h"

namespace tables {
namespace {

constexpr size_t kDefaultMapSize = 16 * 1024 * 1024;  // lmdb_map_size
constexpr size_t kBatch = 50000;                      // changes per write transaction

MDB_val Val(const std::string& s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view View(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

class LmdbTable : public IndexedTable {
 public:
  LmdbTable(std::string_view name, const OpenOptions& o)
      : IndexedTable("lmdb", name, o.flags, std::string(name) + ".lmdb"),
        nul_(o.flags, /*prefer_nul=*/true) {
    if (o.params) {
      if (auto v = o.params("lmdb_map_size")) {
        auto n = util::ParseInt(*v);
        if (n && *n > 0) map_size_ = static_cast<size_t>(*n);
      }
    }
  }

  ~LmdbTable() override { CloseEnv(); }

  util::Status Open(int open_flags) {
    if ((open_flags & O_ACCMODE) == O_RDONLY) {
      id_ = FileIdentity::Of(path_);
      return OpenReader();
    }
    auto lock = WriteLock::Acquire(path_);
    if (!lock.ok()) return lock.status();
    lock_ = std::move(*lock);
    id_ = FileIdentity::Of(path_);
    if ((open_flags & O_TRUNC) || (!lock_.existing() && (open_flags & O_CREAT))) {
      temp_ = std::make_unique<TempFile>(path_);
      if (util::Status st = temp_->Create(); !st.ok()) return st;
      return OpenWriter();
    }
    if (!lock_.existing()) return OpenDatabaseError(path_, ENOENT);
    return OpenReader();
  }

  LookupResult Lookup(std::string_view key) override {
    SetKey(key);
    MDB_txn* txn = nullptr;
    if (util::Status st = ReadTxn(&txn); !st.ok()) return LookupResult::TempError(st.message());
    MDB_val v;
    for (int i = 0; i < nul_.count(); ++i) {
      bool with_nul = nul_.form(i);
      int r = Get(txn, with_nul, &v);
      if (r == 0) {
        nul_.Learn(with_nul);
        LookupResult res = LookupResult::Found(std::string(StripNul(View(v))));
        DoneReading();
        return res;
      }
      if (r != MDB_NOTFOUND) {
        DoneReading();
        return LookupResult::TempError("error reading " + path_ + ": " + mdb_strerror(r));
      }
    }
    DoneReading();
    return LookupResult::NotFound();
  }

  bool KeysInByteOrder() const override { return true; }  // LMDB's default comparison

  util::Status Update(std::string_view key, std::string_view value) override {
    if (util::Status st = MakeWritable(); !st.ok()) return st;
    SetKey(key);
    bool nul = nul_.write_nul();
    value_.assign(value);
    if (nul) {
      key_.push_back('\0');
      value_.push_back('\0');
    }
    Op op{Op::kPut, (flags() & kDupReplace) ? 0u : MDB_NOOVERWRITE, key_, value_};
    int r = Apply(op);
    if (nul) key_.pop_back();
    if (r == MDB_KEYEXIST) return Duplicate(key_);
    if (r == MDB_BAD_VALSIZE) return util::InvalidArgument(path_ + ": key too long: " + key_);
    if (r != 0) return util::Unavailable("error writing " + path_ + ": " + mdb_strerror(r));
    return Pending(op);
  }

  util::Status Delete(std::string_view key) override {
    std::optional<bool> form;
    {
      SetKey(key);
      MDB_txn* txn = nullptr;
      if (util::Status st = ReadTxn(&txn); !st.ok()) return st;
      MDB_val v;
      for (int i = 0; i < nul_.count() && !form; ++i) {
        int r = Get(txn, nul_.form(i), &v);
        if (r == 0)
          form = nul_.form(i);
        else if (r != MDB_NOTFOUND) {
          DoneReading();
          return util::Unavailable("error reading " + path_ + ": " + mdb_strerror(r));
        }
      }
      DoneReading();
    }
    if (!form) return util::NotFound("not found");
    if (util::Status st = MakeWritable(); !st.ok()) return st;
    SetKey(key);
    if (*form) key_.push_back('\0');
    Op op{Op::kDel, 0, key_, {}};
    int r = Apply(op);
    if (r == MDB_NOTFOUND) return util::NotFound("not found");
    if (r != 0) return util::Unavailable("error deleting from " + path_ + ": " + mdb_strerror(r));
    return Pending(op);
  }

  util::Status Sequence(
      const std::function<bool(std::string_view, std::string_view)>& fn) override {
    MDB_txn* txn = nullptr;
    if (util::Status st = ReadTxn(&txn); !st.ok()) return st;
    MDB_cursor* cursor = nullptr;
    int r = mdb_cursor_open(txn, dbi_, &cursor);
    if (r == 0) {
      MDB_val k, v;
      while ((r = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) == 0) {
        if (!fn(StripNul(View(k)), StripNul(View(v)))) break;
      }
      mdb_cursor_close(cursor);
    }
    DoneReading();
    if (r != 0 && r != MDB_NOTFOUND)
      return util::Unavailable("error reading " + path_ + ": " + mdb_strerror(r));
    return util::OkStatus();
  }

  util::Status Commit() override {
    if (!temp_) return util::OkStatus();
    if (util::Status st = CommitBatch(); !st.ok()) return st;
    // MDB_WRITEMAP made the file as large as the map (lmdb_map_size, a
    // sparse file): it is cut to the pages in use, which is all a reader
    // maps and all Postfix's postmap writes.
    MDB_envinfo info;
    MDB_stat stat;
    off_t used = 0;
    if (mdb_env_info(env_, &info) == 0 && mdb_env_stat(env_, &stat) == 0)
      used = static_cast<off_t>(info.me_last_pgno + 1) * stat.ms_psize;
    int r = mdb_env_sync(env_, 1);
    CloseEnv();
    if (r != 0) return util::Unavailable("error writing " + path_ + ": " + mdb_strerror(r));
    if (used > 0 && truncate(temp_->path().c_str(), used) < 0)
      return util::ErrnoStatus(errno, "truncate " + temp_->path());
    if (util::Status st = InstallTemp(); !st.ok()) return st;
    return OpenReader();
  }

 private:
  // One change of the current write transaction. The changes since the
  // last commit are kept (in log_, one buffer) so that they can be replayed
  // after the map has grown.
  struct Op {
    enum Kind : char { kPut, kDel } kind;
    unsigned put_flags;
    std::string_view key;
    std::string_view value;
  };

  void SetKey(std::string_view key) {
    key_.assign(key);
    if (flags() & kFoldFixed) FoldCase(&key_);
  }

  int Get(MDB_txn* txn, bool with_nul, MDB_val* v) {
    if (with_nul) key_.push_back('\0');
    MDB_val k = Val(key_);
    int r = mdb_get(txn, dbi_, &k, v);
    if (with_nul) key_.pop_back();
    return r;
  }

  // The transaction to read with: the write transaction while writing, else
  // the reusable read transaction, renewed (DoneReading resets it).
  util::Status ReadTxn(MDB_txn** txn) {
    if (!env_) return util::FailedPrecondition("table " + spec() + " is not open");
    if (wtxn_) {
      *txn = wtxn_;
      return util::OkStatus();
    }
    int r = rtxn_ ? mdb_txn_renew(rtxn_) : mdb_txn_begin(env_, nullptr, MDB_RDONLY, &rtxn_);
    if (r != 0) {
      if (!rtxn_) rtxn_ = nullptr;
      return util::Unavailable("error reading " + path_ + ": " + mdb_strerror(r));
    }
    *txn = rtxn_;
    return util::OkStatus();
  }
  void DoneReading() {
    if (rtxn_ && !wtxn_) mdb_txn_reset(rtxn_);
  }

  util::Status OpenEnv(const std::string& file, unsigned env_flags, size_t map_size) {
    CloseEnv();
    int r = mdb_env_create(&env_);
    if (r == 0 && map_size) r = mdb_env_set_mapsize(env_, map_size);
    if (r == 0) r = mdb_env_open(env_, file.c_str(), env_flags | MDB_NOSUBDIR | MDB_NOLOCK, 0644);
    if (r == 0) {
      MDB_txn* txn;
      r = mdb_txn_begin(env_, nullptr, env_flags & MDB_RDONLY, &txn);
      if (r == 0) {
        r = mdb_dbi_open(txn, nullptr, 0, &dbi_);
        if (r == 0)
          r = mdb_txn_commit(txn);
        else
          mdb_txn_abort(txn);
      }
    }
    if (r != 0) {
      CloseEnv();
      if (r > 0) return OpenDatabaseError(path_, r);
      return util::FailedPrecondition("open database " + path_ + ": " + mdb_strerror(r));
    }
    return util::OkStatus();
  }

  util::Status OpenReader() { return OpenEnv(path_, MDB_RDONLY, 0); }

  util::Status OpenWriter() {
    if (util::Status st = OpenEnv(temp_->path(), MDB_NOSYNC | MDB_WRITEMAP, map_size_); !st.ok())
      return st;
    return BeginWrite();
  }

  util::Status BeginWrite() {
    int r = mdb_txn_begin(env_, nullptr, 0, &wtxn_);
    if (r != 0) {
      wtxn_ = nullptr;
      return util::Unavailable("error writing " + path_ + ": " + mdb_strerror(r));
    }
    return util::OkStatus();
  }

  void CloseEnv() {
    if (wtxn_) mdb_txn_abort(wtxn_);
    wtxn_ = nullptr;
    if (rtxn_) mdb_txn_abort(rtxn_);
    rtxn_ = nullptr;
    if (env_) mdb_env_close(env_);
    env_ = nullptr;
  }

  // First change of an existing table: continue in a copy of it.
  util::Status MakeWritable() {
    if (temp_) return util::OkStatus();
    CloseEnv();
    if (util::Status st = CopyLiveFile(); !st.ok()) return st;
    map_size_ = std::max(map_size_, static_cast<size_t>(lock_.st().st_size) * 2);
    return OpenWriter();
  }

  // Applies one change to the write transaction, growing the map (and
  // replaying the transaction's earlier changes) when it is full.
  int Apply(const Op& op) {
    for (;;) {
      int r = ApplyOnce(op);
      if (r != MDB_MAP_FULL) return r;
      if (util::Status st = Grow(); !st.ok()) return MDB_MAP_FULL;
    }
  }

  int ApplyOnce(const Op& op) {
    MDB_val k{op.key.size(), const_cast<char*>(op.key.data())};
    if (op.kind == Op::kDel) return mdb_del(wtxn_, dbi_, &k, nullptr);
    MDB_val v{op.value.size(), const_cast<char*>(op.value.data())};
    return mdb_put(wtxn_, dbi_, &k, &v, op.put_flags);
  }

  // Aborts the write transaction, doubles the map and replays pending_.
  util::Status Grow() {
    for (;;) {
      mdb_txn_abort(wtxn_);
      wtxn_ = nullptr;
      map_size_ *= 2;
      if (int r = mdb_env_set_mapsize(env_, map_size_); r != 0)
        return util::Unavailable("error writing " + path_ + ": " + mdb_strerror(r));
      if (util::Status st = BeginWrite(); !st.ok()) return st;
      int r = 0;
      for (size_t pos = 0; pos < log_.size() && r == 0;) r = ApplyOnce(ReadLog(&pos));
      if (r == 0) return util::OkStatus();
      if (r != MDB_MAP_FULL)
        return util::Unavailable("error writing " + path_ + ": " + mdb_strerror(r));
    }
  }

  util::Status Pending(const Op& op) {
    Header h{op.kind, op.put_flags, op.key.size(), op.value.size()};
    log_.append(reinterpret_cast<const char*>(&h), sizeof(h));
    log_.append(op.key);
    log_.append(op.value);
    if (++logged_ >= kBatch) return CommitBatch(true);
    return util::OkStatus();
  }

  struct Header {
    Op::Kind kind;
    unsigned put_flags;
    size_t key_size, value_size;
  };
  Op ReadLog(size_t* pos) const {
    Header h;
    memcpy(&h, log_.data() + *pos, sizeof(h));
    *pos += sizeof(h);
    Op op{h.kind, h.put_flags, std::string_view(log_).substr(*pos, h.key_size),
          std::string_view(log_).substr(*pos + h.key_size, h.value_size)};
    *pos += h.key_size + h.value_size;
    return op;
  }

  // Commits the write transaction (and starts the next one if `more`).
  util::Status CommitBatch(bool more = false) {
    for (;;) {
      int r = mdb_txn_commit(wtxn_);
      wtxn_ = nullptr;
      if (r == 0) break;
      if (r != MDB_MAP_FULL)
        return util::Unavailable("error writing " + path_ + ": " + mdb_strerror(r));
      if (util::Status st = BeginWrite(); !st.ok()) return st;  // Grow aborts it
      if (util::Status st = Grow(); !st.ok()) return st;
    }
    log_.clear();
    logged_ = 0;
    return more ? BeginWrite() : util::OkStatus();
  }

  NulConvention nul_;
  size_t map_size_ = kDefaultMapSize;
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  MDB_txn* rtxn_ = nullptr;
  MDB_txn* wtxn_ = nullptr;
  std::string log_;
  size_t logged_ = 0;
  std::string value_;
  std::string key_;
};

}  // namespace

util::StatusOr<std::unique_ptr<Table>> OpenLmdb(std::string_view name, const OpenOptions& o) {
  if (name.empty()) return util::FailedPrecondition("lmdb: empty table name");
  auto t = std::make_unique<LmdbTable>(name, o);
  if (util::Status st = t->Open(o.open_flags); !st.ok()) return st;
  return std::unique_ptr<Table>(std::move(t));
}

}  // namespace tables
