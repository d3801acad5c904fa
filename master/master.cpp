#include "master/master.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "global/mail_queue_dirs.h"
#include "global/mail_trigger.h"
#include "global/master_proto.h"
#include "global/param_usage.h"
#include "master/listener.h"
#include "util/files.h"
#include "util/msg.h"
#include "util/sockets.h"
#include "util/strings.h"

extern char** environ;

namespace master {
namespace {

constexpr std::chrono::milliseconds kTriggerTimeout{1000};

// In the child, between fork and exec: descriptors as master_proto.h says,
// default signal handling, then the program.
[[noreturn]] void ExecChild(const std::string& path, char* const* argv, char* const* envp,
                            const std::vector<int>& fds) {
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  const int count = static_cast<int>(fds.size());
  const int floor = master_proto::kLifelineFd + count;
  int moved[64];
  for (int i = 0; i < count && i < 64; ++i) moved[i] = fcntl(fds[i], F_DUPFD, floor);
  for (int i = 0; i < count && i < 64; ++i) {
    if (moved[i] < 0 || dup2(moved[i], master_proto::kLifelineFd + i) < 0) {
      msg::Fatal("%s: set up descriptor %d: %s", path.c_str(), master_proto::kLifelineFd + i,
                 strerror(errno));
    }
  }
  // Anything else master had open is not for the child.
  close_range(floor, ~0U, CLOSE_RANGE_CLOEXEC);
  execve(path.c_str(), argv, envp);
  msg::Fatal("%s: exec %s: %s", argv[0], path.c_str(), strerror(errno));
}

util::StatusOr<std::chrono::seconds> ThrottleTime(const config::Config& cfg) {
  std::optional<std::string> raw = cfg.Raw("service_throttle_time");
  if (!raw) return std::chrono::seconds(60);
  auto v = cfg.Expand(*raw);
  if (!v.ok()) return v.status();
  auto t = util::ParseTime(*v, 's');
  if (!t || *t < 1)
    return util::FailedPrecondition("bad time configuration: service_throttle_time = " + *v);
  return std::chrono::seconds(*t);
}

}  // namespace

Master::Master(util::EventLoop* loop, std::string config_dir, int verbose)
    : loop_(loop), config_dir_(std::move(config_dir)), verbose_(verbose) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) msg::Fatal("pipe: %s", strerror(errno));
  status_r_.reset(p[0]);
  status_w_.reset(p[1]);
  util::SetNonBlocking(status_r_.get(), true);
  status_watch_ = loop_->WatchRead(status_r_.get(), [this] { ReadStatus(); });
  // The flow-control pipe (global/mail_flow.h): the children's, not ours.
  if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) msg::Fatal("pipe: %s", strerror(errno));
  flow_r_.reset(p[0]);
  flow_w_.reset(p[1]);
  sigchld_ = loop_->OnSignal(SIGCHLD, [this] { Reap(); });
}

Master::~Master() {
  for (auto& [key, s] : services_) Teardown(s.get());
  loop_->Cancel(status_watch_);
  loop_->Cancel(sigchld_);
}

util::Status Master::Start(const config::Config& cfg) { return Apply(cfg, false); }

void Master::Reload() {
  if (stopping_) return;
  auto cfg = config::Config::Load(config_dir_);
  if (!cfg.ok()) {
    msg::Warn("%s: configuration not reloaded", cfg.status().message().c_str());
    return;
  }
  if (util::Status st = cfg->Declare(param_usage::Declared("master"), "master"); !st.ok()) {
    msg::Warn("%s: configuration not reloaded", st.message().c_str());
    return;
  }
  msg::Info("reload -- version %s, configuration %s", cfg->Get("mail_version").c_str(),
            config_dir_.c_str());
  util::Status st = Apply(*cfg, true);
  if (!st.ok()) msg::Warn("%s: configuration not reloaded", st.message().c_str());
}

