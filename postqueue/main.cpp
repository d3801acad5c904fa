// postqueue - queue control for every user (Postfix's postqueue(1)).
//
// SYNOPSIS
//   postqueue [-v] [-c config_dir] -f | -i queue_id | -j | -p | -s site
//
// DESCRIPTION
//   -p  The queue listing in Postfix's Sendmail-compatible format (mailq):
//       queue ID with `*` (active) or `!` (hold), size, arrival time,
//       sender, "(reason)" lines for deferred recipients, the recipients,
//       and "-- N Kbytes in M Requests." or "Mail queue is empty".
//   -j  The same as JSON, one object per line (Postfix 3.1's fields:
//       queue_name, queue_id, arrival_time, message_size, forced_expire,
//       sender, recipients[{address, delay_reason}]).
//       Both read the listing from the showq service (showq/main.cpp); the
//       formats are global/showq_client.h. When showq cannot be reached,
//       the superuser gets "warning: Mail system is down -- accessing queue
//       directly (...)" and postqueue runs $daemon_directory/showq itself
//       (stand-alone, -u -S, as mail_owner); anyone else gets "fatal: Queue
//       report unavailable - mail system is down" (exit 69).
//   -f  Flush: asks qmgr (trigger 'F' on public/$queue_service_name) to
//       retry all deferred mail now, and wakes pickup ('W'). Without a
//       running system: "fatal: Cannot flush mail queue - mail system is
//       down" (exit 69).
//   -s site  Asks the flush service to deliver the mail queued for site
//       (global/flush_client.h): "fatal: Flush service is not configured
//       for destination "site"" when site is not in $fast_flush_domains.
//   -i queue_id  Asks the flush service to deliver one deferred message.
//   -c dir  The configuration directory; -v more verbose logging.
//
// EXIT STATUS (sysexits, as Postfix): 0 success, 64 an invalid -s/-i
// request, 69 the mail system is down or a usage error (as Postfix), 70 a malformed showq reply or
// a permission problem on the showq socket, 74 an output error.
//
// ACCESS: listing (-p, -j) needs authorized_mailq_users, flushing (-f, -s,
// -i) authorized_flush_users (global/user_acl.h); the superuser and
// mail_owner always may. Otherwise "fatal: User NAME(UID) is not allowed
// to view the mail queue" / "... to flush the mail queue" (exit 77).
// As a set-gid program it first opens closed descriptors 0-2 on /dev/null
// and keeps only import_environment of its environment.
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "global/config.h"
#include "global/flush_client.h"
#include "global/mail_trigger.h"
#include "global/maillog.h"
#include "global/param_usage.h"
#include "global/showq_client.h"
#include "global/user_acl.h"
#include "util/msg.h"
#include "util/process.h"
#include "util/strings.h"

