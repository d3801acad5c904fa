#include "global/mbox.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <thread>

#include "global/mail_copy.h"
#include "util/files.h"
#include "util/strings.h"

namespace mailbox {
namespace {

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Creates PATH.lock; 0 or errno. A lock file older than the stale time
// is removed and the attempt repeated.
int DotLock(const std::string& lock, const MboxOptions& o) {
  int err = 0;
  for (int i = 0; i < o.lock_attempts; i++) {
    int fd = ::open(lock.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
      return 0;
    }
    err = errno;
    if (err != EEXIST) return err;
    struct stat st;
    if (lstat(lock.c_str(), &st) == 0 && std::time(nullptr) - st.st_mtime > o.stale_lock_seconds) {
      unlink(lock.c_str());
      continue;
    }
    if (i + 1 < o.lock_attempts) Sleep(o.lock_delay_ms);
  }
  return err;
}

int KernelLock(int fd, LockMethod m, const MboxOptions& o) {
  int err = 0;
  for (int i = 0; i < o.lock_attempts; i++) {
    int rc;
    if (m == LockMethod::kFcntl) {
      struct flock fl = {};
      fl.l_type = F_WRLCK;
      fl.l_whence = SEEK_SET;
      rc = fcntl(fd, F_SETLK, &fl);
    } else {
      rc = flock(fd, LOCK_EX | LOCK_NB);
    }
    if (rc == 0) return 0;
    err = errno;
    if (err != EAGAIN && err != EACCES && err != EWOULDBLOCK && err != EINTR) return err;
    if (i + 1 < o.lock_attempts) Sleep(o.lock_delay_ms);
  }
  return err;
}

}  // namespace

std::optional<std::vector<LockMethod>> ParseLockMethods(std::string_view list, std::string* bad) {
  std::vector<LockMethod> out;
  for (const std::string& w : util::SplitList(list)) {
    std::string m = util::Lowercase(w);
    if (m == "fcntl")
      out.push_back(LockMethod::kFcntl);
    else if (m == "flock")
      out.push_back(LockMethod::kFlock);
    else if (m == "dotlock")
      out.push_back(LockMethod::kDotlock);
    else {
      if (bad) *bad = w;
      return std::nullopt;
    }
  }
  return out;
}

Result DeliverMbox(const Message& msg, const std::string& path, const MboxOptions& o) {
  auto fail = [&](int err, const std::string& why) {
    return Result::Fail(MailboxDsn(err, "4.2.0"), "cannot update mailbox " + path + " for user " +
                                                      msg.recipient + ". " + why);
  };
  // Missing parent directories are created (0700, as the owner).
  std::string parent = util::Dirname(path);
  if (!util::IsDirectory(parent)) {
    if (util::Status s = util::MakeDirs(parent, 0700); !s.ok())
      return Result::Defer("4.2.0", "cannot update mailbox " + path + " for user " + msg.recipient +
                                        ". " + s.message());
  }
  bool dotlock = false;
  for (LockMethod m : o.locks) dotlock |= m == LockMethod::kDotlock;
  std::string lock = path + ".lock";
  if (dotlock) {
    if (int err = DotLock(lock, o))
      return fail(err, "unable to create lock file " + lock + ": " + strerror(err));
  }
  struct Unlock {
    const std::string* lock;
    ~Unlock() {
      if (lock) unlink(lock->c_str());
    }
  } unlock{dotlock ? &lock : nullptr};

  util::StatusOr<util::Fd> fd = util::SafeOpen(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
  if (!fd.ok()) {
    std::string m = fd.status().message();
    // SafeOpen's message starts with "open PATH: "; keep the reason.
    std::string prefix = "open " + path + ": ";
    if (m.rfind(prefix, 0) == 0) m = m.substr(prefix.size());
    return Result::Defer("4.2.0", "cannot update mailbox " + path + " for user " + msg.recipient +
                                      ". cannot open file: " + m);
  }
  for (LockMethod m : o.locks) {
    if (m == LockMethod::kDotlock) continue;
    if (int err = KernelLock(fd->get(), m, o))
      return fail(err == EACCES ? EAGAIN : err,
                  std::string("unable to lock for exclusive access: ") +
                      strerror(err == EACCES ? EAGAIN : err));
  }
  struct stat st;
  if (fstat(fd->get(), &st) < 0) {
    int err = errno;
    return fail(err, std::string("cannot open file: ") + strerror(err));
  }
  off_t start = st.st_size;
  FileWriter w(fd->get(), o.size_limit, static_cast<uint64_t>(start));
  CopyResult c = CopyMessage(msg, CopyStyle::kMbox, &w);
  int err = c.err;
  std::string what = c.what;
  if (!c.loop && !err && fsync(fd->get()) < 0) {
    err = errno;
    what = std::string("error writing message: ") + strerror(err);
  }
  if (c.loop || err) {
    if (ftruncate(fd->get(), start) == 0) (void)fsync(fd->get());
    if (c.loop) return Result::Bounce("5.4.6", "mail forwarding loop for " + msg.recipient);
    return fail(err, what);
  }
  return Result::Sent("delivered to mailbox");
}

}  // namespace mailbox