util::Status Master::Apply(const config::Config& cfg, bool reload) {
  // Everything that can be wrong with the configuration is found before
  // anything changes.
  if (!cfg.master_cf_status().ok()) return cfg.master_cf_status();
  auto settings = LoadSettings(cfg);
  if (!settings.ok()) return settings.status();
  settings->verbose = verbose_;
  std::vector<ServiceSpec> specs;
  for (const config::MasterEntry& e : cfg.master_cf().entries()) {
    auto spec = BuildSpec(e, *settings);
    if (!spec.ok()) {
      return util::FailedPrecondition(cfg.config_dir() + "/" + spec.status().message());
    }
    specs.push_back(std::move(*spec));
  }
  auto throttle = ThrottleTime(cfg);
  if (!throttle.ok()) return throttle.status();
  // What this system would otherwise ignore without a word: settings of
  // parameters it does not implement, and chroot.
  for (const std::string& w : param_usage::UnimplementedSettings(cfg, true))
    msg::Warn("%s", w.c_str());
  std::vector<std::string> level_warnings;
  for (const std::string& note : param_usage::CompatibilityNotes(cfg, &level_warnings))
    msg::Info("%s", note.c_str());
  for (const std::string& w : level_warnings) msg::Warn("%s", w.c_str());
  for (const config::MasterEntry& e : cfg.master_cf().entries()) {
    if (param_usage::ChrootWanted(cfg, e))
      msg::Warn(
          "%s/master.cf: line %d: service %s: chroot is not implemented by this mail "
          "system; the service runs without it",
          cfg.config_dir().c_str(), e.line, e.key().c_str());
  }
  auto owners = mail_queue_dirs::LookupOwners(cfg);
  if (!owners.ok()) return owners.status();

  throttle_time_ = *throttle;
  if (owners->privileged) {
    owner_uid_ = owners->mail_uid;
    owner_gid_ = owners->mail_gid;
  }
  if (reload) {
    std::vector<ServiceSpec> before;
    for (const auto& [key, s] : services_) before.push_back(s->spec);
    ReloadPlan plan = PlanReload(before, specs);
    auto show = [](const char* what, const std::vector<std::string>& keys) {
      for (const std::string& k : keys) msg::Info("reload: %s service %s", what, k.c_str());
    };
    if (msg::Verbose()) {
      show("added", plan.added);
      show("removed", plan.removed);
      show("changed", plan.changed);
    }
  }

  // Keep the listeners whose endpoint stays; close (and unlink) the rest
  // before opening new ones, so that an address can move between services.
  std::map<std::string, Listener> spare;
  std::map<std::string, std::unique_ptr<Service>> old = std::move(services_);
  services_.clear();
  for (auto& [key, s] : old) {
    Teardown(s.get());
    for (Listener& l : s->listeners) {
      std::string d = l.endpoint.Describe();
      spare.emplace(d, std::move(l));
    }
    s->listeners.clear();
  }
  std::set<std::string> wanted, wanted_paths;
  for (const ServiceSpec& spec : specs) {
    for (const Endpoint& ep : spec.endpoints) {
      wanted.insert(ep.Describe());
      if (ep.kind != Endpoint::Kind::kTcp) wanted_paths.insert(ep.path);
    }
  }
  for (auto it = spare.begin(); it != spare.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    if (!wanted_paths.count(it->second.endpoint.path)) RemoveEndpoint(it->second.endpoint);
    it = spare.erase(it);
  }

  for (ServiceSpec& spec : specs) {
    auto s = std::make_unique<Service>();
    s->spec = std::move(spec);
    s->generation = next_generation_++;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return util::ErrnoStatus(errno, "pipe");
    s->lifeline_r.reset(p[0]);
    s->lifeline_w.reset(p[1]);
    bool ok = true;
    for (const Endpoint& ep : s->spec.endpoints) {
      auto it = spare.find(ep.Describe());
      if (it != spare.end()) {
        s->listeners.push_back(std::move(it->second));
        spare.erase(it);
        continue;
      }
      auto fd = OpenEndpoint(ep, owner_uid_, owner_gid_);
      if (!fd.ok()) {
        std::string m = "service " + s->spec.key + ": " + fd.status().message();
        if (!reload) return util::FailedPrecondition(m);
        msg::Warn("%s: service not started", m.c_str());
        ok = false;
        break;
      }
      s->listeners.push_back(Listener{ep, std::move(*fd)});
    }
    if (!ok) continue;
    s->condwake = s->spec.wakeup_if_used;
    for (const auto& [pid, c] : children_) {
      if (c.key == s->spec.key) ++s->inherited;
    }
    std::string key = s->spec.key;
    services_[key] = std::move(s);
  }
  old.clear();  // closes the old lifelines: old children finish, then exit
  for (auto& [key, s] : services_) {
    UpdateListen(s.get());
    StartWakeups(s.get());
  }
  return util::OkStatus();
}

void Master::Teardown(Service* s) {
  for (auto h : s->watches) loop_->Cancel(h);
  s->watches.clear();
  for (auto* h : {&s->throttle_timer, &s->wakeup_timer, &s->first_wakeup}) {
    loop_->Cancel(*h);
    *h = util::EventLoop::kNoHandle;
  }
}

Master::Service* Master::Find(const std::string& key, int generation) {
  auto it = services_.find(key);
  if (it == services_.end() || it->second->generation != generation) return nullptr;
  return it->second.get();
}

