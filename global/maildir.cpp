#include "global/maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "global/mail_copy.h"
#include "global/maildir_quota.h"
#include "util/fd.h"
#include "util/files.h"
#include "util/msg.h"

namespace mailbox {
namespace {

unsigned long next_count = 0;

std::string Errno(int err) { return strerror(err); }

Result Failed(int err, const std::string& what) {
  return Result::Fail(MailboxDsn(err, "4.2.0"), "maildir delivery failed: " + what);
}

// mkdir of one level (0700); an existing directory is fine.
int MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return 0;
  return errno;
}

int MakeMaildir(const std::string& dir) {
  // Parents first ("mkdir -p", each new level 0700, owned by the caller's
  // effective IDs), then the three subdirectories.
  std::string path;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    path = dir.substr(0, pos);
    if (path.empty() || path == "/") continue;
    struct stat st;
    if (stat(path.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) return ENOTDIR;
      continue;
    }
    if (int err = MakeDir(path)) return err;
  }
  for (const char* sub : {"tmp", "new", "cur"})
    if (int err = MakeDir(dir + "/" + sub)) return err;
  return 0;
}

}  // namespace

std::string SafeHostname(std::string_view host) {
  std::string out;
  for (char c : host) {
    if (c == '/')
      out += "\\057";
    else if (c == ':')
      out += "\\072";
    else
      out += c;
  }
  return out;
}

dev_t QueueDevice(const std::string& queue_directory) {
  util::Fd dir(::open(queue_directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  struct stat st;
  if (!dir || fstat(dir.get(), &st) != 0 || !util::JournalOrdersNames(dir.get())) return 0;
  return st.st_dev;
}

Result DeliverMaildir(const Message& msg, const std::string& dir_arg, const MaildirOptions& o) {
  std::string dir = dir_arg;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  std::string unique = std::to_string(tv.tv_sec) + ".M" + std::to_string(tv.tv_usec) + "P" +
                       std::to_string(getpid()) + "Q" + std::to_string(++next_count) + "." +
                       o.hostname;
  std::string tmp = dir + "/tmp/" + unique;

  util::Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd && errno == ENOENT) {
    if (int err = MakeMaildir(dir))
      return Failed(err, "create maildir file " + tmp + ": " + Errno(err));
    fd.reset(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  }
  if (!fd) {
    int err = errno;
    return Failed(err, "create maildir file " + tmp + ": " + Errno(err));
  }

  FileWriter w(fd.get(), o.file_limit);
  CopyResult c = CopyMessage(msg, CopyStyle::kMaildir, &w);
  int err = c.err;
  std::string what = c.what;
  if (!c.loop && !err && fsync(fd.get()) < 0) {
    err = errno;
    what = "error writing message: " + Errno(err);
  }
  // Whether new/'s new name needs a directory sync of its own (below).
  struct stat st;
  bool journal = !c.loop && !err && o.queue_device != 0 && fstat(fd.get(), &st) == 0 &&
                 st.st_dev == o.queue_device;
  if (!c.loop && !err && ::close(fd.release()) < 0 && errno != EINTR) {
    err = errno;
    what = "error writing message: " + Errno(err);
  }
  if (c.loop || err) {
    fd.reset();
    unlink(tmp.c_str());
    if (c.loop) return Result::Bounce("5.4.6", "mail forwarding loop for " + msg.recipient);
    return Failed(err, what);
  }
  int64_t size = static_cast<int64_t>(w.size());

  if (o.quota_limit > 0) {
    util::StatusOr<MaildirSize> q = o.create_maildirsize
                                        ? ReadOrRecalculate(dir, o.quota_limit, tv.tv_sec)
                                        : util::StatusOr<MaildirSize>(ScanMaildir(dir));
    if (!q.ok()) {
      msg::Warn("%s", q.status().message().c_str());
      q = ScanMaildir(dir);
    }
    if (q->bytes + size > o.quota_limit) {
      unlink(tmp.c_str());
      if (o.overquota_bounce) return Result::Bounce("5.2.2", o.limit_message);
      return Result::Defer("4.2.2", o.limit_message);
    }
  }

  std::string name = unique;
  if (o.extended_names) name += ",S=" + std::to_string(size);
  std::string newpath = dir + "/new/" + name;
  if (link(tmp.c_str(), newpath.c_str()) < 0) {
    int lerr = errno;
    // File systems without hard links: rename (still atomic).
    if (lerr != EPERM && lerr != ENOTSUP && lerr != EXDEV) {
      unlink(tmp.c_str());
      return Failed(lerr, "link to " + newpath + ": " + Errno(lerr));
    }
    if (rename(tmp.c_str(), newpath.c_str()) < 0) {
      lerr = errno;
      unlink(tmp.c_str());
      return Failed(lerr, "link to " + newpath + ": " + Errno(lerr));
    }
  } else {
    unlink(tmp.c_str());
  }
  // The content is synced; the name in new/ is synced here, or, on the
  // queue's own file system with a journal that commits names in order,
  // rides with every later change: the queue file's update after this
  // delivery is reported never reaches the disk without it (Postfix relies
  // on the same order, without the conditions).
  if (util::Status s = journal ? util::OkStatus() : util::FsyncDir(dir + "/new"); !s.ok()) {
    // The message is in place but maybe not durable: deliver again later.
    unlink(newpath.c_str());
    return Result::Defer("4.2.0", "maildir delivery failed: " + s.message());
  }
  if (o.quota_limit > 0 && o.create_maildirsize) {
    if (util::Status s = AppendDelivery(dir, size); !s.ok())
      msg::Warn("cannot update %s/maildirsize: %s", dir.c_str(), s.message().c_str());
  }
  return Result::Sent("delivered to maildir");
}

}  // namespace mailbox