namespace {

constexpr int kExUsage = 64;
constexpr int kExUnavailable = 69;
constexpr int kExSoftware = 70;
constexpr int kExIoErr = 74;
// Longest wait for each part of the showq listing (seconds).
constexpr long long kShowqReplyTimeout = 60;

[[noreturn]] void Usage() {
  msg::FatalStatus(kExUnavailable,  // sic: Postfix exits 69 here
                   "usage: postqueue -f | postqueue -i queueid | postqueue -j | postqueue -p | "
                   "postqueue -s site");
}

void Output(const std::string& text) {
  if (fwrite(text.data(), 1, text.size(), stdout) != text.size() || fflush(stdout) != 0) {
    if (errno == EPIPE) exit(0);
    msg::FatalStatus(kExIoErr, "output write error: %s", strerror(errno));
  }
}

// Prints the listing read from `s` in the chosen format.
util::Status Print(util::Stream& s, bool json, bool long_ids) {
  showq_client::MailqFormatter text(long_ids);
  util::Status st = showq_client::ReadListing(s, [&](const showq_client::Message& m) {
    Output(json ? showq_client::FormatJson(m) : text.Format(m));
    return util::OkStatus();
  });
  if (st.ok() && !json) Output(text.Finish());
  return st;
}

// The superuser's way when showq is down: run the showq program in
// stand-alone mode on one end of a socket pair (its standard input and
// output).
void ListDirectly(const config::Config& cfg, bool json) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    msg::FatalStatus(kExSoftware, "socketpair: %s", strerror(errno));
  std::string program = cfg.Get("daemon_directory") + "/" + cfg.Get("showq_service_name");
  // -u: showq becomes mail_owner, as Postfix's postqueue asks. A test
  // instance run by root may have mail_owner = root, which -u refuses.
  std::vector<std::string> args = {cfg.Get("showq_service_name"), "-S"};
  if (struct passwd* pw = getpwnam(cfg.Get("mail_owner").c_str()); pw && pw->pw_uid != 0)
    args.insert(args.begin() + 1, "-u");
  for (int i = 0; i < msg::Verbose(); ++i) args.push_back("-v");
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) msg::FatalStatus(kExSoftware, "fork: %s", strerror(errno));
  if (pid == 0) {
    // Stand-alone showq reads descriptor 0 and writes descriptor 1; dup2
    // clears close-on-exec on both.
    dup2(sv[1], 0);
    dup2(sv[1], 1);
    setenv("MAIL_CONFIG", cfg.config_dir().c_str(), 1);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    std::string m = "postqueue: fatal: execute " + program + ": " + strerror(errno) + "\n";
    (void)!write(2, m.data(), m.size());
    _exit(kExSoftware);
  }
  close(sv[1]);
  util::Stream s{util::Fd(sv[0])};
  s.set_timeout(static_cast<int>(cfg.GetTime("ipc_timeout")));
  util::Status st = Print(s, json, cfg.GetBool("enable_long_queue_ids"));
  s.Close();
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!st.ok()) msg::FatalStatus(kExSoftware, "%s", st.message().c_str());
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
    msg::FatalStatus(kExSoftware, "%s: unexpected termination", program.c_str());
}

void List(const config::Config& cfg, bool json) {
  auto fd = showq_client::Connect(showq_client::ServicePath(cfg), std::chrono::seconds(60));
  std::string service = cfg.Get("mail_name") + " " + cfg.Get("showq_service_name");
  if (fd.ok()) {
    util::Stream s(std::move(*fd));
    // A connected socket is no proof that a showq process will ever answer:
    // master queues the connection even while the service cannot start
    // (throttled). Each message of the listing must arrive within this
    // time, so a broken service ends the command instead of hanging it.
    long long ipc = cfg.GetTime("ipc_timeout");
    s.set_timeout(static_cast<int>(std::min<long long>(ipc, kShowqReplyTimeout)));
    util::Status st = Print(s, json, cfg.GetBool("enable_long_queue_ids"));
    if (st.code() == util::Code::kDeadlineExceeded)
      msg::FatalStatus(kExUnavailable,
                       "Queue report unavailable - the %s service did not answer within %llds "
                       "(see the mail log)",
                       service.c_str(), std::min<long long>(ipc, kShowqReplyTimeout));
    if (!st.ok()) msg::FatalStatus(kExSoftware, "%s", st.message().c_str());
    return;
  }
  // A permission problem is not a mail system that is down.
  if (fd.status().code() == util::Code::kFailedPrecondition)
    msg::FatalStatus(kExSoftware, "Connect to the %s service: %s", service.c_str(),
                     fd.status().message().c_str());
  if (geteuid() == 0) {
    msg::Warn("Mail system is down -- accessing queue directly (Connect to the %s service: %s)",
              service.c_str(), fd.status().message().c_str());
    ListDirectly(cfg, json);
    return;
  }
  msg::FatalStatus(kExUnavailable, "Queue report unavailable - mail system is down");
}