void Master::UpdateListen(Service* s) {
  bool want = !stopping_ && !s->listeners.empty() &&
              ShouldListen(s->avail, s->total, s->inherited, s->spec.max_proc, s->throttled);
  if (want && s->watches.empty()) {
    std::string key = s->spec.key;
    int gen = s->generation;
    for (const Listener& l : s->listeners) {
      s->watches.push_back(loop_->WatchRead(l.fd.get(), [this, key, gen] {
        // A child may have finished a moment ago and said so on the status
        // pipe: count that first, or a busy service forks a new child for
        // every connection that arrives before the pipe is read.
        ReadStatus();
        Service* x = Find(key, gen);
        if (x && !stopping_ &&
            ShouldListen(x->avail, x->total, x->inherited, x->spec.max_proc, x->throttled))
          Spawn(x);
      }));
    }
  } else if (!want && !s->watches.empty()) {
    for (auto h : s->watches) loop_->Cancel(h);
    s->watches.clear();
  }
  // As Postfix: say so when every process of a busy service is in use.
  if (!stopping_ && s->avail == 0 && s->spec.max_proc > 1 &&
      s->total + s->inherited >= s->spec.max_proc) {
    time_t now = time(nullptr);
    if (now - s->busy_warned > 1000) {
      s->busy_warned = now;
      msg::Warn(
          "service \"%s\" (%s) has reached its process limit \"%d\": new clients may "
          "experience noticeable delays",
          s->spec.name.c_str(), s->spec.type.c_str(), s->spec.max_proc);
      msg::Warn(
          "to avoid this condition, increase the process count in master.cf or reduce the "
          "service time per client");
    }
  }
}

void Master::Spawn(Service* s) {
  if (stopping_) return;
  std::vector<std::string> env;
  const std::string gen_prefix = std::string(master_proto::kEnvGeneration) + "=";
  for (char** e = environ; e && *e; ++e) {
    if (strncmp(*e, gen_prefix.c_str(), gen_prefix.size()) != 0) env.emplace_back(*e);
  }
  env.push_back(gen_prefix + std::to_string(s->generation));
  std::vector<char*> envp, argv;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = s->spec.argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<int> fds = {s->lifeline_r.get(), status_w_.get(), flow_r_.get(), flow_w_.get()};
  for (const Listener& l : s->listeners) fds.push_back(l.fd.get());

  sigset_t all, saved;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &saved);
  pid_t pid = fork();
  if (pid == 0) ExecChild(s->spec.path, argv.data(), envp.data(), fds);
  int err = errno;
  sigprocmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) {
    msg::Warn("%s: fork: %s -- throttling", s->spec.path.c_str(), strerror(err));
    Throttle(s);
    return;
  }
  children_[pid] = Child{s->spec.key, s->generation, s->spec.path, true, 0};
  s->total++;
  s->avail++;
  if (msg::Verbose())
    msg::Info("spawn command %s; service %s; pid %ld", s->spec.path.c_str(), s->spec.key.c_str(),
              static_cast<long>(pid));
  if (s->condwake) {
    s->condwake = false;
    StartWakeups(s);
  }
  UpdateListen(s);
}

void Master::Throttle(Service* s) {
  s->throttled = true;
  UpdateListen(s);
  std::string key = s->spec.key;
  int gen = s->generation;
  loop_->Cancel(s->throttle_timer);
  s->throttle_timer = loop_->AddTimer(throttle_time_, [this, key, gen] {
    if (Service* x = Find(key, gen)) {
      x->throttle_timer = util::EventLoop::kNoHandle;
      x->throttled = false;
      UpdateListen(x);
    }
  });
}

void Master::StartWakeups(Service* s) {
  if (s->spec.wakeup <= 0 || s->condwake || s->wakeup_timer != util::EventLoop::kNoHandle) return;
  if (s->spec.type == "pass") {
    msg::Warn("service %s: wakeup is not supported for pass services", s->spec.key.c_str());
    return;
  }
  std::string key = s->spec.key;
  int gen = s->generation;
  // As Postfix, the first wakeup comes right away (that starts qmgr and
  // pickup), then one every N seconds.
  s->first_wakeup = loop_->AddTimer(std::chrono::milliseconds(0), [this, key, gen] {
    if (Service* x = Find(key, gen)) {
      x->first_wakeup = util::EventLoop::kNoHandle;
      SendWakeup(x);
    }
  });
  s->wakeup_timer = loop_->AddPeriodic(std::chrono::seconds(s->spec.wakeup), [this, key, gen] {
    if (Service* x = Find(key, gen)) SendWakeup(x);
  });
}

