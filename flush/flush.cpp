// flush: see flush.h.
#include "flush/flush.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <ctime>
#include <set>
#include <vector>

#include "global/flush_client.h"
#include "global/mail_trigger.h"
#include "global/master_proto.h"
#include "util/fd.h"
#include "util/files.h"
#include "util/msg.h"
#include "util/strings.h"

namespace flush {
namespace {

util::AttrList Reply(int status) { return util::AttrList{{"status", std::to_string(status)}}; }

constexpr int kOk = 0, kFail = 1, kBad = 3, kDeny = 4;

// Opens (creating) and exclusively locks a log.
util::Fd OpenLocked(const std::string& path, int flags) {
  util::Fd fd(open(path.c_str(), flags | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return fd;
  while (flock(fd.get(), LOCK_EX) < 0) {
    if (errno != EINTR) return util::Fd();
  }
  return fd;
}

}  // namespace

Service::Service(const config::Config& cfg)
    : cfg_(cfg),
      layout_(mail_queue::Layout::FromConfig(cfg)),
      dir_(cfg.Get("queue_directory") + "/flush"),
      refresh_time_(cfg.GetTime("fast_flush_refresh_time")),
      purge_time_(cfg.GetTime("fast_flush_purge_time")) {}

std::string Service::LogPath(std::string_view site) const {
  if (!flush_client::ValidSite(site) || site.find('/') != std::string_view::npos || site[0] == '.')
    return "";
  return dir_ + "/" + util::Lowercase(site);
}

int Service::Add(std::string_view site, std::string_view queue_id) {
  std::string path = LogPath(site);
  if (path.empty() || !mail_queue::IsValidId(queue_id)) return kBad;
  if (!flush_client::FlushDomainMatches(cfg_, site)) return kDeny;
  util::Fd fd = OpenLocked(path, O_WRONLY | O_CREAT | O_APPEND);
  if (!fd) {
    msg::Warn("open %s: %s", path.c_str(), strerror(errno));
    return kFail;
  }
  std::string line = std::string(queue_id) + "\n";
  if (write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    msg::Warn("append %s: %s", path.c_str(), strerror(errno));
    return kFail;
  }
  return kOk;
}

bool Service::Requeue(const std::string& id) {
  std::string from = layout_.Path(mail_queue::kDeferred, id);
  // Now: the queue manager takes incoming/ files at once, and a file that
  // goes back to deferred/ gets its retry time from the deferral.
  if (utimes(from.c_str(), nullptr) < 0) return false;
  if (util::RenameNoReplace(from, layout_.Path(mail_queue::kIncoming, id)) < 0) {
    if (errno != ENOENT) msg::Warn("%s: move to incoming: %s", id.c_str(), strerror(errno));
    return false;
  }
  return true;
}

int Service::SendLog(const std::string& path, bool* moved) {
  util::Fd fd = OpenLocked(path, O_RDWR);
  if (!fd) return errno == ENOENT ? kOk : kFail;
  std::string text;
  char buf[8192];
  for (ssize_t n; (n = read(fd.get(), buf, sizeof(buf))) > 0;) text.append(buf, n);
  if (ftruncate(fd.get(), 0) < 0) {
    msg::Warn("truncate %s: %s", path.c_str(), strerror(errno));
    return kFail;
  }
  std::set<std::string> seen;
  for (const std::string& id : util::Split(text, '\n')) {
    if (!mail_queue::IsValidId(id) || !seen.insert(id).second) continue;
    if (Requeue(id)) *moved = true;
  }
  return kOk;
}

int Service::SendSite(std::string_view site) {
  std::string path = LogPath(site);
  if (path.empty()) return kBad;
  if (!flush_client::FlushDomainMatches(cfg_, site)) return kDeny;
  bool moved = false;
  int st = SendLog(path, &moved);
  if (moved) WakeQmgr();
  return st;
}

int Service::SendFile(std::string_view queue_id) {
  if (!mail_queue::IsValidId(queue_id)) return kBad;
  if (Requeue(std::string(queue_id))) WakeQmgr();
  return kOk;
}

int Service::Refresh() { return Sweep(false); }
int Service::Purge() { return Sweep(true); }

int Service::Sweep(bool all) {
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) return errno == ENOENT ? kOk : kFail;
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') names.push_back(e->d_name);
  }
  closedir(d);
  const time_t now = time(nullptr);
  bool moved = false;
  for (const std::string& name : names) {
    std::string path = dir_ + "/" + name;
    struct stat st;
    if (lstat(path.c_str(), &st) < 0 || !S_ISREG(st.st_mode)) continue;
    long long age = static_cast<long long>(now - st.st_mtime);
    if (st.st_size == 0) {
      // Nothing deferred for that site since its last send.
      if (age > purge_time_ && unlink(path.c_str()) == 0)
        msg::Info("remove logfile for %s: unused for %llds", name.c_str(), age);
      continue;
    }
    if (all || age > refresh_time_) (void)SendLog(path, &moved);
  }
  if (moved) WakeQmgr();
  return kOk;
}

void Service::WakeQmgr() {
  // Dead destinations come back (the site's server may be the reason for
  // the ETRN), and incoming/ is scanned.
  const char request[] = {master_proto::kTriggerReviveDead, master_proto::kTriggerWakeup, 0};
  util::Status st =
      mail_trigger::Trigger(mail_trigger::ServicePath(cfg_, true, cfg_.Get("queue_service_name")),
                            request, std::chrono::seconds(1));
  if (!st.ok()) msg::Warn("wake up the queue manager: %s", st.message().c_str());
}

util::AttrList Service::Handle(const util::AttrList& req) {
  std::optional<std::string_view> request = req.Get("request");
  if (!request) return Reply(kBad);
  std::optional<std::string_view> site = req.Get("site");
  std::optional<std::string_view> id = req.Get("queue_id");
  if (*request == "add" && site && id) return Reply(Add(*site, *id));
  if (*request == "send_site" && site) return Reply(SendSite(*site));
  if (*request == "send_file" && id) return Reply(SendFile(*id));
  if (*request == "refresh") return Reply(Refresh());
  if (*request == "purge") return Reply(Purge());
  msg::Warn("bad request %s", req.DebugString().c_str());
  return Reply(kBad);
}

}  // namespace flush
