#include "global/mail_queue_dirs.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/files.h"
#include "util/strings.h"

namespace mail_queue_dirs {

util::StatusOr<Owners> LookupOwners(const config::Config& cfg) {
  Owners o;
  o.mail_owner = cfg.Get("mail_owner");
  o.setgid_group = cfg.Get("setgid_group");
  if (geteuid() != 0) {
    o.privileged = false;
    o.mail_uid = geteuid();
    o.mail_gid = getegid();
    o.setgid_gid = getegid();
    return o;
  }
  o.privileged = true;
  const std::string where = "file " + cfg.config_dir() + "/main.cf: parameter ";
  struct passwd* pw = getpwnam(o.mail_owner.c_str());
  if (pw == nullptr) {
    return util::FailedPrecondition(where + "mail_owner: unknown user name value: " + o.mail_owner);
  }
  o.mail_uid = pw->pw_uid;
  o.mail_gid = pw->pw_gid;
  struct group* gr = getgrnam(o.setgid_group.c_str());
  if (gr == nullptr) {
    return util::FailedPrecondition(where + "setgid_group: unknown group name: " + o.setgid_group);
  }
  o.setgid_gid = gr->gr_gid;
  return o;
}

std::vector<Dir> Directories(const config::Config& cfg, const Owners& owners) {
  const std::string q = cfg.Get("queue_directory");
  const uid_t none_u = static_cast<uid_t>(-1);
  const gid_t none_g = static_cast<gid_t>(-1);
  auto root = [&](const std::string& path, mode_t mode) {
    return Dir{path, mode, owners.privileged ? 0 : none_u, owners.privileged ? 0 : none_g,
               owners.privileged ? "root" : ""};
  };
  auto mail = [&](const std::string& path, mode_t mode, bool setgid_group) {
    if (!owners.privileged) return Dir{path, mode, none_u, none_g, ""};
    return Dir{path, mode, owners.mail_uid, setgid_group ? owners.setgid_gid : owners.mail_gid,
               owners.mail_owner};
  };
  std::vector<Dir> dirs;
  dirs.push_back(root(q, 0755));
  std::string pid_dir = cfg.Get("process_id_directory");
  if (pid_dir.empty()) pid_dir = "pid";
  dirs.push_back(root(pid_dir.front() == '/' ? pid_dir : q + "/" + pid_dir, 0755));
  dirs.push_back(mail(q + "/maildrop", 0730, true));
  dirs.push_back(mail(q + "/public", 0710, true));
  for (const char* name : {"private", "incoming", "active", "deferred", "hold", "corrupt", "defer",
                           "bounce", "trace", "saved", "flush"}) {
    dirs.push_back(mail(q + "/" + name, 0700, false));
  }
  dirs.push_back(mail(cfg.Get("data_directory"), 0700, false));
  return dirs;
}

util::Status Create(const std::vector<Dir>& dirs, bool fix) {
  for (const Dir& d : dirs) {
    util::Status st = util::MakeDirs(d.path, d.mode, d.uid, d.gid,
                                     fix ? util::ExistingDir::kFix : util::ExistingDir::kLeave);
    if (!st.ok()) return st;
  }
  return util::OkStatus();
}

std::vector<std::string> Check(const std::vector<Dir>& dirs) {
  std::vector<std::string> problems;
  for (const Dir& d : dirs) {
    struct stat st;
    if (stat(d.path.c_str(), &st) < 0) {
      problems.push_back("missing directory: " + d.path);
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      problems.push_back("not a directory: " + d.path);
      continue;
    }
    if (d.uid != static_cast<uid_t>(-1) && st.st_uid != d.uid)
      problems.push_back("not owned by " + d.owner + ": " + d.path);
    // Group-writable is by design only for maildrop (group setgid_group).
    if ((st.st_mode & 0002) || ((st.st_mode & 0020) && !(d.mode & 0020)))
      problems.push_back("group or other writable: " + d.path);
  }
  return problems;
}

}  // namespace mail_queue_dirs