void Master::SendWakeup(Service* s) {
  if (stopping_ || s->listeners.empty()) return;
  const Endpoint& ep = s->listeners.front().endpoint;
  const std::string_view request(&master_proto::kTriggerWakeup, 1);
  util::Status st;
  switch (ep.kind) {
    case Endpoint::Kind::kTcp: {
      util::SockAddr addr = ep.addr;
      std::string host = addr.Address();
      if (host == "0.0.0.0" || host == "::") {
        auto lo = util::SockAddr::FromNumeric(host == "::" ? "::1" : "127.0.0.1", addr.port());
        if (lo.ok()) addr = *lo;
      }
      auto fd = util::ConnectTcp(addr, kTriggerTimeout);
      st = fd.ok() ? util::WriteAll(fd->get(), request, addr.ToString()) : fd.status();
      break;
    }
    case Endpoint::Kind::kUnix:
      st = mail_trigger::UnixTrigger(ep.path, request, kTriggerTimeout);
      break;
    case Endpoint::Kind::kUnixDgram:
      st = mail_trigger::DgramTrigger(ep.path, request);
      break;
    case Endpoint::Kind::kFifo:
      st = mail_trigger::FifoTrigger(ep.path, request);
      break;
  }
  if (!st.ok()) msg::Warn("wakeup of service %s: %s", s->spec.key.c_str(), st.message().c_str());
}

void Master::ReadStatus() {
  char buf[sizeof(master_proto::StatusMessage) * 64];
  for (;;) {
    ssize_t n = read(status_r_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending_status_.append(buf, static_cast<size_t>(n));
  }
  const size_t size = sizeof(master_proto::StatusMessage);
  size_t off = 0;
  for (; pending_status_.size() - off >= size; off += size) {
    master_proto::StatusMessage m;
    memcpy(&m, pending_status_.data() + off, size);
    auto it = children_.find(static_cast<pid_t>(m.pid));
    if (it == children_.end()) continue;  // already reaped
    Child& c = it->second;
    if (m.generation != c.generation && msg::Verbose())
      msg::Info("pid %d reports generation %d, expected %d", m.pid, m.generation, c.generation);
    Service* s = Find(c.key, c.generation);
    if (m.status == static_cast<int32_t>(master_proto::Status::kAvailable)) {
      if (!c.avail && s) s->avail++;
      c.avail = true;
    } else if (m.status == static_cast<int32_t>(master_proto::Status::kTaken)) {
      if (c.avail && s) s->avail--;
      c.avail = false;
      c.use_count++;
    } else {
      msg::Warn("pid %d: unknown status %d", m.pid, m.status);
      continue;
    }
    if (s) UpdateListen(s);
  }
  pending_status_.erase(0, off);
}

void Master::Reap() {
  ReadStatus();  // a child's last status must count before its exit does
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    auto it = children_.find(pid);
    if (it == children_.end()) continue;
    Child c = std::move(it->second);
    children_.erase(it);
    std::string w = DescribeExit(c.path, pid, status);
    if (!w.empty() && !(stopping_ && WIFSIGNALED(status))) msg::Warn("%s", w.c_str());
    auto sit = services_.find(c.key);
    if (sit == services_.end()) continue;
    Service* s = sit->second.get();
    if (s->generation == c.generation) {
      s->total--;
      if (c.avail) s->avail--;
      if (!stopping_ && !s->throttled && ShouldThrottle(status, c.use_count)) {
        msg::Warn("%s: bad command startup -- throttling", c.path.c_str());
        Throttle(s);
      }
    } else if (s->inherited > 0) {
      s->inherited--;
    }
    UpdateListen(s);
  }
  if (stopping_ && children_.empty()) loop_->Stop();
}

void Master::KillChildren(int signo) {
  for (const auto& [pid, c] : children_) kill(pid, signo);
}

void Master::Terminate(int signo, bool graceful) {
  auto finish = [this] {
    KillChildren(SIGKILL);
    for (const auto& [pid, c] : children_) waitpid(pid, nullptr, 0);
    children_.clear();
    loop_->Stop();
  };
  if (stopping_) {
    if (!graceful && graceful_) {
      graceful_ = false;
      KillChildren(SIGTERM);
      loop_->AddTimer(std::chrono::seconds(1), finish);
    }
    return;
  }
  msg::Info("terminating on signal %d", signo);
  stopping_ = true;
  graceful_ = graceful;
  for (auto& [key, s] : services_) Teardown(s.get());
  services_.clear();  // closes listeners and lifelines
  if (children_.empty()) {
    loop_->Stop();
    return;
  }
  if (graceful) {
    loop_->AddTimer(kStopGrace, [this, finish] {
      if (!graceful_) return;
      KillChildren(SIGTERM);
      loop_->AddTimer(std::chrono::seconds(1), finish);
    });
  } else {
    KillChildren(SIGTERM);
    loop_->AddTimer(std::chrono::seconds(1), finish);
  }
}

}  // namespace master
