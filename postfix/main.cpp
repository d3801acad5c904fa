// postfix - the administrator's control program (Postfix's postfix(1)).
//
// SYNOPSIS
//   postfix [-c config_dir] [-Dv] command
//
// COMMANDS (messages and exit codes as Postfix's postfix-script)
//   check            create missing queue directories ($queue_directory
//                    tree and $data_directory, owners and modes as Postfix's
//                    postfix-files), check master.cf and the programs, warn
//                    about wrong owners or permissions. Exit 0 unless fatal.
//   start            check, then run `$daemon_directory/master -w` and wait
//                    until master is up: "starting the Postfix mail system";
//                    "fatal: the Postfix mail system is already running"
//                    (exit 1); "fatal: mail system startup failed" (exit 1).
//   start-fg         check, then run master in the foreground (`master -d`,
//                    for containers and `make run`).
//   stop             graceful: SIGTERM to master, which lets children finish
//                    their client (up to 5 s); waits until master is gone
//                    (up to 10 s, then SIGKILL to its process group:
//                    "stopping the Postfix mail system with force").
//   abort            immediate: SIGQUIT to master, which terminates the
//                    children at once; waits until master is gone.
//   reload           SIGHUP to master: "refreshing the Postfix mail system".
//   status           "the Postfix mail system is running: PID: N" (exit 0)
//                    or "the Postfix mail system is not running" (exit 1).
//   flush            asks qmgr to retry deferred mail now (trigger 'F' on
//                    public/qmgr).
//   set-permissions  like check, but also fixes the owner and mode of
//                    existing queue directories.
//   logrotate        renames $maillog_file to FILE.SUFFIX (SUFFIX:
//                    strftime of $maillog_file_rotate_suffix, local time),
//                    sends SIGHUP to a running master (postlogd also opens
//                    the new name by itself), waits a second for writers
//                    of the old file, then runs `$maillog_file_compressor
//                    FILE.SUFFIX` (one word, looked up in PATH), as Postfix
//                    3.4's postfix-script. Errors: "fatal: empty 'NAME'
//                    parameter value - logfile rotation failed", "fatal:
//                    not rotating '/dev/...'", "fatal: logfile 'FILE'
//                    rotation failed: ERRORS" (exit 1). Silent otherwise.
// stop, abort, reload and flush say "fatal: the Postfix mail system is not
// running" (exit 1) when no master holds the instance's lock.
//
// OPTIONS
//   -c DIR  another configuration directory (several instances on one
//           machine); passed to master as MAIL_CONFIG.
//   -D      accepted and ignored (debugger_command is not supported).
//   -v      verbose logging.
//
// Messages go to stderr as "postfix/postfix-script: TEXT" and to the mail
// log as "postfix/postfix-script[PID]: TEXT".
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdarg>
#include <cstring>
#include <string>
#include <thread>

#include "global/config.h"
#include "global/mail_queue_dirs.h"
#include "global/mail_trigger.h"
#include "global/maillog.h"
#include "global/master_lock.h"
#include "global/param_usage.h"
#include "util/msg.h"
#include "util/strings.h"

