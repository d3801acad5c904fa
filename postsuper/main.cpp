// postsuper - queue maintenance for the administrator (Postfix's
// postsuper(1)).
//
// SYNOPSIS
//   postsuper [-psSv] [-c config_dir] [-d queue_id] [-e queue_id]
//             [-f queue_id] [-h queue_id] [-H queue_id] [-r queue_id]
//             [queue ...]
//
// DESCRIPTION
//   Run by the superuser (it then works as mail_owner) or by mail_owner;
//   an ordinary user may run it on an instance whose queue belongs to
//   that user (tests, the demo). Anyone else: "fatal: use of this command
//   is reserved for the superuser".
//
//   A queue_id of "ALL" (upper case) means every message of the queues;
//   "-" reads queue IDs from standard input, one per line. Each option
//   may be repeated. Queue arguments (maildrop incoming active deferred
//   hold corrupt) replace each operation's default queues; another name is
//   fatal ("invalid directory name: NAME").
//
//   -d ID   delete (default queues: hold incoming active deferred), with
//           the message's defer, bounce and trace logs: "ID: removed".
//   -h ID   put on hold (default: incoming active deferred): "ID: placed
//           on hold".
//   -H ID   release from hold (default: hold) into deferred/, where qmgr
//           finds it at its next deferred scan: "ID: released from hold".
//   -r ID   requeue (default: hold incoming active deferred): the message
//           (its live recipients, attributes, arrival time and content) is
//           sent again through the cleanup service (global/cleanup_client.h)
//           so that address rewriting and virtual_alias_maps apply anew,
//           as in Postfix; the old file is removed only once cleanup has
//           queued the copy (a crash in between can duplicate, never lose
//           a message): "ID: requeued". Unlike Postfix, which moves the file
//           to maildrop/ for pickup, this needs a running mail system
//           (better: the administrator learns at once whether it worked,
//           and a copy is never half-made); without one: "warning: ID: not
//           requeued: cleanup service unavailable: ..." and the message
//           stays where it was.
//   -s, -S  structure check and repair: files whose name does not match
//           their inode are renamed (and their logs with them): "Renamed to
//           match inode number: N messages"; with enable_long_queue_ids =
//           no long names become short ones; files in the wrong hash
//           directory are moved; hash directories no longer used are
//           removed; other names are reported: "warning: bogus file name:
//           QUEUE/NAME".
//   -p      purge: temporary names left by mail_queue::CreateQueueFile
//           (".tmp.*", older than 60 s or already linked to their queue
//           ID) and queue files never marked ready (queue_file.h) that
//           nobody has written to for a day (Postfix's limit; longer than
//           daemon_timeout + 1 h, the longest a cleanup can live) are
//           removed: "warning: removed temporary file: QUEUE/NAME",
//           "warning: removed incomplete queue file: QUEUE/ID".
//   Without any option postsuper does -s and -p, as Postfix. -s and -p run
//   first, then -d, -e/-f, -h, -H and -r in that order. Each requested operation
//   ends with its summary: "Deleted: N messages", "Placed on hold: N
//   messages", "Released from hold: N messages", "Requeued: N messages"
//   ("1 message"). Per-message lines are given for IDs named on the
//   command line or standard input, not for ALL. Everything goes to
//   stderr and the mail log ("postfix/postsuper[PID]: ID: removed").
//
//   Safe while the system runs: moves are renames that never replace a
//   file, and the locking contract with qmgr is in postsuper/operations.h.
//
// EXIT STATUS
//   0, or 1 after a fatal error or when some operation failed.
//
//   -e ID   forced expiration (default: hold incoming active deferred; Postfix
//           3.5): the file gets the expire bit (mail_queue::kStatExpire),
//           "ID: expired", and qmgr returns it to the sender at its next
//           attempt ("status=force-expired, returned to sender"; the reason
//           is the last delay's, else "message is administratively
//           expired"). A held message waits for its release.
//   -f ID   the same, and a held message is released into deferred/ as well
//           ("ID: released from hold"). Summary: "Force-expired: N
//           messages" (and "Released from hold: N messages" for -f).
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "global/mail_queue.h"
#include "global/mail_queue_dirs.h"
#include "global/maillog.h"
#include "global/param_usage.h"
#include "postsuper/operations.h"
#include "util/msg.h"
#include "util/strings.h"

namespace {

[[noreturn]] void Usage() {
  msg::Fatal(
      "usage: postsuper [-c config_dir] [-d queue_id (delete)] [-e queue_id (expire)] "
      "[-f queue_id (expire and/or un-hold)] [-h queue_id (hold)] [-H queue_id (un-hold)] "
      "[-p (purge temporary files)] [-r queue_id (requeue)] [-s (structure fix)] "
      "[-S (redundant structure fix)][-v (verbose)] [queue...]");
}

// Root becomes mail_owner; others must own the queue.
void DropPrivileges(const config::Config& cfg) {
  if (geteuid() == 0) {
    auto owners = mail_queue_dirs::LookupOwners(cfg);
    if (!owners.ok()) msg::Fatal("%s", owners.status().message().c_str());
    if (owners->mail_uid == 0) return;
    if (setgroups(0, nullptr) < 0 || setgid(owners->mail_gid) < 0 || setuid(owners->mail_uid) < 0)
      msg::Fatal("cannot change to user %s: %m", owners->mail_owner.c_str());
    return;
  }
  struct stat st;
  std::string incoming = cfg.Get("queue_directory") + "/incoming";
  if (stat(incoming.c_str(), &st) < 0 || st.st_uid != geteuid())
    msg::Fatal("use of this command is reserved for the superuser");
}

struct Request {
  char op;  // d e f h H r
  std::string id;
};

std::string Plural(int n) { return util::StrFormat("%d message%s", n, n == 1 ? "" : "s"); }

}  // namespace

