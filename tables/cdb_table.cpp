#include "tables/cdb_table.h"

#include <cdb.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "tables/indexed_file.h"
#include "util/msg.h"

namespace tables {
namespace {

class CdbTable : public IndexedTable {
 public:
  CdbTable(std::string_view name, unsigned flags)
      : IndexedTable("cdb", name, flags, std::string(name) + ".cdb"),
        nul_(flags, /*prefer_nul=*/false) {}

  ~CdbTable() override { CloseReader(); }

  util::Status Open(int open_flags) {
    if ((open_flags & O_ACCMODE) == O_RDONLY) return OpenReader();
    auto lock = WriteLock::Acquire(path_);
    if (!lock.ok()) return lock.status();
    lock_ = std::move(*lock);
    if ((open_flags & O_TRUNC) || (!lock_.existing() && (open_flags & O_CREAT))) {
      id_ = FileIdentity::Of(path_);
      return StartBuild();
    }
    if (!lock_.existing()) return OpenDatabaseError(path_, ENOENT);
    return OpenReader();
  }

  LookupResult Lookup(std::string_view key) override {
    SetKey(key);
    for (int i = 0; i < nul_.count(); ++i) {
      bool with_nul = nul_.form(i);
      std::optional<std::string_view> v = Find(with_nul);
      if (v) {
        nul_.Learn(with_nul);
        return LookupResult::Found(std::string(StripNul(*v)));
      }
      if (!error_.empty()) return LookupResult::TempError(error_);
    }
    return LookupResult::NotFound();
  }

  util::Status Update(std::string_view key, std::string_view value) override {
    if (!building_ && !mem_) {
      if (util::Status st = LoadIntoMemory(); !st.ok()) return st;
    }
    SetKey(key);
    bool nul = nul_.write_nul();
    if (nul) key_.push_back('\0');
    value_.assign(value);
    if (nul) value_.push_back('\0');
    bool dup = building_ ? SeenInBuild() : mem_->count(key_) > 0;
    if (dup) {
      unsigned f = flags();
      if (f & kDupReplace) {
        if (!building_) {
          (*mem_)[key_] = value_;
        } else if (cdb_make_put(&make_, key_.data(), key_.size(), value_.data(), value_.size(),
                                CDB_PUT_REPLACE) < 0) {
          return WriteError(errno);
        }
        return util::OkStatus();
      }
      if (nul) key_.pop_back();
      return Duplicate(key_);
    }
    if (!building_) {
      mem_->emplace(key_, value_);
      return util::OkStatus();
    }
    if (cdb_make_add(&make_, key_.data(), key_.size(), value_.data(), value_.size()) < 0)
      return WriteError(errno);
    return util::OkStatus();
  }

  util::Status Delete(std::string_view key) override {
    if (building_)
      return util::FailedPrecondition("table " + spec() + ": cannot delete while building");
    if (!mem_) {
      if (util::Status st = LoadIntoMemory(); !st.ok()) return st;
    }
    SetKey(key);
    for (int i = 0; i < nul_.count(); ++i) {
      if (nul_.form(i)) key_.push_back('\0');
      bool erased = mem_->erase(key_) > 0;
      if (nul_.form(i)) key_.pop_back();
      if (erased) return util::OkStatus();
    }
    return util::NotFound("not found");
  }

  util::Status Sequence(
      const std::function<bool(std::string_view, std::string_view)>& fn) override {
    if (building_)
      return util::FailedPrecondition("table " + spec() + ": cannot read while building");
    if (mem_) {
      for (const auto& [k, v] : *mem_)
        if (!fn(StripNul(k), StripNul(v))) break;
      return util::OkStatus();
    }
    return ForEachRecord(
        [&](std::string_view k, std::string_view v) { return fn(StripNul(k), StripNul(v)); });
  }

  util::Status Commit() override {
    if (mem_) {
      if (util::Status st = StartBuild(); !st.ok()) return st;
      for (const auto& [k, v] : *mem_) {
        if (cdb_make_add(&make_, k.data(), k.size(), v.data(), v.size()) < 0)
          return WriteError(errno);
      }
      mem_.reset();
    }
    if (!building_) return util::OkStatus();
    building_ = false;
    seen_.clear();
    int r = cdb_make_finish(&make_);
    int err = errno;
    util::Status closed = build_fd_.Close();
    if (r < 0) return WriteError(err);
    if (!closed.ok()) return closed;
    if (util::Status st = InstallTemp(); !st.ok()) return st;
    return OpenReader();
  }

 private:
  std::string DuplicateWhere() const override { return name(); }  // the source, as Postfix
  void SetKey(std::string_view key) {
    key_.assign(key);
    if (flags() & kFoldFixed) FoldCase(&key_);
  }

