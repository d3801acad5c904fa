// master - the supervisor of the mail system (Postfix's master(8)).
//
// SYNOPSIS
//   master [-c config_dir] [-d] [-e exit_time] [-t] [-v] [-w]
//
// master reads main.cf and master.cf, creates every listening endpoint of
// every service itself, and runs the daemons on demand as master_proto.h
// describes (see master.h for the process management). It is normally
// started by `postfix start` (which runs `master -w`) or `postfix
// start-fg` (`master -d`).
//
// OPTIONS
//   -c DIR   configuration directory (default $MAIL_CONFIG, then the
//            built-in one); exported to children as MAIL_CONFIG.
//   -d       stay in the foreground, keep stdin/stdout/stderr.
//   -e SECS  terminate (gracefully) after SECS seconds.
//   -t       test mode: exit 0 when no master runs on this instance (the
//            lock is free), 1 when one does. Nothing is started.
//   -v       verbose logging (children get -v too).
//   -w       wait: a foreground process waits until the background master
//            is up (lock taken, PID file written, listeners open) and
//            exits 0, or 1 when start-up failed (the reason is logged).
//
// SIGNALS
//   SIGHUP   reload main.cf and master.cf (`postfix reload`).
//   SIGTERM  graceful stop (`postfix stop`): children finish their client
//            (up to 5 seconds), then are terminated.
//   SIGINT, SIGQUIT  immediate stop (`postfix abort`).
//
// FILES
//   $data_directory/master.lock   exclusively locked while master runs
//   $queue_directory/pid/master.pid
//
// ENVIRONMENT
//   The environment is reduced to import_environment (NAME or NAME=VALUE
//   entries), plus MAIL_CONFIG; children also get MASTER_GENERATION.
//
// DIAGNOSTICS (in the mail log, as Postfix)
//   daemon started -- version V, configuration DIR
//   reload -- version V, configuration DIR
//   terminating on signal N
//   warning: process PATH pid N exit status S | killed by signal N
//   warning: PATH: bad command startup -- throttling
//   fatal: open lock file PATH: unable to set exclusive lock: ... (the
//     Postfix mail system is already running: pid N)
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include "global/config.h"
#include "global/mail_queue_dirs.h"
#include "global/maillog.h"
#include "global/master_lock.h"
#include "global/param_usage.h"
#include "master/master.h"
#include "util/event_loop.h"
#include "util/fd.h"
#include "util/msg.h"
#include "util/process.h"
#include "util/strings.h"

