// daemon: what the three daemon skeletons share (single_server.h,
// multi_server.h, trigger_server.h). A daemon's main never calls this
// directly; it fills in a hooks struct and calls its skeleton's Run...():
//
//   int main(int argc, char** argv) {
//     server::SingleServerHooks hooks;
//     hooks.post_init = [](server::Server& s) { LoadTables(s.config()); };
//     hooks.service = [](util::Stream& client, server::Server& s) { Serve(client); };
//     server::RunSingleServer(argc, argv, hooks);
//   }
//
// START-UP, in this order (Start):
//   1. The command line master gives (global/master_proto.h), parsed by
//      ParseArgs: -n SERVICE -t TYPE -s COUNT -u -c -o NAME=VALUE -v, plus
//      -S (stand-alone, below) and Postfix's ignored -d -D -l -V -z. Any
//      other option, or a bad value, is fatal ("invalid option -- 'x'").
//   2. main.cf from config::ConfigDirectory() ($MAIL_CONFIG, which master
//      exports), then each -o override with Config::Set, in order; then
//      service_name (the -n name, master.cf column 1) and process_name
//      (the program, basename of argv[0]) are set as Postfix does, so
//      `-o syslog_name=postfix/$service_name` works.
//   3. maillog::Init(program, cfg, kDaemon) (kPostlogd for postlogd), then
//      -v raises msg::Verbose().
//   4. chdir($queue_directory) (fatal when missing), SIGPIPE ignored,
//      descriptors 3, 4 and the listeners marked close-on-exec so nothing the
//      daemon runs inherits them.
//   5. hooks.pre_init (still privileged: open root-only files here).
//   6. Privileges. Running as root with -u (master.cf unpriv column "y" or
//      "-"), the process becomes mail_owner (looked up by name, with its
//      group, supplementary groups dropped); a missing user is fatal: "file
//      DIR/main.cf: parameter mail_owner: unknown user name value: NAME".
//      Without -u it stays root: such services (virtual) change identity per
//      delivery themselves. A daemon that must stay root sets
//      hooks.needs_root, and -u is then fatal. Running as an ordinary user
//      nothing changes and nothing is logged (master warns once that
//      mail_owner is ignored; repeating that in every child would flood
//      the log).
//   7. hooks.post_init (unprivileged now: open tables, connect ...).
//
// LIFETIME. Each skeleton exits 0 by itself after max_use clients (0 =
// no limit) or max_idle seconds without a client (0 = no limit), when
// master closes the lifeline (descriptor 3: finish the client in
// progress, then exit), or after Server::RequestExit(). hooks.pre_exit runs
// just before a voluntary exit. hooks.ignore_max_use / ignore_max_idle turn
// a limit off for daemons that must not restart for it (qmgr, postlogd).
//
// STAND-ALONE. Without master (no status pipe on descriptor 4) a skeleton
// refuses to run: "not started by master (descriptor 4 is not open); use -S
// to serve standard input". With -S a single-server program serves one
// client that it reads on descriptor 0 and writes on descriptor 1 (one
// socket on both, e.g. from socat or inetd; a terminal; or two pipes, as
// `sendmail -bs` runs `smtpd -S`), then exits: handy for debugging a
// protocol by hand. Multi and trigger servers do not support -S.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "global/config.h"
#include "global/master_proto.h"
#include "util/event_loop.h"
#include "util/status.h"

namespace server {

// master's command line, parsed.
struct Args {
  std::string program;        // basename of argv[0]
  std::string service_name;   // -n (default: the program name)
  std::string service_type;   // -t: inet unix unix-dgram fifo pass (default unix)
  int listen_count = 1;       // -s
  bool unprivileged = false;  // -u
  bool chroot = false;        // -c (logged and ignored)
  bool standalone = false;    // -S
  int verbose = 0;            // number of -v
  std::vector<std::pair<std::string, std::string>> overrides = {};  // -o, in order
  std::vector<std::string> extra = {};                              // arguments after the options
};

// Parses argv (argv[0] is the program). Errors are kInvalidArgument:
// "invalid option -- 'x'", "option requires an argument -- 'n'",
// "bad -o argument: \"x\" (want name=value)", "bad -s argument: \"x\"",
// "unknown service type: \"x\"".
util::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv);

class Server;

// Hooks and declarations every skeleton takes (the per-skeleton structs
// derive from this one).
struct ServerHooks {
  bool needs_root = false;                 // refuse -u when running as root (see above)
  bool ignore_max_use = false;             // never exit because of max_use
  bool ignore_max_idle = false;            // never exit because of max_idle
  bool postlogd = false;                   // log with maillog::Mode::kPostlogd
  std::function<void(Server&)> pre_init;   // before dropping privileges
  std::function<void(Server&)> post_init;  // after dropping privileges
  std::function<void(Server&)> pre_exit;   // before a voluntary exit
};

// The running daemon, as the hooks see it.
class Server {
 public:
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  const Args& args() const { return args_; }
  const std::string& program() const { return args_.program; }
  const std::string& service_name() const { return args_.service_name; }
  const config::Config& config() const { return config_; }
  config::Config& mutable_config() { return config_; }
  // The listening descriptors (kListenFd ...); empty with -S.
  const std::vector<int>& listen_fds() const { return listen_fds_; }
  // The event loop of the multi- and trigger servers (register timers and
  // watches from post_init); null in a single server.
  util::EventLoop* loop() { return loop_.get(); }

  // Asks the skeleton to exit as soon as the client or request in progress
  // is done (e.g. a table file changed and a fresh process should read it).
  void RequestExit() { exit_requested_ = true; }
  bool exit_requested() const { return exit_requested_; }

  // The lifetime limits in effect (0 = none), after the ignore_* hooks.
  long long max_use() const { return max_use_; }
  long long max_idle() const { return max_idle_; }

  // --- for the skeletons ---

  // Runs steps 1-7 of the start-up above; fatal on any problem.
  // `want_loop` creates the event loop; `types` are the service types the
  // skeleton can serve ("service type X is not supported by PROGRAM").
  static std::unique_ptr<Server> Start(int argc, char** argv, const ServerHooks& hooks,
                                       bool want_loop,
                                       std::initializer_list<std::string_view> types);
  // Tells master this process is available or taken (no-op with -S;
  // write errors are ignored: the lifeline reports a dead master).
  void Notify(master_proto::Status status);
  // Runs hooks.pre_exit, logs at -v, and exits with `code`.
  [[noreturn]] void Exit(int code, std::string_view why);
  // Drains the lifeline: true when master has closed it (EOF or error);
  // false when it is still open (stray bytes are discarded).
  static bool LifelineClosed();

 private:
  Server() = default;

  Args args_;
  config::Config config_;
  std::vector<int> listen_fds_;
  std::unique_ptr<util::EventLoop> loop_;
  std::function<void(Server&)> pre_exit_;
  int generation_ = 0;
  bool exit_requested_ = false;
  long long max_use_ = 0;
  long long max_idle_ = 0;
};

}  // namespace server
