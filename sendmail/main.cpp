// sendmail - the Sendmail-compatible submission command, and mailq
// (Postfix's sendmail(1)).
//
// SYNOPSIS
//   sendmail [option ...] [recipient ...]
//   mailq                      (= sendmail -bp)
//
// DESCRIPTION
//   By default (-bm) reads one message from standard input until end of
//   input or, without -i/-oi, a line with only "." (a leading mailbox
//   "From " line is skipped, as Postfix does) and arranges for delivery:
//   it runs `$command_directory/postdrop -r` and writes the message to it
//   as a record stream (global/maildrop_stream.h): arrival time, the
//   attributes rewrite_context=local (remote with -G), full_name (-F, else
//   $NAME), encoding (-B), dsn_envid (-V), dsn_ret (-R), extract_recipients
//   (-t), the sender, the recipients, the content lines. postdrop stores it
//   in maildrop/ and wakes pickup, which hands it to cleanup.
//
//   Recipients given as arguments are address lists ("Bob <bob@example>,
//   carol" is two recipients); with -t, cleanup also takes recipients from
//   To:, Cc: and Bcc: (and removes Bcc:). The envelope sender is -f/-r, else
//   the login name of the real user ID (cleanup qualifies it with
//   $myorigin). Line endings: see sendmail_fix_line_endings
//   (sendmail/line_reader.h); 8-bit and UTF-8 content pass unchanged.
//
// MODES
//   -bm  enqueue (default)
//   -bs  SMTP on standard input and output: runs `$daemon_directory/smtpd
//        -S` (with -v when given twice or more) in place of sendmail, as
//        Postfix does. Run by a user other than mail_owner, smtpd hands
//        each message to postdrop like -bm and applies no access
//        restrictions (smtpd/main.cpp). -f, -F, -t and the -bm options do
//        not apply: the envelope comes from the SMTP dialogue.
//   -bp  list the queue: runs `$command_directory/postqueue -p` (mailq)
//   -q, -qIid, -qRsite  flush: postqueue -f, -i id, -s site
//   -bd, -bl  `$command_directory/postfix start`
//   -bi, -I, newaliases  `$command_directory/postalias` with each table of
//        $alias_database (nothing when it is empty)
// OPTIONS: see sendmail/options.h. -C/-c DIR (or the main.cf file in it)
// selects the configuration directory and is passed on as MAIL_CONFIG.
//
// EXIT STATUS (sysexits.h, as Postfix)
//   0 queued; EX_USAGE (64) bad options, no recipients without -t, or
//   recipients in a mode that takes none; EX_DATAERR (65) postdrop refused
//   the message (larger than message_size_limit) or a bad -f address;
//   EX_NOINPUT (66) standard input cannot be read; EX_NOUSER (67) no login
//   name for the real user ID and no -f; EX_UNAVAILABLE (69) postdrop or
//   postqueue cannot be run; EX_SOFTWARE (70) postdrop failed unexpectedly;
//   EX_TEMPFAIL (75) the queue could not take the message (try again);
//   EX_NOPERM (77) the user is not in authorized_submit_users;
//   EX_CONFIG (78) main.cf cannot be read.
//   Diagnostics: "sendmail: fatal: alice(1000): queue file write error" on
//   stderr and in the mail log.
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "global/address.h"
#include "global/config.h"
#include "global/maillog.h"
#include "global/param_usage.h"
#include "global/postdrop_client.h"
#include "global/queue_file.h"
#include "global/user_acl.h"
#include "sendmail/line_reader.h"
#include "sendmail/options.h"
#include "util/files.h"
#include "util/msg.h"
#include "util/strings.h"