namespace {

using Clock = std::chrono::steady_clock;

// Logs through msg (stderr off) and prints "syslog_name/postfix-script: ..."
// on stderr, as Postfix's postlog -t does for postfix-script.
void Say(msg::Level level, const char* fmt, va_list ap) {
  std::string text = util::StrVFormat(fmt, ap);
  const char* prefix = level == msg::Level::kWarning ? "warning: "
                       : level == msg::Level::kFatal ? "fatal: "
                       : level == msg::Level::kError ? "error: "
                                                     : "";
  std::string line = msg::SyslogName() + "/postfix-script: " + prefix + text + "\n";
  (void)!write(2, line.data(), line.size());
  msg::Log(level, text);  // exits 1 for kFatal
}

void Info(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void Warn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void Fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

void Info(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Say(msg::Level::kInfo, fmt, ap);
  va_end(ap);
}
void Warn(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Say(msg::Level::kWarning, fmt, ap);
  va_end(ap);
}
void Fatal(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Say(msg::Level::kFatal, fmt, ap);
  va_end(ap);
  exit(1);
}

[[noreturn]] void Usage() { msg::Fatal("usage: postfix [-c config_dir] [-Dv] command"); }

bool IsExecutable(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

// postfix-script check-fatal + check-warn.
void Check(const config::Config& cfg, bool fix, bool need_master, bool settings = false) {
  auto owners = mail_queue_dirs::LookupOwners(cfg);
  if (!owners.ok()) Fatal("%s", owners.status().message().c_str());
  auto dirs = mail_queue_dirs::Directories(cfg, *owners);
  if (util::Status st = mail_queue_dirs::Create(dirs, fix); !st.ok())
    Fatal("unable to create missing queue directories: %s", st.message().c_str());
  const util::Status& mst = cfg.master_cf_status();
  if (!mst.ok()) {
    if (mst.code() == util::Code::kNotFound)
      Fatal("no %s/master.cf file found", cfg.config_dir().c_str());
    Fatal("%s", mst.message().c_str());
  }
  const std::string daemon_dir = cfg.Get("daemon_directory");
  struct stat st;
  if (stat(daemon_dir.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
    Fatal("no Postfix daemon directory %s!", daemon_dir.c_str());
  if (need_master && !IsExecutable(daemon_dir + "/master"))
    Fatal("no Postfix master program %s/master!", daemon_dir.c_str());
  if (!cfg.Get("maillog_file").empty() && !cfg.master_cf().Find("postlog", "unix-dgram"))
    Warn(
        "maillog_file is set but master.cf has no 'postlog' service: programs append to %s "
        "directly",
        cfg.Get("maillog_file").c_str());
  for (const std::string& p : mail_queue_dirs::Check(dirs)) Warn("%s", p.c_str());
  // Every value a program will read must fit its type and range, in main.cf
  // and in each service's -o options: found now, not when the program
  // starts and dies.
  for (const config::MasterEntry& e : cfg.master_cf().entries()) {
    std::string program = e.command.substr(e.command.rfind('/') + 1);
    if (param_usage::FindProgram(program) == nullptr) continue;
    config::Config with = cfg;
    for (const auto& [name, value] : e.overrides) with.Set(name, value);
    if (util::Status st = with.Declare(param_usage::Declared(program), program); !st.ok()) {
      if (e.overrides.empty()) Fatal("%s", st.message().c_str());
      Fatal("%s (%s/master.cf: line %d: service %s)", st.message().c_str(),
            cfg.config_dir().c_str(), e.line, e.key().c_str());
    }
  }
  // Settings this system would otherwise ignore (master says so at start).
  if (settings) {
    for (const std::string& w : param_usage::UnimplementedSettings(cfg, true))
      Warn("%s", w.c_str());
    for (const config::MasterEntry& e : cfg.master_cf().entries()) {
      if (param_usage::ChrootWanted(cfg, e))
        Warn(
            "%s/master.cf: line %d: service %s: chroot is not implemented by this mail system; "
            "the service runs without it",
            cfg.config_dir().c_str(), e.line, e.key().c_str());
      if (e.command == "smtpd" || e.command == "cleanup") {
        config::Config with = cfg;
        for (const auto& [name, value] : e.overrides) with.Set(name, value);
        if (auto why = param_usage::Refusal(with, e.command))
          Warn("%s/master.cf: line %d: service %s: %s; %s will refuse to start",
               cfg.config_dir().c_str(), e.line, e.key().c_str(), why->c_str(), e.command.c_str());
      }
    }
  }
  // Programs named in master.cf that are missing will fail at start-up.
  for (const config::MasterEntry& e : cfg.master_cf().entries()) {
    std::string path = e.command.front() == '/' ? e.command : daemon_dir + "/" + e.command;
    if (!IsExecutable(path))
      Warn("%s/master.cf, line %d: service %s: program %s not found or not executable",
           cfg.config_dir().c_str(), e.line, e.key().c_str(), path.c_str());
  }
}

pid_t RequireRunning(const config::Config& cfg) {
  auto pid = master_lock::RunningMaster(cfg);
  if (!pid) Fatal("the Postfix mail system is not running");
  if (*pid <= 0) Fatal("cannot read the master PID from %s", master_lock::PidPath(cfg).c_str());
  return *pid;
}

// Waits until no master holds the lock; prints the waiting message each
// second as postfix-script does. True when master is gone.
bool WaitGone(const config::Config& cfg, std::chrono::seconds limit, bool chatty) {
  const auto start = Clock::now();
  auto next_note = start + std::chrono::seconds(1);
  while (master_lock::RunningMaster(cfg)) {
    auto now = Clock::now();
    if (now - start >= limit) return false;
    if (chatty && now >= next_note) {
      Info("waiting for the Postfix mail system to terminate");
      next_note += std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

int RunMaster(const config::Config& cfg, const char* flag) {
  const std::string master = cfg.Get("daemon_directory") + "/master";
  pid_t pid = fork();
  if (pid < 0) Fatal("fork: %s", strerror(errno));
  if (pid == 0) {
    execl(master.c_str(), "master", flag, static_cast<char*>(nullptr));
    msg::Error("exec %s: %s", master.c_str(), strerror(errno));
    _exit(1);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

// postfix logrotate (see the top of this file).
int LogRotate(const config::Config& cfg) {
  const std::pair<const char*, std::string> values[] = {
      {"maillog_file", cfg.Get("maillog_file")},
      {"maillog_file_compressor", cfg.Get("maillog_file_compressor")},
      {"maillog_file_rotate_suffix", cfg.Get("maillog_file_rotate_suffix")}};
  for (const auto& [name, value] : values) {
    if (value.empty()) Fatal("empty '%s' parameter value - logfile rotation failed", name);
  }
  const std::string file = cfg.Get("maillog_file");
  if (file.compare(0, 5, "/dev/") == 0) Fatal("not rotating '%s'", file.c_str());
  char suffix[256];
  time_t now = time(nullptr);
  struct tm tm;
  localtime_r(&now, &tm);
  size_t n = strftime(suffix, sizeof(suffix), cfg.Get("maillog_file_rotate_suffix").c_str(), &tm);
  if (n == 0) Fatal("logfile '%s' rotation failed: date: invalid suffix format", file.c_str());
  const std::string rotated = file + "." + suffix;
  if (rename(file.c_str(), rotated.c_str()) < 0)
    Fatal("logfile '%s' rotation failed: mv: cannot move '%s' to '%s': %s", file.c_str(),
          file.c_str(), rotated.c_str(), strerror(errno));
  if (auto pid = master_lock::RunningMaster(cfg); pid && kill(*pid, SIGHUP) < 0)
    Fatal("logfile '%s' rotation failed: kill: %s", file.c_str(), strerror(errno));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  // The compressor's own error output is the reason, as in postfix-script.
  int err[2];
  if (pipe(err) < 0) Fatal("logfile '%s' rotation failed: pipe: %s", file.c_str(), strerror(errno));
  const std::string compressor = cfg.Get("maillog_file_compressor");
  pid_t child = fork();
  if (child < 0) Fatal("logfile '%s' rotation failed: fork: %s", file.c_str(), strerror(errno));
  if (child == 0) {
    dup2(err[1], 1);
    dup2(err[1], 2);
    close(err[0]);
    close(err[1]);
    execlp(compressor.c_str(), compressor.c_str(), rotated.c_str(), static_cast<char*>(nullptr));
    dprintf(2, "%s: %s", compressor.c_str(), strerror(errno));
    _exit(127);
  }
  close(err[1]);
  std::string errors;
  char buf[512];
  ssize_t got;
  while ((got = read(err[0], buf, sizeof(buf))) > 0 || (got < 0 && errno == EINTR))
    if (got > 0) errors.append(buf, static_cast<size_t>(got));
  close(err[0]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!errors.empty() && errors.back() == '\n') errors.pop_back();
    Fatal("logfile '%s' rotation failed: %s", file.c_str(), errors.c_str());
  }
  return 0;
}

int main(int argc, char** argv) {
  msg::Init("postfix");
  std::string config_dir;
  int verbose = 0;
  int c;
  while ((c = getopt(argc, argv, "+c:Dv")) != -1) {
    switch (c) {
      case 'c':
        config_dir = optarg;
        break;
      case 'D':
        break;
      case 'v':
        ++verbose;
        break;
      default:
        Usage();
    }
  }
  if (optind >= argc) Usage();
  const std::string command = argv[optind];
  if (optind + 1 != argc) msg::Fatal("usage: postfix %s (no arguments)", command.c_str());

  config_dir = config::ConfigDirectory(config_dir);
  if (char* real = realpath(config_dir.c_str(), nullptr)) {
    config_dir = real;
    free(real);
  } else {
    msg::Fatal("no Postfix configuration directory %s!", config_dir.c_str());
  }
  auto cfg = config::Config::Load(config_dir);
  if (!cfg.ok()) msg::Fatal("%s", cfg.status().message().c_str());
  if (util::Status st = cfg->Declare(param_usage::Declared("postfix"), "postfix"); !st.ok())
    msg::Fatal("%s", st.message().c_str());
  setenv("MAIL_CONFIG", config_dir.c_str(), 1);
  maillog::Init("postfix-script", *cfg, maillog::Mode::kCommand);
  msg::UseStderr(false);
  msg::SetVerbose(verbose);

  if (command == "check") {
    Check(*cfg, false, true, true);
    return 0;
  }
  if (command == "set-permissions") {
    Check(*cfg, true, false);
    return 0;
  }
  if (command == "start" || command == "start-fg") {
    if (master_lock::RunningMaster(*cfg)) Fatal("the Postfix mail system is already running");
    Check(*cfg, false, true);
    Info("starting the Postfix mail system");
    if (command == "start-fg") {
      const std::string master = cfg->Get("daemon_directory") + "/master";
      execl(master.c_str(), "master", "-d", static_cast<char*>(nullptr));
      Fatal("cannot start-fg the master daemon: exec %s: %s", master.c_str(), strerror(errno));
    }
    if (RunMaster(*cfg, "-w") != 0) Fatal("mail system startup failed");
    // master -w returns once master is up; confirm through the lock.
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (!master_lock::RunningMaster(*cfg)) {
      if (Clock::now() > deadline) Fatal("mail system startup failed");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return 0;
  }
  if (command == "status") {
    auto pid = master_lock::RunningMaster(*cfg);
    if (!pid) {
      Info("the Postfix mail system is not running");
      return 1;
    }
    Info("the Postfix mail system is running: PID: %ld", static_cast<long>(*pid));
    return 0;
  }
  if (command == "stop") {
    pid_t pid = RequireRunning(*cfg);
    Info("stopping the Postfix mail system");
    if (kill(pid, SIGTERM) < 0) Fatal("kill %ld: %s", static_cast<long>(pid), strerror(errno));
    if (WaitGone(*cfg, std::chrono::seconds(10), true)) return 0;
    Warn("stopping the Postfix mail system with force");
    if (getpgid(pid) == pid) kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    if (!WaitGone(*cfg, std::chrono::seconds(5), false))
      Fatal("the Postfix mail system did not stop (pid %ld)", static_cast<long>(pid));
    return 0;
  }
  if (command == "abort") {
    pid_t pid = RequireRunning(*cfg);
    Info("aborting the Postfix mail system");
    if (kill(pid, SIGQUIT) < 0) Fatal("kill %ld: %s", static_cast<long>(pid), strerror(errno));
    if (!WaitGone(*cfg, std::chrono::seconds(5), false)) {
      if (getpgid(pid) == pid) kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
    }
    return 0;
  }
  if (command == "reload") {
    pid_t pid = RequireRunning(*cfg);
    Info("refreshing the Postfix mail system");
    if (kill(pid, SIGHUP) < 0) Fatal("kill %ld: %s", static_cast<long>(pid), strerror(errno));
    return 0;
  }
  if (command == "logrotate") return LogRotate(*cfg);
  if (command == "flush") {
    RequireRunning(*cfg);
    const config::MasterEntry* e = cfg->master_cf().Find("qmgr", "unix");
    if (!e) e = cfg->master_cf().Find("qmgr", "fifo");
    if (!e) Fatal("Cannot flush mail queue - no qmgr service in %s/master.cf", config_dir.c_str());
    std::string path = mail_trigger::ServicePath(*cfg, !e->is_private(), "qmgr");
    std::string request(1, 'F');
    util::Status st = mail_trigger::Trigger(path, request, std::chrono::seconds(2));
    if (!st.ok())
      Fatal("Cannot flush mail queue - qmgr is not reachable: %s", st.message().c_str());
    return 0;
  }
  Fatal(
      "unknown command: '%s'. Usage: postfix start (or stop, reload, abort, flush, check, "
      "status, set-permissions, start-fg, logrotate)",
      command.c_str());
}
