#include "server/daemon.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "global/maillog.h"
#include "global/param_usage.h"
#include "util/files.h"
#include "util/msg.h"
#include "util/process.h"
#include "util/sockets.h"
#include "util/strings.h"

namespace server {
namespace {

bool IsServiceType(std::string_view t) {
  return t == "inet" || t == "unix" || t == "unix-dgram" || t == "fifo" || t == "pass";
}

bool FdOpen(int fd) { return fcntl(fd, F_GETFD) >= 0; }

void DropPrivileges(const config::Config& cfg) {
  std::string owner = cfg.Get("mail_owner");
  errno = 0;
  struct passwd* pw = getpwnam(owner.c_str());
  if (pw == nullptr) {
    msg::Fatal("file %s/main.cf: parameter mail_owner: unknown user name value: %s",
               cfg.config_dir().c_str(), owner.c_str());
  }
  if (pw->pw_uid == 0) {
    msg::Fatal("file %s/main.cf: parameter mail_owner: user %s has privileged user ID",
               cfg.config_dir().c_str(), owner.c_str());
  }
  gid_t gid = pw->pw_gid;
  uid_t uid = pw->pw_uid;
  if (setgroups(1, &gid) < 0) msg::Fatal("setgroups(%ld): %s", (long)gid, strerror(errno));
  if (setgid(gid) < 0) msg::Fatal("setgid(%ld): %s", (long)gid, strerror(errno));
  if (setuid(uid) < 0) msg::Fatal("setuid(%ld): %s", (long)uid, strerror(errno));
  if (setuid(0) == 0) msg::Fatal("could not drop root privileges");
}

}  // namespace

util::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv) {
  Args a;
  a.program = argv.empty() ? std::string("unknown") : util::Basename(argv[0]);
  a.service_type = "unix";
  size_t i = 1;
  for (; i < argv.size(); ++i) {
    const std::string& word = argv[i];
    if (word == "--") {
      ++i;
      break;
    }
    if (word.size() < 2 || word[0] != '-') break;
    for (size_t j = 1; j < word.size(); ++j) {
      char opt = word[j];
      std::string value;
      if (std::string_view("nost").find(opt) != std::string_view::npos) {
        if (j + 1 < word.size()) {
          value = word.substr(j + 1);
        } else if (i + 1 < argv.size()) {
          value = argv[++i];
        } else {
          return util::InvalidArgument(util::StrFormat("option requires an argument -- '%c'", opt));
        }
        j = word.size();  // the value used up the rest of the word
      }
      switch (opt) {
        case 'n':
          a.service_name = value;
          break;
        case 't':
          if (!IsServiceType(value)) {
            return util::InvalidArgument("unknown service type: \"" + value + "\"");
          }
          a.service_type = value;
          break;
        case 's': {
          std::optional<long long> n = util::ParseInt(value);
          if (!n || *n < 1 || *n > 64) {
            return util::InvalidArgument("bad -s argument: \"" + value + "\"");
          }
          a.listen_count = static_cast<int>(*n);
          break;
        }
        case 'o': {
          size_t eq = value.find('=');
          std::string name = eq == std::string::npos ? std::string()
                                                     : std::string(util::Trim(value.substr(0, eq)));
          if (name.empty()) {
            return util::InvalidArgument("bad -o argument: \"" + value + "\" (want name=value)");
          }
          a.overrides.emplace_back(name, std::string(util::Trim(value.substr(eq + 1))));
          break;
        }
        case 'u':
          a.unprivileged = true;
          break;
        case 'c':
          a.chroot = true;
          break;
        case 'S':
          a.standalone = true;
          break;
        case 'v':
          ++a.verbose;
          break;
        case 'd':
        case 'D':
        case 'l':
        case 'V':
        case 'z':
          break;  // Postfix's debugging/solitary flags: accepted, ignored
        default:
          return util::InvalidArgument(util::StrFormat("invalid option -- '%c'", opt));
      }
    }
  }
  a.extra.assign(argv.begin() + static_cast<long>(std::min(i, argv.size())), argv.end());
  if (a.service_name.empty()) a.service_name = a.program;
  return a;
}

Server::~Server() = default;

