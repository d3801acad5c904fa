#include "tables/indexed_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "tables/table.h"
#include "util/files.h"
#include "util/strings.h"

namespace tables {

NulConvention::NulConvention(unsigned flags, bool prefer_nul) {
  bool nul = flags & kTryNul, no_nul = flags & kTryNoNul;
  if (nul == no_nul) {  // both or neither: the type's convention first
    write_nul_ = prefer_nul;
    order_ = {prefer_nul, !prefer_nul};
    count_ = 2;
  } else {
    write_nul_ = nul;
    order_ = {nul, nul};
    count_ = 1;
  }
}

void NulConvention::Learn(bool with_nul) {
  order_ = {with_nul, with_nul};
  count_ = 1;
}

FileIdentity FileIdentity::Of(const std::string& path) {
  FileIdentity id;
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    id.exists = true;
    id.dev = st.st_dev;
    id.ino = st.st_ino;
    id.size = st.st_size;
    id.mtime = st.st_mtim;
  }
  return id;
}

FileIdentity FileIdentity::OfFd(int fd) {
  FileIdentity id;
  struct stat st;
  if (fstat(fd, &st) == 0) {
    id.exists = st.st_nlink > 0;
    id.dev = st.st_dev;
    id.ino = st.st_ino;
    id.size = st.st_size;
    id.mtime = st.st_mtim;
  }
  return id;
}

bool FileIdentity::operator==(const FileIdentity& o) const {
  return exists == o.exists && dev == o.dev && ino == o.ino && size == o.size &&
         mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec;
}

util::StatusOr<WriteLock> WriteLock::Acquire(const std::string& path) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    WriteLock lock;
    lock.fd_ = util::Fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!lock.fd_) {
      if (errno == ENOENT) return WriteLock();
      return OpenDatabaseError(path, errno);
    }
    while (flock(lock.fd_.get(), LOCK_EX) < 0) {
      if (errno != EINTR) return util::ErrnoStatus(errno, "lock " + path);
    }
    // Still the live file? Another writer may have renamed a new one in.
    struct stat now;
    if (fstat(lock.fd_.get(), &lock.st_) < 0) return util::ErrnoStatus(errno, "fstat " + path);
    if (stat(path.c_str(), &now) < 0) {
      if (errno == ENOENT) return WriteLock();
      return util::ErrnoStatus(errno, "stat " + path);
    }
    if (now.st_dev == lock.st_.st_dev && now.st_ino == lock.st_.st_ino) return lock;
  }
  return util::Unavailable("lock " + path + ": file keeps being replaced");
}

TempFile::TempFile(std::string target) : target_(std::move(target)) {
  static std::atomic<unsigned> counter{0};
  path_ = util::StrFormat("%s.tmp.%ld.%u", target_.c_str(), static_cast<long>(getpid()),
                          counter.fetch_add(1));
}

TempFile::~TempFile() {
  if (!committed_) unlink(path_.c_str());
}

util::Status TempFile::Create() {
  unlink(path_.c_str());  // a leftover of a crashed process with our PID
  util::Fd fd(open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) return OpenDatabaseError(target_, errno);
  return fd.Close();
}

util::Status TempFile::CopyFrom(int src_fd) {
  unlink(path_.c_str());
  util::Fd fd(open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) return OpenDatabaseError(target_, errno);
  struct stat st;
  if (fstat(src_fd, &st) < 0) return util::ErrnoStatus(errno, "fstat " + target_);
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = copy_file_range(src_fd, &off, fd.get(), nullptr, st.st_size - off, 0);
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL))
      n = sendfile(fd.get(), src_fd, &off, st.st_size - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return util::ErrnoStatus(errno, "copy " + target_ + " to " + path_);
    }
    if (n == 0) break;
  }
  return fd.Close();
}

util::Status TempFile::Commit(const struct stat* live) {
  util::Fd fd(open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return util::ErrnoStatus(errno, "open " + path_);
  if (live) {
    if (fchmod(fd.get(), live->st_mode & 07777) < 0)
      return util::ErrnoStatus(errno, "chmod " + path_);
    if (geteuid() == 0 && fchown(fd.get(), live->st_uid, live->st_gid) < 0)
      return util::ErrnoStatus(errno, "chown " + path_);
  }
  if (util::Status st = util::FsyncFile(fd.get()); !st.ok()) return st;
  if (rename(path_.c_str(), target_.c_str()) < 0)
    return util::ErrnoStatus(errno, "rename " + path_ + " to " + target_);
  committed_ = true;
  return util::FsyncDir(util::Dirname(target_));
}

util::Status OpenDatabaseError(const std::string& path, int err) {
  return util::ErrnoStatus(err, "open database " + path);
}

}  // namespace tables
