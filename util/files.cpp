#include "util/files.h"

#include <cstdio>  // renameat2, RENAME_NOREPLACE

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>  // major, minor
#include <sys/vfs.h>        // fstatfs
#include <unistd.h>

#include <atomic>
#include <climits>
#include <map>
#include <mutex>
#include <tuple>

#include "util/fd.h"
#include "util/strings.h"

namespace util {
namespace {

// "OP PATH: strerror", coded by ErrnoStatus (util/fd.h).
Status FileError(std::string_view op, std::string_view path, int err) {
  return ErrnoStatus(err, std::string(op) + " " + std::string(path));
}

Status Refuse(std::string_view path, std::string_view why) {
  return FailedPrecondition("open " + std::string(path) + ": " + std::string(why));
}

// Checks an lstat() result of an existing file against SafeOpen's rules.
Status CheckExisting(std::string_view path, const struct stat& st,
                     const std::optional<uid_t>& expect_uid) {
  if (S_ISLNK(st.st_mode)) return Refuse(path, "file is a symbolic link");
  if (!S_ISREG(st.st_mode)) return Refuse(path, "file is not a regular file");
  if (st.st_nlink != 1) {
    return Refuse(
        path, StrFormat("file has %llu hard links", static_cast<unsigned long long>(st.st_nlink)));
  }
  if (expect_uid && st.st_uid != *expect_uid) {
    return Refuse(path, StrFormat("file is owned by uid %lu, expected %lu",
                                  static_cast<unsigned long>(st.st_uid),
                                  static_cast<unsigned long>(*expect_uid)));
  }
  return OkStatus();
}

// Opens an existing file. Sets *missing when it does not exist (so that the
// O_CREAT path may create it).
StatusOr<Fd> OpenExisting(const std::string& path, int flags,
                          const std::optional<uid_t>& expect_uid, bool* missing) {
  *missing = false;
  struct stat lst;
  if (lstat(path.c_str(), &lst) < 0) {
    if (errno == ENOENT) *missing = true;
    return FileError("open", path, errno);
  }
  // Refuse before open(2): opening a FIFO or a device could block or act.
  if (Status s = CheckExisting(path, lst, expect_uid); !s.ok()) return s;
  int open_flags = (flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_NOFOLLOW | O_CLOEXEC;
  Fd fd(open(path.c_str(), open_flags));
  if (!fd) {
    if (errno == ENOENT) *missing = true;
    if (errno == ELOOP) return Refuse(path, "file is a symbolic link");
    return FileError("open", path, errno);
  }
  struct stat fst;
  if (fstat(fd.get(), &fst) < 0) return FileError("fstat", path, errno);
  if (fst.st_dev != lst.st_dev || fst.st_ino != lst.st_ino) {
    return Refuse(path, "file was replaced while being opened");
  }
  if (Status s = CheckExisting(path, fst, expect_uid); !s.ok()) return s;
  if ((flags & O_TRUNC) && ftruncate(fd.get(), 0) < 0) return FileError("truncate", path, errno);
  return fd;
}

StatusOr<Fd> CreateNew(const std::string& path, int flags, mode_t mode, bool* exists) {
  *exists = false;
  Fd fd(open(path.c_str(), flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd) {
    if (errno == EEXIST) *exists = true;
    return FileError("create", path, errno);
  }
  return fd;
}

std::atomic<unsigned> temp_counter{0};

}  // namespace

StatusOr<Fd> SafeOpen(const std::string& path, int flags, mode_t mode,
                      std::optional<uid_t> expect_uid) {
  if (!(flags & O_CREAT)) {
    bool missing;
    return OpenExisting(path, flags, expect_uid, &missing);
  }
  if (flags & O_EXCL) {
    bool exists;
    return CreateNew(path, flags & ~O_TRUNC, mode, &exists);
  }
  // Open-or-create: alternate until one of them settles, as Postfix does.
  // A name that keeps flipping between present and absent is an attack or a
  // bug; give up after a few rounds.
  for (int attempt = 0; attempt < 10; ++attempt) {
    bool missing;
    StatusOr<Fd> fd = OpenExisting(path, flags, expect_uid, &missing);
    if (fd.ok() || !missing) return fd;
    bool exists;
    fd = CreateNew(path, flags & ~(O_CREAT | O_EXCL | O_TRUNC), mode, &exists);
    if (fd.ok() || !exists) return fd;
  }
  return Refuse(path, "file keeps appearing and disappearing");
}

StatusOr<std::string> ReadFile(const std::string& path, size_t max_size) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return FileError("open", path, errno);
  auto too_large = [&] {
    return ResourceExhausted(
        StrFormat("read %s: file is larger than %zu bytes", path.c_str(), max_size));
  };
  std::string out;
  struct stat st;
  if (fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) {
    if (static_cast<unsigned long long>(st.st_size) > max_size) return too_large();
    out.reserve(static_cast<size_t>(st.st_size));
  }
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return FileError("read", path, errno);
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_size) return too_large();
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status WriteAll(int fd, std::string_view data, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return FileError("write", what, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

int RenameNoReplace(const std::string& from, const std::string& to) {
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  if (link(from.c_str(), to.c_str()) < 0) return -1;
  return unlink(from.c_str());
}

Status FsyncFile(int fd) {
  while (fsync(fd) < 0) {
    if (errno == EINTR) continue;
    if (errno == EINVAL) return OkStatus();  // not syncable (a pipe, a special file)
    return FileError("fsync", StrFormat("fd %d", fd), errno);
  }
  return OkStatus();
}

Status FsyncDir(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return FileError("open", path, errno);
  while (fsync(fd.get()) < 0) {
    if (errno == EINTR) continue;
    if (errno != EINVAL) return FileError("fsync", path, errno);
    break;
  }
  return OkStatus();
}

bool JournalOrdersNames(int fd) {
  struct stat st;
  struct statfs sf;
  if (fstat(fd, &st) != 0 || fstatfs(fd, &sf) != 0) return false;
  // Keyed by the file system's ID too: a device mounted again may hold
  // another file system (the ID of ext4, XFS and btrfs comes from its UUID).
  using Key = std::tuple<dev_t, int, int>;
  Key key{st.st_dev, sf.f_fsid.__val[0], sf.f_fsid.__val[1]};
  static std::mutex mu;
  static std::map<Key, bool> known;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = known.find(key); it != known.end()) return it->second;
  constexpr unsigned long kExt = 0xEF53, kXfs = 0x58465342, kBtrfs = 0x9123683E;
  unsigned long type = static_cast<unsigned long>(sf.f_type);
  bool ordered = type == kXfs || type == kBtrfs;
  if (type == kExt) {
    // The block device's name (/sys/dev/block/MAJ:MIN links to it), and its
    // journal thread's entry "/proc/fs/jbd2/NAME-8" (an internal journal).
    std::string sys = StrFormat("/sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev));
    char target[PATH_MAX];
    ssize_t n = readlink(sys.c_str(), target, sizeof target - 1);
    if (n > 0) {
      target[n] = 0;
      std::string jbd = "/proc/fs/jbd2/" + Basename(target) + "-8";
      ordered = access(jbd.c_str(), F_OK) == 0;
    }
  }
  known[key] = ordered;
  return ordered;
}

Status AtomicReplace(const std::string& path, std::string_view contents, int mode) {
  std::string dir = Dirname(path);
  std::string base = Basename(path);
  if (base.empty() || base == "/" || base == "." || base == "..") {
    return FailedPrecondition("replace " + path + ": not a file name");
  }

  mode_t new_mode = kDefaultFileMode;
  std::optional<struct stat> old;
  if (mode == kKeepMode) {
    struct stat st;
    if (stat(path.c_str(), &st) == 0) {
      old = st;
      new_mode = st.st_mode & 07777;
    } else if (errno != ENOENT) {
      return FileError("stat", path, errno);
    }
  } else {
    new_mode = static_cast<mode_t>(mode) & 07777;
  }

  std::string temp;
  Fd fd;
  for (int attempt = 0; attempt < 100 && !fd; ++attempt) {
    temp = StrFormat("%s/.%s.tmp.%ld.%u", dir.c_str(), base.c_str(), static_cast<long>(getpid()),
                     temp_counter.fetch_add(1));
    fd.reset(open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd && errno != EEXIST) return FileError("create", temp, errno);
  }
  if (!fd) return FailedPrecondition("create " + temp + ": no unused temporary file name");

  auto fail = [&](Status s) {
    fd.reset();
    unlink(temp.c_str());
    return s;
  };
  if (Status s = WriteAll(fd.get(), contents, temp); !s.ok()) return fail(s);
  if (old && geteuid() == 0 && fchown(fd.get(), old->st_uid, old->st_gid) < 0) {
    return fail(FileError("chown", temp, errno));
  }
  // After fchown, which may clear set-id bits.
  if (fchmod(fd.get(), new_mode) < 0) return fail(FileError("chmod", temp, errno));
  if (Status s = FsyncFile(fd.get()); !s.ok()) return fail(s);
  if (close(fd.release()) < 0 && errno != EINTR) return fail(FileError("close", temp, errno));
  if (rename(temp.c_str(), path.c_str()) < 0) {
    return fail(FileError("rename", temp + " to " + path, errno));
  }
  return FsyncDir(dir);
}

Status MakeDirs(const std::string& path, mode_t mode, uid_t uid, gid_t gid, ExistingDir existing) {
  if (path.empty()) return FailedPrecondition("mkdir: empty path");
  auto set_owner_mode = [&](const std::string& dir) -> Status {
    if ((uid != kNoUid || gid != kNoGid) && chown(dir.c_str(), uid, gid) < 0) {
      return FileError("chown", dir, errno);
    }
    if (chmod(dir.c_str(), mode) < 0) return FileError("chmod", dir, errno);
    return OkStatus();
  };

  // Walk the prefixes "/a", "/a/b", ... ending with the whole path.
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    size_t end = slash == std::string::npos ? path.size() : slash;
    bool last = path.find_first_not_of('/', end) == std::string::npos;
    if (end == 0) {  // the root directory
      pos = 1;
      continue;
    }
    std::string prefix = path.substr(0, end);
    pos = end + 1;
    if (prefix.back() == '/') continue;  // "a//b"
    if (mkdir(prefix.c_str(), 0700) == 0) {
      if (Status s = set_owner_mode(prefix); !s.ok()) return s;
    } else {
      int err = errno;
      struct stat st;
      if (stat(prefix.c_str(), &st) < 0) {
        return FileError("mkdir", prefix, err == EEXIST ? errno : err);
      }
      if (!S_ISDIR(st.st_mode)) return FailedPrecondition("mkdir " + prefix + ": not a directory");
      if (last && existing == ExistingDir::kFix) {
        if (Status s = set_owner_mode(prefix); !s.ok()) return s;
      }
    }
    if (last) break;
  }
  return OkStatus();
}

StatusOr<FileSystemSpace> SpaceOf(const std::string& path) {
  struct statvfs fs;
  if (statvfs(path.c_str(), &fs) < 0) return ErrnoStatus(errno, "statvfs " + path);
  FileSystemSpace space;
  space.block_size = fs.f_frsize != 0 ? fs.f_frsize : fs.f_bsize;
  space.blocks_free = fs.f_bavail;
  return space;
}

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

namespace {
std::string_view StripTrailingSlashes(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}
}  // namespace

std::string Dirname(std::string_view path) {
  path = StripTrailingSlashes(path);
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  path = StripTrailingSlashes(path.substr(0, slash));
  if (path.empty()) return "/";
  return std::string(path);
}

std::string Basename(std::string_view path) {
  path = StripTrailingSlashes(path);
  if (path == "/") return "/";
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return std::string(path);
  return std::string(path.substr(slash + 1));
}

}  // namespace util
