// postdrop - the mail posting utility (Postfix's postdrop(1)).
//
// SYNOPSIS
//   postdrop [-rv] [-c config_dir]
//
// DESCRIPTION
//   Reads one message as a record stream on standard input (the format of
//   global/maildrop_stream.h, written by sendmail), checks every record, and
//   stores it as a new queue file in $queue_directory/maildrop with
//   queue_file::Writer: the file is mode 0600 while being written and gets
//   its ready bit only after everything is synced, so pickup never sees a
//   half-written file; it is then made readable (0744) for pickup, which
//   runs as mail_owner (as Postfix, whose maildrop files are world-readable
//   inside the closed maildrop/ directory). Then it wakes the pickup service ('W' on
//   public/$pickup_service_name), as Postfix's postdrop does: postdrop, not
//   sendmail, holds the group privilege to reach public/.
//
//   The arrival time is postdrop's own clock, not the one in the stream.
//   When the input is malformed or incomplete (EOF before the end record),
//   or when postdrop receives HUP, INT, QUIT or TERM, the file is removed. A
//   postdrop killed with SIGKILL leaves a file without the ready bit, which
//   pickup ignores (postsuper -p removes such leftovers).
//
// OPTIONS
//   -c DIR  configuration directory (also $MAIL_CONFIG). When postdrop runs
//           set-gid and the invoker is not root, a non-default directory
//           must be listed in alternate_config_directories or
//           multi_instance_directories of the default main.cf.
//   -r      Postfix-internal protocol (global/postdrop_client.h): as soon
//           as the maildrop file exists, before reading the message, print
//           the attribute list {queue_id=ID} (util/attr.h encoding) on
//           standard output, so that the submitting program knows the ID
//           while it writes (smtpd -S puts it in its Received: header); the
//           exit status then says whether the message was queued. Without
//           -r nothing is printed.
//   -v      verbose logging (root only when set-gid).
//
// EXIT STATUS (sysexits.h)
//   0 queued; EX_USAGE (64) bad options; EX_DATAERR (65) malformed input or
//   message larger than message_size_limit; EX_TEMPFAIL (75) queue problems
//   (cannot create or write the maildrop file); EX_NOPERM (77) the invoker
//   is not in authorized_submit_users ("fatal: User NAME(UID) is not
//   allowed to submit mail"); 1 configuration errors.
//
// SECURITY
//   Descriptors 0-2 closed by the invoker are opened on /dev/null before
//   anything else; the environment is reduced to import_environment once
//   main.cf is read.
//   Diagnostics go to stderr and the mail log: "postdrop: fatal: uid=1000:
//   malformed input: missing sender record".
//
// INSTALLATION
//   As with Postfix, maildrop/ is mode 730 owned by mail_owner, group
//   setgid_group (default "postdrop"), and postdrop is installed set-gid to
//   that group (`chgrp postdrop postdrop; chmod 2755 postdrop`): `make
//   install` does this when run as root, and prints the commands otherwise.
//   Run by an ordinary user for a private instance (tests, demo) it is a
//   plain program writing into that user's queue.
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sysexits.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "global/build_config.h"
#include "global/config.h"
#include "global/mail_queue.h"
#include "global/mail_trigger.h"
#include "global/maildrop_stream.h"
#include "global/maillog.h"
#include "global/param_usage.h"
#include "global/queue_file.h"
#include "global/user_acl.h"
#include "util/attr.h"
#include "util/files.h"
#include "util/msg.h"
#include "util/process.h"
#include "util/strings.h"

