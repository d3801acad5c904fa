#include "global/maildir_quota.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>

#include "util/fd.h"
#include "util/files.h"
#include "util/strings.h"

namespace mailbox {
namespace {

constexpr size_t kMaxFileSize = 5120;
constexpr std::time_t kStaleSeconds = 15 * 60;

std::string Join(const std::string& dir, std::string_view name) {
  if (!dir.empty() && dir.back() == '/') return dir + std::string(name);
  return dir + "/" + std::string(name);
}

std::optional<int64_t> ParseNumber(std::string_view s) {
  auto v = util::ParseInt(s);
  if (!v) return std::nullopt;
  return static_cast<int64_t>(*v);
}

// Sums of a scan never wrap: a name claiming ",S=9223372036854775807"
// makes the mailbox "very full", not "empty".
int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

void ScanSubdir(const std::string& dir, MaildirSize* out) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (struct dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name.empty() || name[0] == '.') continue;
    std::optional<int64_t> size = SizeFromName(name);
    if (!size) {
      struct stat st;
      if (lstat(Join(dir, name).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      size = static_cast<int64_t>(st.st_size);
    }
    out->bytes = SaturatingAdd(out->bytes, *size);
    out->count = SaturatingAdd(out->count, 1);
  }
  closedir(d);
}

}  // namespace

std::optional<MaildirSize> ParseMaildirSize(std::string_view text) {
  std::vector<std::string> lines = util::Split(text, '\n');
  if (lines.empty()) return std::nullopt;
  MaildirSize q;
  bool any = false;
  for (const std::string& part : util::Split(util::Trim(lines[0]), ',')) {
    std::string_view p = util::Trim(part);
    if (p.size() < 2) return std::nullopt;
    std::optional<int64_t> n = ParseNumber(p.substr(0, p.size() - 1));
    if (!n || *n < 0) return std::nullopt;
    if (p.back() == 'S')
      q.limit_bytes = *n;
    else if (p.back() == 'C')
      q.limit_count = *n;
    else
      return std::nullopt;
    any = true;
  }
  if (!any) return std::nullopt;
  // A line that is not "<bytes> <count>", a sum that overflows or a total
  // below zero means the file cannot be trusted: the caller recalculates
  // rather than take a wrong quota decision.
  for (size_t i = 1; i < lines.size(); i++) {
    if (util::Trim(lines[i]).empty()) continue;
    std::vector<std::string> f = util::SplitAny(lines[i], " \t");
    if (f.size() != 2) return std::nullopt;
    std::optional<int64_t> b = ParseNumber(f[0]), c = ParseNumber(f[1]);
    if (!b || !c) return std::nullopt;
    if (__builtin_add_overflow(q.bytes, *b, &q.bytes) ||
        __builtin_add_overflow(q.count, *c, &q.count))
      return std::nullopt;
  }
  if (q.bytes < 0 || q.count < 0) return std::nullopt;
  return q;
}

std::string QuotaDefinition(int64_t bytes, int64_t count) {
  std::string s = std::to_string(bytes) + "S";
  if (count > 0) s += "," + std::to_string(count) + "C";
  return s;
}

std::optional<int64_t> SizeFromName(std::string_view name) {
  size_t colon = name.find(':');
  if (colon != std::string_view::npos) name = name.substr(0, colon);
  size_t pos = name.find(",S=");
  if (pos == std::string_view::npos) return std::nullopt;
  std::string_view rest = name.substr(pos + 3);
  size_t end = 0;
  while (end < rest.size() && rest[end] >= '0' && rest[end] <= '9') end++;
  if (end == 0) return std::nullopt;
  return ParseNumber(rest.substr(0, end));
}

MaildirSize ScanMaildir(const std::string& maildir) {
  MaildirSize q;
  q.recalculated = true;
  ScanSubdir(Join(maildir, "new"), &q);
  ScanSubdir(Join(maildir, "cur"), &q);
  DIR* d = opendir(maildir.c_str());
  if (!d) return q;
  std::vector<std::string> folders;
  while (struct dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name.size() < 2 || name[0] != '.' || name == "..") continue;
    struct stat st;
    std::string path = Join(maildir, name);
    if (lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) folders.push_back(path);
  }
  closedir(d);
  for (const std::string& f : folders) {
    ScanSubdir(Join(f, "new"), &q);
    ScanSubdir(Join(f, "cur"), &q);
  }
  return q;
}

util::StatusOr<MaildirSize> ReadOrRecalculate(const std::string& maildir, int64_t limit,
                                              std::time_t now) {
  std::string path = Join(maildir, "maildirsize");
  std::optional<int64_t> keep_count;
  struct stat st;
  if (lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<size_t>(st.st_size) < kMaxFileSize) {
    util::StatusOr<std::string> text = util::ReadFile(path, kMaxFileSize);
    if (text.ok()) {
      std::optional<MaildirSize> q = ParseMaildirSize(*text);
      if (q) {
        keep_count = q->limit_count;
        bool same_limit = q->limit_bytes.value_or(-1) == limit;
        bool stale_over = q->bytes > limit && now - st.st_mtime > kStaleSeconds;
        if (same_limit && !stale_over) return *q;
      }
    }
  }
  MaildirSize q = ScanMaildir(maildir);
  q.limit_bytes = limit;
  q.limit_count = keep_count;
  std::string text = QuotaDefinition(limit, keep_count.value_or(0)) + "\n" +
                     std::to_string(q.bytes) + " " + std::to_string(q.count) + "\n";
  util::Status s = util::AtomicReplace(path, text, 0600);
  if (!s.ok()) return s;
  return q;
}

util::Status AppendDelivery(const std::string& maildir, int64_t bytes) {
  std::string path = Join(maildir, "maildirsize");
  util::Fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return util::ErrnoStatus(errno, "open " + path);
  return util::WriteAll(fd.get(), std::to_string(bytes) + " 1\n", path);
}

}  // namespace mailbox
