#include "global/mail_queue.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>

#include "util/files.h"
#include "util/strings.h"

namespace mail_queue {
namespace {

// Long-ID alphabets, as Postfix documents them: digits and letters without
// vowels; the time (fixed width, 10 characters) uses all 52, the inode uses
// 51 (no 'z'), and a 'z' at index 10 separates the two.
constexpr std::string_view kBase52 = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
constexpr std::string_view kBase51 = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxy";
constexpr size_t kLongTimeWidth = 10;
static_assert(kBase52.size() == 52 && kBase51.size() == 51);

std::string Encode(unsigned long long v, std::string_view alphabet, size_t min_width) {
  std::string out;
  do {
    out.insert(out.begin(), alphabet[v % alphabet.size()]);
    v /= alphabet.size();
  } while (v);
  while (out.size() < min_width) out.insert(out.begin(), alphabet[0]);
  return out;
}

}  // namespace

const std::vector<std::string_view>& MessageQueues() {
  static const std::vector<std::string_view> kQueues = {kMaildrop, kIncoming, kActive,
                                                        kDeferred, kHold,     kCorrupt};
  return kQueues;
}

const std::vector<std::string_view>& LogQueues() {
  static const std::vector<std::string_view> kQueues = {kDefer, kBounce, kTrace};
  return kQueues;
}

Layout Layout::FromConfig(const config::Config& cfg) {
  Layout l;
  l.queue_directory = cfg.Get("queue_directory");
  l.hash_depth = static_cast<int>(cfg.GetInt("hash_queue_depth"));
  l.hashed = cfg.GetList("hash_queue_names");
  l.long_ids = cfg.GetBool("enable_long_queue_ids");
  return l;
}

bool Layout::IsHashed(std::string_view queue) const {
  return hash_depth > 0 && std::find(hashed.begin(), hashed.end(), queue) != hashed.end();
}

std::string Layout::QueueDir(std::string_view queue) const {
  return queue_directory + "/" + std::string(queue);
}

std::string Layout::HashDirs(std::string_view queue, std::string_view id) const {
  if (!IsHashed(queue)) return {};
  std::string out;
  for (int i = 0; i < hash_depth && static_cast<size_t>(i) < id.size(); ++i) {
    if (i) out += '/';
    out += id[static_cast<size_t>(i)];
  }
  return out;
}

std::string Layout::Path(std::string_view queue, std::string_view id) const {
  std::string dirs = HashDirs(queue, id);
  return QueueDir(queue) + "/" + (dirs.empty() ? "" : dirs + "/") + std::string(id);
}

std::string ShortId(unsigned usec, ino_t inode) {
  return util::StrFormat("%05X%llX", usec & 0xFFFFF, static_cast<unsigned long long>(inode));
}

std::string LongId(long sec, unsigned usec, ino_t inode) {
  // 6 base-52 digits of seconds, 4 of microseconds, 'z', inode in base 51.
  return Encode(static_cast<unsigned long long>(sec), kBase52, 6) + Encode(usec, kBase52, 4) + "z" +
         Encode(static_cast<unsigned long long>(inode), kBase51, 1);
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  bool all_hex = std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
  });
  if (all_hex) return id.size() >= 6;
  size_t z = kLongTimeWidth;
  if (id.size() <= z + 1 || id[z] != 'z') return false;
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == z) continue;
    std::string_view alphabet = i < z ? kBase52 : kBase51;
    if (alphabet.find(id[i]) == std::string_view::npos) return false;
  }
  return true;
}

util::Status LinkUnnamed(int fd, const std::string& path) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (linkat(AT_FDCWD, proc, AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0)
    return util::OkStatus();
  return util::ErrnoStatus(errno, "link new file to " + path);
}