namespace {

// The file being written, removed by any fatal error and by the signal handler.
char g_path[4096];

void RemoveFile() {
  if (g_path[0]) unlink(g_path);
  g_path[0] = 0;
}

void OnSignal(int sig) {
  if (g_path[0]) unlink(g_path);
  _exit(128 + sig);
}

[[noreturn]] void Usage() { msg::FatalStatus(EX_USAGE, "usage: postdrop [-rv] [-c config_dir]"); }

// Set-gid: a non-default configuration directory must be authorized by the
// default main.cf (Postfix 3.2+), unless the invoker is root.
void CheckConfigDir(const std::string& dir) {
  if (dir == MTA_CONFIG_DIR || getuid() == 0) return;
  auto def = config::Config::Load(MTA_CONFIG_DIR);
  if (def.ok()) {
    for (config::AnyParam param : {config::AnyParam("alternate_config_directories"),
                                   config::AnyParam("multi_instance_directories")}) {
      for (const std::string& d : def->GetList(param)) {
        if (d == dir) return;
      }
    }
  }
  msg::FatalStatus(EX_USAGE, "unauthorized configuration directory name: %s", dir.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything is opened: a closed 0, 1 or 2 must not become the
  // queue file (set-gid: the invoker chooses our descriptors).
  util::OpenStandardFds();
  msg::Init("postdrop");
  msg::SetFatalCleanup(RemoveFile);
  umask(077);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM}) sigaction(sig, &sa, nullptr);