namespace {

// Runs a program from command_directory (or daemon_directory) in place of
// this process.
[[noreturn]] void ExecCommand(const config::Config& cfg, const std::string& name,
                              const std::vector<std::string>& args,
                              config::AnyParam directory = "command_directory") {
  std::string path = cfg.Get(directory) + "/" + name;
  std::vector<char*> argv;
  std::vector<std::string> all = {name};
  all.insert(all.end(), args.begin(), args.end());
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  setenv("MAIL_CONFIG", cfg.config_dir().c_str(), 1);
  execv(path.c_str(), argv.data());
  msg::FatalStatus(EX_UNAVAILABLE, "execv %s: %s", path.c_str(), strerror(errno));
}

// Recipients from the command line: each argument is an address list.
std::vector<queue_file::Recipient> Recipients(const sendmail::Options& o) {
  std::vector<queue_file::Recipient> out;
  for (const std::string& arg : o.recipients) {
    for (const std::string& addr : address::ParseAddressList(arg)) {
      queue_file::Recipient r;
      r.address = addr;
      r.dsn_notify = o.dsn_notify;
      out.push_back(r);
    }
  }
  return out;
}

int Enqueue(const config::Config& cfg, const postdrop_client::Envelope& env,
            const sendmail::Options& o, const std::string& who) {
  auto sub = postdrop_client::Submission::Start(cfg);
  if (!sub.ok())
    msg::FatalStatus(EX_UNAVAILABLE, "%s: %s", who.c_str(), sub.status().message().c_str());
  (*sub)->WriteEnvelope(env);
  sendmail::LineReader in(0, sendmail::LineReader::ParseMode(cfg.Get("sendmail_fix_line_endings")),
                          queue_file::kMaxSegment);
  sendmail::LineReader::Piece p;
  bool first_line = true;
  bool skipping_from = false;
  for (;;) {
    util::StatusOr<bool> got = in.Next(&p);
    if (!got.ok()) {
      (*sub)->Abort();
      msg::FatalStatus(EX_NOINPUT, "%s: %s", who.c_str(), got.status().message().c_str());
    }
    if (!*got) break;
    if (p.first) {
      // A leading mailbox "From " line is not part of the message.
      skipping_from = first_line && p.data.compare(0, 5, "From ") == 0;
      first_line = false;
      if (o.dot && p.complete && p.data == ".") break;
    }
    if (skipping_from) continue;
    (*sub)->Line(p.data, p.complete);
  }
  postdrop_client::Outcome done = (*sub)->Finish();
  if (done.exit_status != 0)
    msg::FatalStatus(done.exit_status, "%s: %s", who.c_str(), done.reason.c_str());
  if (msg::Verbose()) msg::Info("%s: queued as maildrop/%s", who.c_str(), done.queue_id.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  msg::Init("sendmail");
  signal(SIGPIPE, SIG_IGN);

  std::vector<std::string> args(argv, argv + argc);
  util::StatusOr<sendmail::Options> parsed = sendmail::ParseOptions(args);
  if (!parsed.ok()) {
    const std::string& why = parsed.status().message();
    if (why.rfind("invalid option", 0) == 0 || why.rfind("option requires", 0) == 0) {
      fprintf(stderr, "sendmail: %s\n", why.c_str());
      msg::FatalStatus(EX_USAGE, "usage: sendmail [options]");
    }
    msg::FatalStatus(EX_USAGE, "%s", why.c_str());
  }
  sendmail::Options& o = *parsed;

  // -C names the directory or the main.cf file in it.
  std::string dir = o.config_dir;
  if (!dir.empty() && util::FileExists(dir) && !util::IsDirectory(dir)) dir = util::Dirname(dir);
  dir = config::ConfigDirectory(dir);
  auto cfg = config::Config::Load(dir);
  if (!cfg.ok()) msg::FatalStatus(EX_CONFIG, "%s", cfg.status().message().c_str());
  if (util::Status st = cfg->Declare(param_usage::Declared("sendmail"), "sendmail"); !st.ok())
    msg::Fatal("%s", st.message().c_str());
  maillog::Init("sendmail", *cfg, maillog::Mode::kCommand);
  msg::SetVerbose(o.verbose > 1 ? o.verbose - 1 : 0);
  if (o.verp) msg::Warn("-XV option ignored: VERP is not supported");

  using Mode = sendmail::Options::Mode;
  switch (o.mode) {
    case Mode::kMailq:
      if (!o.recipients.empty())
        msg::FatalStatus(EX_USAGE, "display queue mode requires no recipient");
      ExecCommand(*cfg, "postqueue", {"-p"});
    case Mode::kFlush:
      if (!o.recipients.empty())
        msg::FatalStatus(EX_USAGE, "flush queue mode requires no recipient");
      if (!o.flush_id.empty()) ExecCommand(*cfg, "postqueue", {"-i", o.flush_id});
      if (!o.flush_site.empty()) ExecCommand(*cfg, "postqueue", {"-s", o.flush_site});
      ExecCommand(*cfg, "postqueue", {"-f"});
    case Mode::kDaemon:
      if (!o.recipients.empty()) msg::FatalStatus(EX_USAGE, "daemon mode requires no recipient");
      ExecCommand(*cfg, "postfix", {"start"});
    case Mode::kNewAliases: {
      // postalias on each table of alias_database (Postfix's sendmail -bi).
      std::vector<std::string> dbs;
      for (std::string& d : util::SplitAny(cfg->Get("alias_database"), ", \t\r\n"))
        dbs.push_back(std::move(d));
      if (dbs.empty()) return 0;
      ExecCommand(*cfg, "postalias", dbs);
    }
    case Mode::kSmtp:
      if (!o.recipients.empty())
        msg::FatalStatus(EX_USAGE, "stand-alone mode requires no recipient");
      break;
    case Mode::kEnqueue:
      break;
  }

  // Who submits: the login name of the real user ID, if the
  // authorized_submit_users list has it (postdrop checks it again).
  user_acl::RequireSubmitAllowed(*cfg);
  const unsigned long uid = getuid();
  if (o.mode == Mode::kSmtp) {
    std::vector<std::string> smtpd_args = {"-S"};
    for (int i = 1; i < o.verbose; ++i) smtpd_args.push_back("-v");
    ExecCommand(*cfg, "smtpd", smtpd_args, "daemon_directory");
  }

  struct passwd* pw = getpwuid(getuid());
  std::string login = pw ? pw->pw_name : "";
  postdrop_client::Envelope env;
  env.rewrite_context = o.rewrite_context;
  env.encoding = o.encoding;
  env.dsn_envid = o.dsn_envid;
  env.dsn_ret = o.dsn_ret;
  env.extract = o.extract;
  if (o.have_full_name) {
    env.full_name = o.full_name;
  } else if (const char* name = getenv("NAME"); name && *name) {
    env.full_name = name;
  }
  for (char& c : env.full_name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  if (env.full_name.size() > 1000) env.full_name.resize(1000);

  if (o.have_sender) {
    std::vector<std::string> list = address::ParseAddressList(o.sender);
    if (list.size() > 1) msg::FatalStatus(EX_DATAERR, "bad -f option value: %s", o.sender.c_str());
    env.sender = list.empty() ? "" : list[0];
  } else {
    if (login.empty()) msg::FatalStatus(EX_NOUSER, "no login name found for user ID %lu", uid);
    env.sender = login;
  }
  std::string who = util::StrFormat("%s(%lu)", env.sender.empty() ? "<>" : env.sender.c_str(), uid);
  env.recipients = Recipients(o);
  if (env.recipients.empty() && !o.extract)
    msg::FatalStatus(EX_USAGE,
                     "%s: Recipient addresses must be specified on the command line or via "
                     "the -t option",
                     who.c_str());
  return Enqueue(*cfg, env, o, who);
}