  util::Status OpenReader() {
    CloseReader();
    fd_ = util::Fd(open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd_) return OpenDatabaseError(path_, errno);
    id_ = FileIdentity::OfFd(fd_.get());
    if (cdb_init(&cdb_, fd_.get()) < 0) {
      int err = errno;
      fd_.reset();
      return util::FailedPrecondition("open database " + path_ + ": " + strerror(err));
    }
    reader_ = true;
    return util::OkStatus();
  }

  void CloseReader() {
    if (reader_) cdb_free(&cdb_);
    reader_ = false;
    fd_.reset();
  }

  // The value stored under key_ (+ NUL), or nullopt (error_ says why when
  // it was an error rather than a miss).
  std::optional<std::string_view> Find(bool with_nul) {
    error_.clear();
    if (with_nul) key_.push_back('\0');
    std::optional<std::string_view> out;
    if (mem_) {
      auto it = mem_->find(key_);
      if (it != mem_->end()) out = it->second;
    } else if (reader_) {
      int r = cdb_find(&cdb_, key_.data(), key_.size());
      if (r > 0) {
        out = std::string_view(static_cast<const char*>(cdb_getdata(&cdb_)), cdb_datalen(&cdb_));
      } else if (r < 0) {
        error_ = "error reading " + path_ + ": " + strerror(errno);
      }
    } else {
      error_ = "table " + spec() + " is being built";
    }
    if (with_nul) key_.pop_back();
    return out;
  }

  // Every record that the index still points to (a replaced record stays
  // in the data section of a cdb file but is no longer indexed).
  util::Status ForEachRecord(const std::function<bool(std::string_view, std::string_view)>& fn) {
    if (!reader_) return util::FailedPrecondition("table " + spec() + " is not open");
    unsigned pos;
    cdb_seqinit(&pos, &cdb_);
    int r;
    while ((r = cdb_seqnext(&pos, &cdb_)) > 0) {
      std::string_view k(static_cast<const char*>(cdb_getkey(&cdb_)), cdb_keylen(&cdb_));
      unsigned vpos = cdb_datapos(&cdb_), vlen = cdb_datalen(&cdb_);
      struct cdb probe = cdb_;
      if (cdb_find(&probe, k.data(), k.size()) <= 0 || cdb_datapos(&probe) != vpos) continue;
      std::string_view v(static_cast<const char*>(cdb_get(&cdb_, vlen, vpos)), vlen);
      if (!fn(k, v)) break;
    }
    if (r < 0) return util::Unavailable("error reading " + path_ + ": " + strerror(errno));
    return util::OkStatus();
  }

  util::Status LoadIntoMemory() {
    if (!lock_.existing()) return util::FailedPrecondition("table " + spec() + " is read-only");
    mem_.emplace();
    return ForEachRecord([&](std::string_view k, std::string_view v) {
      mem_->emplace(std::string(k), std::string(v));
      return true;
    });
  }

  util::Status StartBuild() {
    temp_ = std::make_unique<TempFile>(path_);
    if (util::Status st = temp_->Create(); !st.ok()) return st;
    build_fd_ = util::Fd(open(temp_->path().c_str(), O_RDWR | O_CLOEXEC));
    if (!build_fd_) return OpenDatabaseError(path_, errno);
    if (cdb_make_start(&make_, build_fd_.get()) < 0) return WriteError(errno);
    building_ = true;
    return util::OkStatus();
  }

  // Whether key_ was added in this build. A set of 64-bit hashes stands for
  // the keys; a hash collision is settled by tinycdb's (slow) exact search.
  bool SeenInBuild() {
    uint64_t h = std::hash<std::string_view>()(key_);
    if (seen_.insert(h).second) return false;
    return cdb_make_exists(&make_, key_.data(), key_.size()) > 0;
  }

  util::Status WriteError(int err) {
    return util::Unavailable("error writing " + path_ + ": " + strerror(err));
  }

  NulConvention nul_;
  util::Fd fd_;
  struct cdb cdb_ = {};
  bool reader_ = false;
  std::string error_;
  // Writing.
  util::Fd build_fd_;
  struct cdb_make make_ = {};
  bool building_ = false;
  std::unordered_set<uint64_t> seen_;
  std::optional<std::unordered_map<std::string, std::string>> mem_;
  std::string key_;
  std::string value_;
};

}  // namespace

util::StatusOr<std::unique_ptr<Table>> OpenCdb(std::string_view name, const OpenOptions& o) {
  if (name.empty()) return util::FailedPrecondition("cdb: empty table name");
  auto t = std::make_unique<CdbTable>(name, o.flags);
  if (util::Status st = t->Open(o.open_flags); !st.ok()) return st;
  return std::unique_ptr<Table>(std::move(t));
}

}  // namespace tables