void Flush(const config::Config& cfg) {
  const auto timeout = std::chrono::seconds(10);
  util::Status st = mail_trigger::Trigger(
      mail_trigger::ServicePath(cfg, true, cfg.Get("queue_service_name")), "F", timeout);
  if (st.ok())
    st = mail_trigger::Trigger(mail_trigger::ServicePath(cfg, true, cfg.Get("pickup_service_name")),
                               "W", timeout);
  if (!st.ok()) {
    if (msg::Verbose()) msg::Info("%s", st.message().c_str());
    msg::FatalStatus(kExUnavailable, "Cannot flush mail queue - mail system is down");
  }
}

void FlushResult(flush_client::Status status, const std::string& what, const std::string& why) {
  switch (status) {
    case flush_client::Status::kOk:
      return;
    case flush_client::Status::kBad:
      msg::FatalStatus(kExUsage, "Invalid request: \"%s\"", what.c_str());
    case flush_client::Status::kDeny:
      msg::FatalStatus(kExUnavailable, "Flush service is not configured for destination \"%s\"",
                       what.c_str());
    case flush_client::Status::kFail:
      if (!why.empty()) msg::Warn("%s", why.c_str());
      msg::FatalStatus(kExUnavailable, "Cannot flush mail queue - mail system is down");
  }
}

// authorized_mailq_users / authorized_flush_users; root and mail_owner pass.
void CheckAccess(const config::Config& cfg, config::AnyParam param, const char* what) {
  uid_t uid = getuid();
  if (uid == 0) return;
  if (struct passwd* pw = getpwnam(cfg.Get("mail_owner").c_str()); pw && pw->pw_uid == uid) return;
  util::StatusOr<bool> ok = user_acl::Allowed(cfg, param, uid);
  if (!ok.ok()) msg::Fatal("%s", ok.status().message().c_str());
  if (!*ok)
    msg::FatalStatus(EX_NOPERM, "User %s(%ld) is not allowed to %s",
                     user_acl::LoginName(uid).c_str(), static_cast<long>(uid), what);
}

}  // namespace

int main(int argc, char** argv) {
  util::OpenStandardFds();
  msg::Init("postqueue");
  signal(SIGPIPE, SIG_IGN);
  std::string config_dir;
  char mode = 0;
  std::string arg;
  int verbose = 0;
  int c;
  opterr = 0;
  while ((c = getopt(argc, argv, "c:fi:jps:v")) != -1) {
    switch (c) {
      case 'c':
        config_dir = optarg;
        break;
      case 'v':
        ++verbose;
        break;
      case 'f':
      case 'j':
      case 'p':
      case 'i':
      case 's':
        if (mode) Usage();
        mode = static_cast<char>(c);
        if (optarg) arg = optarg;
        break;
      default:
        if (optopt == 'c' || optopt == 'i' || optopt == 's') {
          fprintf(stderr, "postqueue: option requires an argument -- '%c'\n", optopt);
        } else {
          fprintf(stderr, "postqueue: invalid option -- '%c'\n", optopt);
        }
        Usage();
    }
  }
  if (optind < argc || !mode) Usage();
  auto cfg = config::Config::Load(config::ConfigDirectory(config_dir));
  if (!cfg.ok()) msg::Fatal("%s", cfg.status().message().c_str());
  if (util::Status st = cfg->Declare(param_usage::Declared("postqueue"), "postqueue"); !st.ok())
    msg::Fatal("%s", st.message().c_str());
  util::CleanEnvironment(cfg->GetList("import_environment"));
  maillog::Init("postqueue", *cfg, maillog::Mode::kCommand);
  msg::SetVerbose(verbose);
  if (mode == 'p' || mode == 'j')
    CheckAccess(*cfg, "authorized_mailq_users", "view the mail queue");
  else
    CheckAccess(*cfg, "authorized_flush_users", "flush the mail queue");
  std::string why;
  switch (mode) {
    case 'p':
      List(*cfg, false);
      break;
    case 'j':
      List(*cfg, true);
      break;
    case 'f':
      Flush(*cfg);
      break;
    case 's':
      FlushResult(flush_client::SendSite(*cfg, arg, &why), arg, why);
      break;
    case 'i':
      FlushResult(flush_client::SendFile(*cfg, arg, &why), arg, why);
      break;
  }
  return 0;
}
