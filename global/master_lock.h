// master_lock: how the running master of an instance is found, and how a
// second one is refused.
//
// master holds an exclusive flock(2) on $data_directory/master.lock for its
// whole life (the file also holds its PID) and writes its PID to
// $queue_directory/$process_id_directory/master.pid ("%10d\n", as
// Postfix). The lock, not the PID file, decides whether master runs: a
// stale PID file left by a crash does not count.
//
//   // master:
//   auto lock = master_lock::Acquire(master_lock::LockPath(cfg));
//   if (!lock.ok()) msg::Fatal("%s", lock.status().message().c_str());
//   master_lock::WritePidFile(master_lock::PidPath(cfg), getpid());
//
//   // postfix status / stop / reload:
//   std::optional<pid_t> pid = master_lock::RunningMaster(cfg);
//   if (!pid) ... "the Postfix mail system is not running"
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "global/config.h"
#include "util/fd.h"
#include "util/status.h"

namespace master_lock {

std::string LockPath(const config::Config& cfg);  // $data_directory/master.lock
std::string PidPath(const config::Config& cfg);   // $queue_directory/pid/master.pid

// Opens (creating, mode 0600) and exclusively locks the lock file, then
// writes the caller's PID into it. The lock lasts as long as the returned
// descriptor (close-on-exec, so children do not inherit it). A lock held by
// another process is kUnavailable: "open lock file PATH: unable to set
// exclusive lock: Resource temporarily unavailable (the Postfix mail system
// is already running: pid N)". A brief hold by a tester (RunningMaster) is
// waited for (up to about a second).
util::StatusOr<util::Fd> Acquire(const std::string& lock_path);

// Writes "%10d\n" atomically (mode 0644).
util::Status WritePidFile(const std::string& path, pid_t pid);

// The PID of the master that holds the lock, or nullopt when no process
// holds it (also when the lock file does not exist). The PID comes from the
// lock file (written under the lock), else the PID file; 0 if neither reads.
std::optional<pid_t> RunningMaster(const config::Config& cfg);
std::optional<pid_t> RunningMaster(const std::string& lock_path, const std::string& pid_path);

}  // namespace master_lock