  bool privileged = getegid() != getgid() || geteuid() != getuid();
  std::string cli_dir;
  bool report = false;
  int verbose = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      if (i + 1 < argc) Usage();
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') Usage();
    for (size_t j = 1; j < arg.size(); ++j) {
      char c = arg[j];
      if (c == 'r') {
        report = true;
      } else if (c == 'v') {
        ++verbose;
      } else if (c == 'c') {
        if (j + 1 < arg.size()) {
          cli_dir = std::string(arg.substr(j + 1));
        } else if (i + 1 < argc) {
          cli_dir = argv[++i];
        } else {
          fprintf(stderr, "postdrop: option requires an argument -- 'c'\n");
          Usage();
        }
        break;
      } else {
        fprintf(stderr, "postdrop: invalid option -- '%c'\n", c);
        Usage();
      }
    }
  }
  std::string dir = config::ConfigDirectory(cli_dir);
  if (privileged) {
    CheckConfigDir(dir);
    if (verbose && getuid() != 0)
      msg::FatalStatus(EX_USAGE, "-v option is available for root only");
  }
  auto cfg = config::Config::Load(dir);
  if (!cfg.ok()) msg::Fatal("%s", cfg.status().message().c_str());
  if (util::Status st = cfg->Declare(param_usage::Declared("postdrop"), "postdrop"); !st.ok())
    msg::Fatal("%s", st.message().c_str());
  // The invoker chooses our environment too: keep only import_environment.
  util::CleanEnvironment(cfg->GetList("import_environment"));
  maillog::Init("postdrop", *cfg, maillog::Mode::kCommand);
  msg::SetVerbose(verbose);
  user_acl::RequireSubmitAllowed(*cfg);
  const unsigned long uid = getuid();

  auto writer =
      queue_file::Writer::Create(mail_queue::Layout::FromConfig(*cfg), mail_queue::kMaildrop);
  if (!writer.ok())
    msg::FatalStatus(EX_TEMPFAIL, "uid=%lu: cannot create a file in maildrop: %s", uid,
                     writer.status().message().c_str());
  snprintf(g_path, sizeof g_path, "%s", writer->path().c_str());
  if (msg::Verbose()) msg::Info("uid=%lu: queue file %s", uid, writer->path().c_str());
  if (report) {
    std::string out = util::EncodeAttrList(util::AttrList{{"queue_id", writer->id()}});
    if (!util::WriteAll(1, out, "standard output").ok())
      msg::FatalStatus(EX_TEMPFAIL, "uid=%lu: cannot report the queue ID", uid);
  }

  const long long size_limit = cfg->GetInt("message_size_limit");
  maildrop::Validator validator;
  util::RecordDecoder decoder(queue_file::kMaxSegment);
  queue_file::Recipient pending;
  std::string partial;  // L segments of the line in progress
  uint64_t size = 0;
  char buf[65536];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      msg::FatalStatus(EX_TEMPFAIL, "uid=%lu: read standard input: %s", uid, strerror(errno));
    }
    if (n == 0) break;
    decoder.Feed(std::string_view(buf, static_cast<size_t>(n)));
    util::Record rec;
    for (;;) {
      auto got = decoder.Next(&rec);
      if (!got.ok())
        msg::FatalStatus(EX_DATAERR, "uid=%lu: malformed input: %s", uid,
                         got.status().message().c_str());
      if (!*got) break;
      if (util::Status s = validator.Next(rec); !s.ok())
        msg::FatalStatus(EX_DATAERR, "uid=%lu: malformed input: %s", uid, s.message().c_str());
      switch (rec.type) {
        case queue_file::kTime: {
          struct timeval tv;
          gettimeofday(&tv, nullptr);
          writer->SetArrival(tv.tv_sec, tv.tv_usec);
          break;
        }
        case queue_file::kAttr: {
          size_t eq = rec.data.find('=');
          writer->AddAttr(std::string_view(rec.data).substr(0, eq),
                          std::string_view(rec.data).substr(eq + 1));
          break;
        }
        case queue_file::kSender:
          writer->SetSender(rec.data);
          break;
        case queue_file::kOriginal:
          pending.original = rec.data;
          break;
        case queue_file::kDsnOrcpt:
          pending.dsn_orcpt = rec.data;
          break;
        case queue_file::kDsnNotify:
          pending.dsn_notify = static_cast<int>(util::ParseInt(rec.data).value_or(0));
          break;
        case queue_file::kRecipient:
          pending.address = rec.data;
          writer->AddRecipient(pending);
          pending = queue_file::Recipient();
          break;
        case queue_file::kMessage:
          writer->BeginContent();
          break;
        case queue_file::kSegment:
        case queue_file::kLine:
          size += rec.data.size() + (rec.type == queue_file::kLine);
          if (size_limit > 0 && size > static_cast<uint64_t>(size_limit))
            msg::FatalStatus(EX_DATAERR,
                             "uid=%lu: message file too big (message_size_limit = %lld)", uid,
                             size_limit);
          if (rec.type == queue_file::kSegment) {
            partial += rec.data;
          } else if (partial.empty()) {
            writer->AddLine(rec.data);
          } else {
            partial += rec.data;
            writer->AddLine(partial);
            partial.clear();
          }
          break;
        default:  // X and E: the writer makes its own
          break;
      }
    }
  }
  if (util::Status s = decoder.AtEof(); !s.ok())
    msg::FatalStatus(EX_DATAERR, "uid=%lu: malformed input: %s", uid, s.message().c_str());
  if (util::Status s = validator.Finish(); !s.ok())
    msg::FatalStatus(EX_DATAERR, "uid=%lu: malformed input: %s", uid, s.message().c_str());

  auto id = writer->Finish();
  if (!id.ok())
    msg::FatalStatus(EX_TEMPFAIL, "uid=%lu: queue file write error: %s", uid,
                     id.status().message().c_str());
  g_path[0] = 0;  // the file is now pickup's
  // The file belongs to the submitting user; pickup runs as mail_owner and
  // must be able to read it (maildrop/ itself is closed to other users).
  // Until this chmod a scan may find it unreadable and retries later.
  if (chmod(writer->path().c_str(), 0744) != 0)
    msg::Warn("chmod %s: %s", writer->path().c_str(), strerror(errno));

  // Wake pickup now rather than at its next timer (Postfix's warning text
  // when the mail system is down).
  std::string service = cfg->Get("pickup_service_name");
  util::Status t = mail_trigger::Trigger(mail_trigger::ServicePath(*cfg, true, service), "W",
                                         std::chrono::seconds(cfg->GetTime("trigger_timeout")));
  if (t.code() == util::Code::kNotFound)
    msg::Warn("unable to look up public/%s: %s", service.c_str(), strerror(ENOENT));
  else if (!t.ok())
    msg::Warn("connect to public/%s: %s", service.c_str(), t.message().c_str());
  return 0;
}
