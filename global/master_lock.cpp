#include "global/master_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "util/files.h"
#include "util/strings.h"

namespace master_lock {
namespace {

std::optional<pid_t> ReadPid(const std::string& path) {
  auto text = util::ReadFile(path, 4096);
  if (!text.ok()) return std::nullopt;
  std::string_view t = *text;
  if (auto nl = t.find('\n'); nl != std::string_view::npos) t = t.substr(0, nl);
  auto n = util::ParseInt(util::Trim(t));
  if (!n || *n <= 0) return std::nullopt;
  return static_cast<pid_t>(*n);
}

}  // namespace

std::string LockPath(const config::Config& cfg) {
  return cfg.Get("data_directory") + "/master.lock";
}

std::string PidPath(const config::Config& cfg) {
  std::string dir = cfg.Get("process_id_directory");
  if (dir.empty()) dir = "pid";
  if (dir.front() != '/') dir = cfg.Get("queue_directory") + "/" + dir;
  return dir + "/master.pid";
}

util::StatusOr<util::Fd> Acquire(const std::string& lock_path) {
  util::Fd fd(open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return util::ErrnoStatus(errno, "open lock file " + lock_path);
  // A tester (postfix status) holds a shared lock for an instant: retry a
  // little before concluding that another master runs.
  for (int attempt = 0;; ++attempt) {
    if (flock(fd.get(), LOCK_EX | LOCK_NB) == 0) break;
    int err = errno;
    if (err != EWOULDBLOCK || attempt >= 10) {
      std::string m =
          "open lock file " + lock_path + ": unable to set exclusive lock: " + strerror(err);
      if (err == EWOULDBLOCK) {
        auto pid = ReadPid(lock_path);
        m += " (the Postfix mail system is already running";
        if (pid) m += util::StrFormat(": pid %ld", static_cast<long>(*pid));
        m += ")";
        return util::Unavailable(m);
      }
      return util::ErrnoStatus(err, m);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string text = util::StrFormat("%10ld\n", static_cast<long>(getpid()));
  if (ftruncate(fd.get(), 0) < 0 || pwrite(fd.get(), text.data(), text.size(), 0) < 0)
    return util::ErrnoStatus(errno, "write lock file " + lock_path);
  return fd;
}

util::Status WritePidFile(const std::string& path, pid_t pid) {
  return util::AtomicReplace(path, util::StrFormat("%10ld\n", static_cast<long>(pid)), 0644);
}

std::optional<pid_t> RunningMaster(const std::string& lock_path, const std::string& pid_path) {
  util::Fd fd(open(lock_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return std::nullopt;
  if (flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return std::nullopt;  // nobody holds it
  if (errno != EWOULDBLOCK) return std::nullopt;
  // The lock file's PID is written under the lock, so it is never stale.
  if (auto pid = ReadPid(lock_path)) return pid;
  if (auto pid = ReadPid(pid_path)) return pid;
  return 0;
}

std::optional<pid_t> RunningMaster(const config::Config& cfg) {
  return RunningMaster(LockPath(cfg), PidPath(cfg));
}

}  // namespace master_lock
