// mail_queue_dirs: the directory tree of one instance (queue_directory and
// its subdirectories, data_directory) with Postfix's owners and modes, as
// listed in Postfix's postfix-files:
//
//   queue_directory            root        755
//   .../pid                    root        755
//   .../maildrop               mail_owner  730  group setgid_group
//   .../public                 mail_owner  710  group setgid_group
//   .../private, incoming, active, deferred, hold, corrupt, defer, bounce,
//       trace, saved, flush    mail_owner  700
//   data_directory             mail_owner  700
//
// `postfix check` and `postfix start` create what is missing, `postfix
// set-permissions` also fixes existing directories, master makes sure the
// ones it needs exist. Running as an ordinary user nothing is chown'ed: the
// tree belongs to that user (mail_owner and setgid_group are ignored).
//
//   auto owners = mail_queue_dirs::LookupOwners(cfg);   // fatal-worthy error if unknown
//   auto dirs = mail_queue_dirs::Directories(cfg, *owners);
//   util::Status st = mail_queue_dirs::Create(dirs, /*fix=*/false);
//   for (auto& problem : mail_queue_dirs::Check(dirs)) msg::Warn("%s", problem.c_str());
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "global/config.h"
#include "util/status.h"

namespace mail_queue_dirs {

struct Owners {
  bool privileged = false;  // running as root: chown to the users below
  uid_t mail_uid = 0;       // mail_owner (or the current user)
  gid_t mail_gid = 0;       // mail_owner's primary group
  gid_t setgid_gid = 0;     // setgid_group
  std::string mail_owner;   // the name, for messages
  std::string setgid_group;
};

// Looks up mail_owner and setgid_group when running as root; otherwise
// returns the current user for both. Errors (kFailedPrecondition):
//   "file DIR/main.cf: parameter mail_owner: unknown user name value: NAME"
//   "file DIR/main.cf: parameter setgid_group: unknown group name: NAME"
util::StatusOr<Owners> LookupOwners(const config::Config& cfg);

struct Dir {
  std::string path;
  mode_t mode = 0700;
  uid_t uid = static_cast<uid_t>(-1);  // -1: do not chown
  gid_t gid = static_cast<gid_t>(-1);
  std::string owner;  // "root" or the mail_owner name, for messages
};

// The directories of the instance, parents first.
std::vector<Dir> Directories(const config::Config& cfg, const Owners& owners);

// Creates the missing directories; with `fix`, also sets the owner and mode
// of existing ones. Stops at the first error ("mkdir PATH: Permission denied").
util::Status Create(const std::vector<Dir>& dirs, bool fix);

// Problems with existing directories, one message each: "not owned by
// NAME: PATH", "group or other writable: PATH", "missing directory: PATH",
// "not a directory: PATH".
std::vector<std::string> Check(const std::vector<Dir>& dirs);

}  // namespace mail_queue_dirs