int main(int argc, char** argv) {
  msg::Init("postsuper");
  std::string config_dir;
  std::vector<Request> requests;
  bool structure = false, purge = false;
  int verbose = 0;
  int c;
  opterr = 0;
  while ((c = getopt(argc, argv, "c:d:e:f:h:H:pr:sSv")) != -1) {
    switch (c) {
      case 'c':
        config_dir = optarg;
        break;
      case 'd':
      case 'e':
      case 'f':
      case 'h':
      case 'H':
      case 'r':
        requests.push_back({static_cast<char>(c), optarg});
        break;
      case 'p':
        purge = true;
        break;
      case 's':
      case 'S':
        structure = true;
        break;
      case 'v':
        ++verbose;
        break;
      default:
        if (std::string_view("cdefhHr").find(static_cast<char>(optopt)) != std::string_view::npos) {
          fprintf(stderr, "postsuper: option requires an argument -- '%c'\n", optopt);
        } else {
          fprintf(stderr, "postsuper: invalid option -- '%c'\n", optopt);
        }
        Usage();
    }
  }
  if (requests.empty() && !structure && !purge) structure = purge = true;

  auto cfg = config::Config::Load(config::ConfigDirectory(config_dir));
  if (!cfg.ok()) msg::Fatal("%s", cfg.status().message().c_str());
  if (util::Status st = cfg->Declare(param_usage::Declared("postsuper"), "postsuper"); !st.ok())
    msg::Fatal("%s", st.message().c_str());
  maillog::Init("postsuper", *cfg, maillog::Mode::kCommand);
  msg::SetVerbose(verbose);

  std::vector<std::string_view> named_queues;
  for (int i = optind; i < argc; ++i) {
    const auto& all = mail_queue::MessageQueues();
    auto it = std::find(all.begin(), all.end(), std::string_view(argv[i]));
    if (it == all.end()) msg::Fatal("invalid directory name: %s", argv[i]);
    named_queues.push_back(*it);
  }
  DropPrivileges(*cfg);
  if (chdir(cfg->Get("queue_directory").c_str()) < 0)
    msg::Fatal("chdir %s: %m", cfg->Get("queue_directory").c_str());

  postsuper::Operations ops(*cfg, mail_queue::Layout::FromConfig(*cfg));
  bool errors = false;
  if (structure) {
    postsuper::Totals t;
    int renamed = ops.CheckStructure(&t);
    errors |= t.errors;
    if (renamed > 0) {
      msg::Info("Renamed to match inode number: %s", Plural(renamed).c_str());
      msg::Warn("QUEUE FILE NAMES WERE CHANGED TO MATCH INODE NUMBERS");
    }
  }
  if (purge) {
    postsuper::Totals t;
    ops.Purge(&t);
    errors |= t.errors;
  }

  // Standard input is read once, by the first "-".
  std::vector<std::string> stdin_ids;
  bool stdin_read = false;
  struct Op {
    char op;
    const char* summary;
    std::vector<std::string_view> defaults;
  };
  const std::vector<Op> order = {
      {'d',
       "Deleted",
       {mail_queue::kHold, mail_queue::kIncoming, mail_queue::kActive, mail_queue::kDeferred}},
      {'e',
       "Force-expired",
       {mail_queue::kHold, mail_queue::kIncoming, mail_queue::kActive, mail_queue::kDeferred}},
      {'h', "Placed on hold", {mail_queue::kIncoming, mail_queue::kActive, mail_queue::kDeferred}},
      {'H', "Released from hold", {mail_queue::kHold}},
      {'r',
       "Requeued",
       {mail_queue::kHold, mail_queue::kIncoming, mail_queue::kActive, mail_queue::kDeferred}},
  };
  for (const Op& op : order) {
    bool requested = false;
    postsuper::Totals t, released;
    const std::vector<std::string_view>& queues = named_queues.empty() ? op.defaults : named_queues;
    char op_char = op.op;  // 'e' stands for -e and -f: the request says which
    auto apply = [&](const std::string& id, bool named, std::string_view listed_in = {}) {
      switch (op_char) {
        case 'd':
          ops.Delete(queues, id, named, &t, listed_in);
          break;
        case 'h':
          ops.Hold(queues, id, named, &t);
          break;
        case 'H':
          ops.Release(queues, id, named, &t);
          break;
        case 'r':
          ops.Requeue(queues, id, named, &t);
          break;
        case 'e':
        case 'f':
          ops.Expire(queues, id, named, op_char == 'f', &t, &released);
          break;
      }
    };
    auto named = [&](const std::string& id) {
      if (!postsuper::IdOk(id)) {
        msg::Warn("invalid mail queue id: %s", id.c_str());
        return;
      }
      apply(id, true);
    };
    for (const Request& r : requests) {
      if (r.op != op.op && !(op.op == 'e' && r.op == 'f')) continue;
      op_char = r.op;
      requested = true;
      if (r.id == "ALL") {
        for (std::string_view q : queues)
          for (const std::string& id : ops.List(q)) apply(id, false, q);
      } else if (r.id == "-") {
        if (!stdin_read) {
          stdin_read = true;
          std::string line;
          while (std::getline(std::cin, line)) {
            std::string id(util::Trim(line));
            if (!id.empty()) stdin_ids.push_back(id);
          }
        }
        for (const std::string& id : stdin_ids) named(id);
      } else {
        named(r.id);
      }
    }
    if (requested) msg::Info("%s: %s", op.summary, Plural(t.changed).c_str());
    if (released.changed > 0) msg::Info("Released from hold: %s", Plural(released.changed).c_str());
    errors |= t.errors || released.errors;
  }
  return errors ? 1 : 0;
}