util::StatusOr<NewFile> CreateQueueFile(const Layout& layout, std::string_view queue) {
  static std::atomic<unsigned> counter{0};
  std::string dir = layout.QueueDir(queue);
  NewFile f;
  // Unnamed where the system allows it (O_TMPFILE, and /proc to link it
  // later): creating it takes no lock on the directory, so the file
  // system's inode allocation does not hold up the processes that create,
  // rename or list entries there. Else under a temporary name (which
  // postsuper -p removes if we die).
  std::string temp;
  struct stat st;
  static const bool have_proc = access("/proc/self/fd", X_OK) == 0;
  if (layout.unnamed_files && have_proc)
    f.fd.reset(open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (f.fd && fstat(f.fd.get(), &st) == 0) {
    f.unnamed = true;
  } else {
    temp = util::StrFormat("%s/.tmp.%ld.%u", dir.c_str(), static_cast<long>(getpid()),
                           counter.fetch_add(1));
    f.fd.reset(open(temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!f.fd) return util::ErrnoStatus(errno, "create file " + temp);
    if (fstat(f.fd.get(), &st) != 0) {
      int err = errno;
      unlink(temp.c_str());
      return util::ErrnoStatus(err, "fstat " + temp);
    }
  }
  auto drop_temp = [&] {
    if (!temp.empty()) unlink(temp.c_str());
  };
  for (int attempt = 0; attempt < 1000; ++attempt) {
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    f.id = layout.long_ids ? LongId(tv.tv_sec, static_cast<unsigned>(tv.tv_usec), st.st_ino)
                           : ShortId(static_cast<unsigned>(tv.tv_usec), st.st_ino);
    f.path = layout.Path(queue, f.id);
    std::string hashdir = util::Dirname(f.path);
    if (hashdir != dir) {
      util::Status s = util::MakeDirs(hashdir, 0700);
      if (!s.ok()) {
        drop_temp();
        return s;
      }
    }
    if (f.unnamed) {
      // The name is taken at the end (LinkUnnamed); it embeds our inode,
      // so no other file of this file system can come to have it.
      struct stat other;
      if (lstat(f.path.c_str(), &other) != 0 && errno == ENOENT) return f;
    } else if (util::RenameNoReplace(temp, f.path) == 0) {
      return f;
    } else if (errno != EEXIST) {
      int err = errno;
      drop_temp();
      return util::ErrnoStatus(err, "link " + temp + " to " + f.path);
    }
    usleep(1);  // same microsecond and inode reused: take the next microsecond
  }
  drop_temp();
  return util::Unavailable("cannot find a free queue ID in " + dir);
}

namespace {

// ListQueue and ListPart: every ID (of one part), or (due_by >= 0) those
// due by then.
util::StatusOr<std::vector<std::string>> Walk(const Layout& layout, std::string_view queue,
                                              time_t due_by, const std::string& part = "") {
  std::vector<std::string> ids;
  std::vector<std::pair<std::string, int>> dirs = {
      {layout.QueueDir(queue) + (part.empty() ? "" : "/" + part), part.empty() ? 0 : 1}};
  int depth = layout.IsHashed(queue) ? layout.hash_depth : 0;
  while (!dirs.empty()) {
    auto [dir, level] = dirs.back();
    dirs.pop_back();
    DIR* d = opendir(dir.c_str());
    if (!d) {
      if (errno == ENOENT && level > 0) continue;
      return util::ErrnoStatus(errno, "open directory " + dir);
    }
    while (struct dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      if (level < depth && name.size() == 1) {
        dirs.emplace_back(dir + "/" + name, level + 1);
        continue;
      }
      if (!IsValidId(name)) continue;
      struct stat st;
      if (due_by >= 0 && fstatat(dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          st.st_mtime > due_by)
        continue;
      ids.push_back(name);
    }
    closedir(d);
  }
  return ids;
}

}  // namespace

util::StatusOr<std::vector<std::string>> ListQueue(const Layout& layout, std::string_view queue) {
  return Walk(layout, queue, -1);
}

std::vector<std::string> QueueParts(const Layout& layout, std::string_view queue) {
  if (!layout.IsHashed(queue)) return {""};
  std::vector<std::string> parts;
  DIR* d = opendir(layout.QueueDir(queue).c_str());
  if (!d) return {""};  // ListPart reports the error
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() == 1 && name != "." && (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN))
      parts.push_back(name);
  }
  closedir(d);
  std::sort(parts.begin(), parts.end());
  return parts;
}

util::StatusOr<std::vector<std::string>> ListPart(const Layout& layout, std::string_view queue,
                                                  const std::string& part, time_t due_by) {
  return Walk(layout, queue, due_by, part);
}

}  // namespace mail_queue
