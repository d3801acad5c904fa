// master: the supervisor's process management: services, their listeners,
// their children, wakeup timers, throttling, reload and shutdown. main.cpp
// does the command line, locking and daemonizing, then:
//
//   util::EventLoop loop;
//   master::Master m(&loop, config_dir, verbose);
//   util::Status st = m.Start(cfg);       // listeners of every service
//   loop.OnSignal(SIGHUP, [&] { m.Reload(); });
//   loop.OnSignal(SIGTERM, [&] { m.Terminate(SIGTERM, true); });
//   loop.Run();                           // returns once terminated
//
// Children (master_proto.h): forked when a listener is readable and no
// child of the service is available, up to maxproc; a new child counts as
// available until it reports kTaken. All children write to one status pipe
// (fd 4) and share one flow-control pipe (fds 5 and 6, global/mail_flow.h);
// each service generation has its own lifeline pipe (fd 3).
//
// Reload: every service gets a new generation; listeners whose endpoint is
// unchanged are kept (so queued connections are not lost), the others are
// closed and new ones opened. The previous generation's lifelines are
// closed: its children finish the client they serve, then exit; until they
// have, they count against the new generation's maxproc, so a maxproc 1
// service (qmgr) never runs twice. A master.cf or main.cf that does not
// parse leaves the running configuration in place (Postfix would exit).
//
// Terminate: graceful (SIGTERM, `postfix stop`): listeners closed,
// lifelines closed, children get kStopGrace to finish, then SIGTERM, then
// SIGKILL. Immediate (SIGINT/SIGQUIT, `postfix abort`): children get
// SIGTERM at once, SIGKILL one second later. The loop stops when no child
// is left, so master never exits leaving a process behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "global/config.h"
#include "master/service.h"
#include "util/event_loop.h"
#include "util/fd.h"
#include "util/status.h"

namespace master {

inline constexpr std::chrono::seconds kStopGrace{5};

class Master {
 public:
  Master(util::EventLoop* loop, std::string config_dir, int verbose);
  ~Master();
  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;

  // Sets up every service of `cfg`. An error (a listener that cannot be
  // opened, a bad service) is returned for main to report as fatal.
  util::Status Start(const config::Config& cfg);
  // Re-reads main.cf and master.cf (SIGHUP).
  void Reload();
  // Shuts down (see above); the loop stops once all children are gone.
  void Terminate(int signo, bool graceful);

  size_t child_count() const { return children_.size(); }

 private:
  struct Listener {
    Endpoint endpoint;
    util::Fd fd;
  };
  struct Service {
    ServiceSpec spec;
    std::vector<Listener> listeners;
    int generation = 0;
    util::Fd lifeline_r, lifeline_w;
    int total = 0;      // children of this generation
    int avail = 0;      // of which available
    int inherited = 0;  // children of earlier generations still finishing
    bool throttled = false;
    bool condwake = false;  // "N?": no wakeups until first used
    std::vector<util::EventLoop::Handle> watches;
    util::EventLoop::Handle throttle_timer = util::EventLoop::kNoHandle;
    util::EventLoop::Handle wakeup_timer = util::EventLoop::kNoHandle;
    util::EventLoop::Handle first_wakeup = util::EventLoop::kNoHandle;
    time_t busy_warned = 0;
  };
  struct Child {
    std::string key;
    int generation = 0;
    std::string path;
    bool avail = true;
    int use_count = 0;
  };

  // Builds the services of `cfg`; on a configuration error nothing changes.
  util::Status Apply(const config::Config& cfg, bool reload);
  void Teardown(Service* s);  // cancels timers and watches
  void UpdateListen(Service* s);
  void Spawn(Service* s);
  void Throttle(Service* s);
  void StartWakeups(Service* s);
  void SendWakeup(Service* s);
  void ReadStatus();
  void Reap();
  void KillChildren(int signo);
  Service* Find(const std::string& key, int generation);

  util::EventLoop* loop_;
  std::string config_dir_;
  int verbose_;
  std::map<std::string, std::unique_ptr<Service>> services_;
  std::map<pid_t, Child> children_;
  util::Fd status_r_, status_w_;
  util::Fd flow_r_, flow_w_;  // in_flow_delay's token pipe (global/mail_flow.h)
  util::EventLoop::Handle status_watch_ = util::EventLoop::kNoHandle;
  util::EventLoop::Handle sigchld_ = util::EventLoop::kNoHandle;
  std::string pending_status_;
  int next_generation_ = 1;
  std::chrono::seconds throttle_time_{60};
  uid_t owner_uid_ = static_cast<uid_t>(-1);
  gid_t owner_gid_ = static_cast<gid_t>(-1);
  bool stopping_ = false;
  bool graceful_ = true;
};

}  // namespace master