namespace {

[[noreturn]] void Usage() {
  msg::Fatal("usage: master [-c config_dir] [-d] [-e exit_time] [-t] [-v] [-w]");
}

void DetachStdio() {
  int fd = open("/dev/null", O_RDWR);
  if (fd < 0) return;
  dup2(fd, 0);
  dup2(fd, 1);
  dup2(fd, 2);
  if (fd > 2) close(fd);
  msg::UseStderr(false);
}

// -w: the foreground process waits for one byte from the daemon on `fd`.
[[noreturn]] void WaitForDaemon(int fd) {
  char c = 0;
  fd_set set;
  FD_ZERO(&set);
  FD_SET(fd, &set);
  struct timeval tv = {60, 0};
  int n = select(fd + 1, &set, nullptr, nullptr, &tv);
  if (n > 0 && read(fd, &c, 1) == 1 && c == 'o') _exit(0);
  _exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  // Whatever the caller left open (a terminal, a test harness's pipe) is
  // not ours to keep alive; Postfix's master closes it too.
  close_range(3, ~0U, 0);
  msg::Init("master");
  util::OpenStandardFds();
  std::string config_dir;
  bool foreground = false, test_mode = false, wait_mode = false;
  int verbose = 0;
  long exit_time = 0;
  int c;
  while ((c = getopt(argc, argv, "c:de:istvwD")) != -1) {
    switch (c) {
      case 'c':
        config_dir = optarg;
        break;
      case 'd':
      case 'i':
      case 's':
        foreground = true;
        break;
      case 'e': {
        auto n = util::ParseInt(optarg);
        if (!n || *n < 1) Usage();
        exit_time = static_cast<long>(*n);
        break;
      }
      case 't':
        test_mode = true;
        break;
      case 'v':
        ++verbose;
        break;
      case 'w':
        wait_mode = true;
        break;
      case 'D':
        break;  // debugger_command: not supported, ignored
      default:
        Usage();
    }
  }
  if (optind != argc) Usage();
  msg::SetVerbose(verbose);

  config_dir = config::ConfigDirectory(config_dir);
  if (char* real = realpath(config_dir.c_str(), nullptr)) {
    config_dir = real;
    free(real);
  }
  auto cfg = config::Config::Load(config_dir);
  if (!cfg.ok()) msg::Fatal("%s", cfg.status().message().c_str());
  if (util::Status st = cfg->Declare(param_usage::Declared("master"), "master"); !st.ok())
    msg::Fatal("%s", st.message().c_str());

  if (test_mode) return master_lock::RunningMaster(*cfg) ? 1 : 0;

  util::CleanEnvironment(cfg->GetList("import_environment"));
  setenv("MAIL_CONFIG", config_dir.c_str(), 1);

  maillog::Init("master", *cfg, maillog::Mode::kDaemon);
  msg::SetVerbose(verbose);
  if (!cfg->master_cf_status().ok()) msg::Fatal("%s", cfg->master_cf_status().message().c_str());

  auto owners = mail_queue_dirs::LookupOwners(*cfg);
  if (!owners.ok()) msg::Fatal("%s", owners.status().message().c_str());
  if (!owners->privileged) {
    struct passwd* me = getpwuid(geteuid());
    std::string name = me ? me->pw_name : std::to_string(geteuid());
    if (owners->mail_owner != name)
      msg::Warn("not running as root: mail_owner = %s is ignored; all processes run as user %s",
                owners->mail_owner.c_str(), name.c_str());
  } else if (owners->mail_uid == 0) {
    msg::Warn("mail_owner = %s has user ID 0: daemons keep root privileges",
              owners->mail_owner.c_str());
  }

  // Daemonize: -w waits in the foreground for the daemon's word; plain
  // master just leaves the daemon behind.
  util::Fd ready;
  if (!foreground) {
    int p[2] = {-1, -1};
    if (wait_mode && pipe2(p, O_CLOEXEC) < 0) msg::Fatal("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) msg::Fatal("fork: %s", strerror(errno));
    if (pid > 0) {
      if (!wait_mode) _exit(0);
      close(p[1]);
      WaitForDaemon(p[0]);
    }
    if (wait_mode) {
      close(p[0]);
      ready.reset(p[1]);
    }
    setsid();
  }

  auto dirs = mail_queue_dirs::Directories(*cfg, *owners);
  if (util::Status st = mail_queue_dirs::Create(dirs, false); !st.ok())
    msg::Fatal("%s", st.message().c_str());
  const std::string queue_dir = cfg->Get("queue_directory");
  if (chdir(queue_dir.c_str()) < 0) msg::Fatal("chdir %s: %s", queue_dir.c_str(), strerror(errno));

  auto lock = master_lock::Acquire(master_lock::LockPath(*cfg));
  if (!lock.ok()) msg::Fatal("%s", lock.status().message().c_str());
  if (util::Status st = master_lock::WritePidFile(master_lock::PidPath(*cfg), getpid()); !st.ok())
    msg::Fatal("%s", st.message().c_str());

  signal(SIGPIPE, SIG_IGN);
  signal(SIGXFSZ, SIG_IGN);
  util::EventLoop loop;
  master::Master m(&loop, config_dir, verbose);
  loop.OnSignal(SIGHUP, [&] { m.Reload(); });
  loop.OnSignal(SIGTERM, [&] { m.Terminate(SIGTERM, true); });
  loop.OnSignal(SIGINT, [&] { m.Terminate(SIGINT, false); });
  loop.OnSignal(SIGQUIT, [&] { m.Terminate(SIGQUIT, false); });
  msg::Info("daemon started -- version %s, configuration %s", cfg->Get("mail_version").c_str(),
            config_dir.c_str());
  if (util::Status st = m.Start(*cfg); !st.ok()) msg::Fatal("%s", st.message().c_str());
  if (exit_time > 0)
    loop.AddTimer(std::chrono::seconds(exit_time), [&] { m.Terminate(SIGTERM, true); });

  if (ready) {
    char ok = 'o';
    (void)!write(ready.get(), &ok, 1);
    ready.reset();
  }
  if (!foreground) DetachStdio();
  util::Status st = loop.Run();
  if (!st.ok()) msg::Fatal("event loop: %s", st.message().c_str());
  return 0;
}
