// indexed_file: what the indexed file tables (hash, btree, lmdb, cdb) share:
// the NUL conventions of their keys and values, file identity for
// Changed(), the writer's lock, and the "build beside, then rename" commit.
//
// Readers never see a half-built table: every change is written into a
// temporary file in the table's directory ("NAME.db.tmp.PID.N"), synced and
// renamed over the live file, then the directory is synced. A whole rebuild
// writes the temporary file from scratch; an incremental change (postmap -i,
// -d) first copies the live file. Writers serialize with an exclusive
// flock(2) on the live file, the lock Postfix's postmap takes, so our
// postmap and Debian's never interleave their updates. Readers take no lock:
// our writers never modify a live file in place, and a file Postfix's
// postmap rewrote in place shows up in Changed().
//
//   tables::NulConvention nul(flags, /*prefer_nul=*/true);
//   for (bool with_nul : nul.TryOrder()) { ... if (hit) { nul.Learn(with_nul); ... } }
//
//   auto lock = tables::WriteLock::Acquire(path);      // live file, if it exists
//   tables::TempFile tmp(path);                        // tmp.path() to build into
//   ... write tmp.path() ...
//   util::Status st = tmp.Commit(lock->existing());   // fsync, mode/owner, rename, fsync dir
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tables/table.h"
#include "util/fd.h"
#include "util/status.h"

namespace tables {

// Postfix's DICT_FLAG_TRY1NULL / TRY0NULL. Lookups try the forms the flags
// allow (both by default), the type's usual form first, and once one form
// hits, only that form is tried afterwards (the table's convention is then
// known). Writes use the one form the flags allow; when they allow both or
// neither, the type's default (with NUL for hash, btree and lmdb; without
// for cdb, as Postfix writes them).
class NulConvention {
 public:
  NulConvention(unsigned flags, bool prefer_nul);

  bool write_nul() const { return write_nul_; }
  // The forms to try, in order: {true, false}, {false, true}, {true}, {false}.
  int count() const { return count_; }
  bool form(int i) const { return order_[i]; }
  // Called after a hit with form `with_nul`.
  void Learn(bool with_nul);

 private:
  bool write_nul_;
  std::array<bool, 2> order_{};
  int count_ = 0;
};

// Strips one trailing NUL (a key or value stored the Postfix way).
inline std::string_view StripNul(std::string_view s) {
  if (!s.empty() && s.back() == '\0') s.remove_suffix(1);
  return s;
}

// Lower-cases ASCII letters in place (kFoldFixed; Postfix folds in the C
// locale too).
inline void FoldCase(char* p, size_t n) {
  for (char* end = p + n; p != end; ++p)
    if (*p >= 'A' && *p <= 'Z') *p = static_cast<char>(*p + ('a' - 'A'));
}
inline void FoldCase(std::string* s) { FoldCase(s->data(), s->size()); }

// The identity of a file (device, inode, size, mtime) for Changed().
struct FileIdentity {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  struct timespec mtime = {};

  static FileIdentity Of(const std::string& path);
  static FileIdentity OfFd(int fd);
  bool operator==(const FileIdentity& o) const;
};

// An exclusive flock(2) on the live table file, held while a writer works.
// Acquire waits for other writers; when the file was replaced meanwhile it
// locks the new one. A missing file is not an error (nothing to lock yet):
// existing() is then false.
class WriteLock {
 public:
  static util::StatusOr<WriteLock> Acquire(const std::string& path);
  WriteLock() = default;
  WriteLock(WriteLock&&) = default;
  WriteLock& operator=(WriteLock&&) = default;

  bool existing() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }  // the locked live file (read-only)
  const struct stat& st() const { return st_; }
  void Release() { fd_.reset(); }

 private:
  util::Fd fd_;
  struct stat st_ = {};
};

// A temporary file beside `target`, removed on destruction unless committed.
class TempFile {
 public:
  explicit TempFile(std::string target);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& target() const { return target_; }

  // Creates the file empty (O_EXCL), or as a copy of the locked live file.
  util::Status Create();
  util::Status CopyFrom(int src_fd);

  // Syncs the temporary file, gives it the mode (and, as root, the owner)
  // of the live file it replaces (`live`, if any), renames it over the
  // target and syncs the directory.
  util::Status Commit(const struct stat* live);

 private:
  std::string target_;
  std::string path_;
  bool committed_ = false;
};

// "open database PATH: reason" (Postfix's wording), coded from errno.
util::Status OpenDatabaseError(const std::string& path, int err);

// The part of every indexed table type that is the same: the live file,
// the writer's lock, the temporary file a change is built in, and the
// identity Changed() compares with. Types open their handles and implement
// lookups and writes; they start an incremental change with
// CopyLiveFile() and finish a commit with InstallTemp().
class IndexedTable : public Table {
 public:
  bool Changed() const override { return !(FileIdentity::Of(path_) == id_); }

 protected:
  IndexedTable(std::string type, std::string_view name, unsigned flags, std::string path)
      : Table(std::move(type), std::string(name), flags), path_(std::move(path)) {}

  // An incremental change of an existing table: temp_ becomes a copy of the
  // locked live file. A table not opened for writing is read-only.
  util::Status CopyLiveFile() {
    if (!lock_.existing()) return util::FailedPrecondition("table " + spec() + " is read-only");
    temp_ = std::make_unique<TempFile>(path_);
    return temp_->CopyFrom(lock_.fd());
  }

  // Puts the finished temporary file in place (keeping the live file's mode
  // and owner), releases the lock and remembers the new file's identity.
  util::Status InstallTemp() {
    util::Status st = temp_->Commit(lock_.existing() ? &lock_.st() : nullptr);
    temp_.reset();
    lock_.Release();
    if (st.ok()) id_ = FileIdentity::Of(path_);
    return st;
  }

  std::string path_;
  WriteLock lock_;
  std::unique_ptr<TempFile> temp_;
  FileIdentity id_;
};

}  // namespace tables
