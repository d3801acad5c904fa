// files: careful file-system primitives for queue files, tables and configs.
//
// SafeOpen is Postfix's safe_open: it opens a file without following a
// symbolic link in the last path component, and when the file already exists
// it refuses anything that is not a plain regular file with exactly one hard
// link (and, optionally, the expected owner), so that a local user cannot
// redirect a privileged write through a link:
//
//   util::StatusOr<util::Fd> fd =
//       util::SafeOpen(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
//   if (!fd.ok()) return fd.status();   // "open /x/y: file has 2 hard links"
//   ... write(fd->get(), ...) ...       // closed when fd goes out of scope
//
// AtomicReplace writes a whole file so that readers see either the old or
// the new contents, never a mix: a temporary file in the same directory is
// written, synced and renamed over the target, and the directory is synced.
// On failure the temporary file is removed and the target is left untouched.
//
// MakeDirs is "mkdir -p" that also sets the owner and mode of each directory
// it creates (the queue and spool layout), and optionally fixes the final
// directory when it already exists.
//
// Errors are util::Status values whose message starts with the operation and
// the path ("open /x/y: Permission denied"), coded from errno by ErrnoStatus
// (util/fd.h: kNotFound for ENOENT, kResourceExhausted for a full disk,
// kFailedPrecondition for permissions, ...). A file over a size limit is
// kResourceExhausted; the safety refusals of SafeOpen are kFailedPrecondition
// (they need an administrator). Every descriptor is opened with O_CLOEXEC.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "util/fd.h"
#include "util/status.h"

namespace util {

// Opens `path` with open(2) `flags` and `mode`, never following a symbolic
// link in the last component. Flags:
//   - without O_CREAT the file must exist;
//   - O_CREAT|O_EXCL creates a new file and fails if anything (even a
//     dangling symlink) exists under that name;
//   - O_CREAT alone opens an existing file or creates a new one (retrying
//     if the name appears or disappears while it races with another process).
// An existing file must be a regular file with one hard link and, when
// `expect_uid` is given, owned by that uid; otherwise the result is
// kFailedPrecondition with "open PATH: file is a symbolic link", "... file is
// not a regular file", "... file has N hard links", "... file is owned by uid
// U, expected E" or "... file was replaced while being opened". O_TRUNC is
// applied only after those checks pass.
StatusOr<Fd> SafeOpen(const std::string& path, int flags, mode_t mode = 0600,
                      std::optional<uid_t> expect_uid = std::nullopt);

// Reads the whole file. A file larger than `max_size` bytes is
// kResourceExhausted ("read PATH: file is larger than N bytes"). Symbolic
// links are followed (configuration files are often links).
StatusOr<std::string> ReadFile(const std::string& path, size_t max_size);

// Pass as AtomicReplace's `mode` to keep the existing file's permission bits
// (and its owner and group when running as root). A file that does not exist
// yet is then created with kDefaultFileMode.
inline constexpr int kKeepMode = -1;
inline constexpr mode_t kDefaultFileMode = 0644;

// Replaces `path` with `contents` atomically and durably: writes
// "DIR/.BASENAME.tmp.PID.N" (created with O_EXCL), applies `mode` exactly
// (not filtered by the umask; see kKeepMode), fsyncs it, renames it over
// `path` and fsyncs DIR. If `path` is a symbolic link, the link itself is
// replaced. On any failure before the rename the temporary file is removed
// and `path` is untouched; a failure to sync the directory after the rename
// is reported although the new contents are already in place.
Status AtomicReplace(const std::string& path, std::string_view contents, int mode = kKeepMode);

// fsync(2) of an open descriptor, and of a directory (so that a rename or a
// create inside it is durable). File systems that cannot sync a directory
// (EINVAL) count as success.
Status FsyncFile(int fd);
Status FsyncDir(const std::string& path);

// Whether the file system holding `fd` commits its metadata through a
// journal, in order: ext3/ext4 with a journal (its jbd2 thread is listed in
// /proc/fs/jbd2), XFS and btrfs. There, fsync(2) of a file also makes
// durable every name change made before it (a create, a link), and no name
// change reaches the disk without those made before it; so a directory
// sync adds nothing, as Postfix assumes on every file system. Elsewhere
// (ext2, ext4 without a journal, tmpfs, anything unknown): false, and the
// callers sync the directory as well. Decided once per file system (device
// and file system ID) per process; costs fstat and fstatfs after that.
bool JournalOrdersNames(int fd);

// rename(2) that never replaces `to`: 0, or -1 with errno (EEXIST when
// `to` exists). Where renameat2(RENAME_NOREPLACE) is not available (EINVAL,
// ENOSYS), a link, which never replaces either, then an unlink of `from`.
// Queue files move between queues this way, so a message is never lost by
// landing on another's name.
int RenameNoReplace(const std::string& from, const std::string& to);

// Writes all of `data` to `fd`, retrying short writes and EINTR. `what` names
// the file in the error message ("write WHAT: ...").
Status WriteAll(int fd, std::string_view data, std::string_view what);

// What MakeDirs does when the final directory already exists.
enum class ExistingDir {
  kLeave,  // leave its owner and mode alone
  kFix,    // set its owner and mode like a newly created one
};

inline constexpr uid_t kNoUid = static_cast<uid_t>(-1);
inline constexpr gid_t kNoGid = static_cast<gid_t>(-1);

// Creates directory `path` and any missing parents. Each directory it
// creates gets exactly `mode` (not filtered by the umask) and, unless
// kNoUid/kNoGid, owner `uid` and group `gid`. Existing parents are left
// alone (they may be symbolic links to directories); an existing final
// directory is left alone or fixed according to `existing`. A component that
// exists but is not a directory fails with "mkdir PATH: not a directory".
Status MakeDirs(const std::string& path, mode_t mode, uid_t uid = kNoUid, gid_t gid = kNoGid,
                ExistingDir existing = ExistingDir::kLeave);

// True when `path` exists (following symbolic links), respectively is a
// directory (following symbolic links). Errors other than "does not exist"
// also yield false.
// Free space of the file system that holds `path`, as an unprivileged
// process may use it (statvfs f_bavail, in f_frsize blocks).
struct FileSystemSpace {
  unsigned long long block_size = 0;
  unsigned long long blocks_free = 0;
};
StatusOr<FileSystemSpace> SpaceOf(const std::string& path);

bool FileExists(const std::string& path);
bool IsDirectory(const std::string& path);

// Path splitting in the manner of dirname(1)/basename(1), ignoring trailing
// slashes: Dirname("/a/b/") == "/a", Dirname("b") == ".", Dirname("/b") ==
// "/", Basename("/a/b/") == "b", Basename("/") == "/", Basename("") == "".
std::string Dirname(std::string_view path);
std::string Basename(std::string_view path);

}  // namespace util