std::unique_ptr<Server> Server::Start(int argc, char** argv, const ServerHooks& hooks,
                                      bool want_loop,
                                      std::initializer_list<std::string_view> types) {
  std::unique_ptr<Server> s(new Server());
  std::vector<std::string> words(argv, argv + argc);
  msg::Init(words.empty() ? "unknown" : words[0]);

  // 1. The command line.
  util::StatusOr<Args> args = ParseArgs(words);
  if (!args.ok()) msg::Fatal("%s", args.status().message().c_str());
  s->args_ = std::move(*args);
  const Args& a = s->args_;
  msg::SetVerbose(a.verbose);
  // Run by hand without -S: say so on stderr, before logging moves elsewhere.
  if (!a.standalone && (!FdOpen(master_proto::kStatusFd) || !FdOpen(master_proto::kLifelineFd))) {
    msg::Fatal(
        "not started by master (descriptor %d is not open); use -S to serve "
        "standard input",
        master_proto::kStatusFd);
  }

  // 2. main.cf, then -o overrides, then the names Postfix sets itself.
  util::StatusOr<config::Config> cfg = config::Config::Load(config::ConfigDirectory());
  if (!cfg.ok()) msg::Fatal("%s", cfg.status().message().c_str());
  s->config_ = std::move(*cfg);
  for (const auto& [name, value] : a.overrides) s->config_.Set(name, value);
  s->config_.Set("service_name", a.service_name);
  s->config_.Set("process_name", a.program);
  if (param_usage::FindProgram(a.program) != nullptr) {
    util::Status st = s->config_.Declare(param_usage::Declared(a.program), a.program);
    if (!st.ok()) msg::Fatal("%s", st.message().c_str());
  }

  // 3. Logging.
  maillog::Init(a.program, s->config_,
                hooks.postlogd ? maillog::Mode::kPostlogd : maillog::Mode::kDaemon);
  msg::SetVerbose(a.verbose);
  // Settings this system does not implement: the -o options of this
  // service (master warns about main.cf), and those it must not ignore.
  std::vector<std::string> overridden;
  for (const auto& [name, value] : a.overrides) overridden.push_back(name);
  for (const std::string& w : param_usage::UnimplementedOverrides(s->config_, overridden))
    msg::Warn("%s", w.c_str());
  if (auto why = param_usage::Refusal(s->config_, a.program))
    msg::Fatal("%s; %s refuses to start rather than ignore it", why->c_str(), a.program.c_str());

  // 4. The process environment.
  bool ok_type = false;
  for (std::string_view t : types) ok_type = ok_type || t == a.service_type;
  if (!a.standalone && !ok_type) {
    msg::Fatal("service type %s is not supported by %s", a.service_type.c_str(), a.program.c_str());
  }
  if (!a.standalone) {
    for (int i = 0; i < a.listen_count; ++i) {
      int fd = master_proto::kListenFd + i;
      if (!FdOpen(fd)) msg::Fatal("listening descriptor %d is not open", fd);
      s->listen_fds_.push_back(fd);
    }
    for (int fd = master_proto::kLifelineFd; fd < master_proto::kListenFd + a.listen_count; ++fd) {
      (void)util::SetCloseOnExec(fd, true);
    }
    (void)util::SetNonBlocking(master_proto::kLifelineFd, true);
    if (const char* gen = getenv(master_proto::kEnvGeneration); gen != nullptr) {
      s->generation_ = static_cast<int>(util::ParseInt(gen).value_or(0));
    }
  }
  std::string queue_dir = s->config_.Get("queue_directory");
  if (chdir(queue_dir.c_str()) < 0) {
    msg::Fatal("chdir(%s): %s", queue_dir.c_str(), strerror(errno));
  }
  signal(SIGPIPE, SIG_IGN);
  util::RaiseOpenLimit();
  s->max_use_ = hooks.ignore_max_use ? 0 : s->config_.GetInt("max_use");
  s->max_idle_ = hooks.ignore_max_idle ? 0 : s->config_.GetTime("max_idle");
  if (s->max_use_ < 0) s->max_use_ = 0;
  if (s->max_idle_ < 0) s->max_idle_ = 0;
  if (want_loop) s->loop_ = std::make_unique<util::EventLoop>();
  s->pre_exit_ = hooks.pre_exit;

  // 5-7. Hooks around the privilege drop.
  if (hooks.pre_init) hooks.pre_init(*s);
  if (geteuid() == 0 && a.unprivileged) {
    if (hooks.needs_root) {
      msg::Fatal(
          "%s must run with root privileges: set the unpriv column of service %s in "
          "master.cf to n",
          a.program.c_str(), a.service_name.c_str());
    }
    DropPrivileges(s->config_);
  }
  if (hooks.post_init) hooks.post_init(*s);
  if (msg::Verbose()) {
    msg::Info("daemon started -- service %s type %s", a.service_name.c_str(),
              a.service_type.c_str());
  }
  return s;
}

void Server::Notify(master_proto::Status status) {
  if (args_.standalone) return;
  master_proto::StatusMessage m;
  m.pid = static_cast<int32_t>(getpid());
  m.generation = generation_;
  m.status = static_cast<int32_t>(status);
  for (;;) {
    ssize_t n = write(master_proto::kStatusFd, &m, sizeof m);
    if (n < 0 && errno == EINTR) continue;
    break;
  }
}

void Server::Exit(int code, std::string_view why) {
  if (pre_exit_) pre_exit_(*this);
  if (msg::Verbose()) msg::Info("exiting: %.*s", static_cast<int>(why.size()), why.data());
  exit(code);
}

bool Server::LifelineClosed() {
  char buf[64];
  for (;;) {
    ssize_t n = read(master_proto::kLifelineFd, buf, sizeof buf);
    if (n > 0) continue;  // stray bytes: discard (the descriptor is non-blocking)
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    return true;  // EOF or error: master is gone or wants us gone
  }
}

}  // namespace server
