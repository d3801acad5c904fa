// command: runs one delivery command for local(8) (mailbox_command, and
// "|command" in aliases, :include: files and .forward files) the way
// Postfix's pipe_command does, and maps its exit status to a delivery
// outcome.
//
//   CommandSpec c;
//   c.command = "/usr/bin/procmail -a $EXTENSION"; c.uid = 1001; c.gid = 1001;
//   c.env = {"HOME=" + home, ...}; c.time_limit = 1000; c.cwd = home;
//   mailbox::Result r = RunCommand(c, [&](int fd) { return write message to fd; });
//
// The command runs under `shell -c COMMAND` (local_command_shell, default
// /bin/sh), in a new process group, with the given environment only, in
// `cwd` (falling back to "/" when it cannot be entered), with the user's
// uid, gid and supplementary groups when the agent runs as root. Its
// standard input is the message (written by `feed` into a pipe), its
// standard output and error are collected (the first 2000 bytes) for the
// bounce text. After `time_limit` seconds the whole process group is
// killed.
//
// Outcomes (Postfix's texts and DSN codes):
//   exit 0:            sent "delivered to command: COMMAND"
//   sysexits codes:    the sysexits text, e.g. 67 EX_NOUSER bounced 5.1.1
//                      "user unknown", 75 EX_TEMPFAIL deferred 4.3.0
//                      "temporary failure"; 71 EX_OSERR deferred too;
//                      the others bounce (64-78, see sysexits.h)
//   other exit codes:  bounced 5.3.0 "Command died with status N: \"COMMAND\""
//   killed by signal:  bounced 5.3.0 "Command died with signal N: \"COMMAND\""
//   time limit:        bounced 5.3.0 "Command time limit exceeded: \"COMMAND\""
//   cannot fork/pipe:  deferred 4.3.0
// A failure text gets ". Command output: OUTPUT" appended when the
// command printed anything (control characters such as newlines become
// spaces, as in Postfix: "nope\n" gives "...output: nope ").
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "global/mailbox_result.h"

namespace local_agent {

struct CommandSpec {
  std::string command;
  std::string shell = "/bin/sh";
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user;  // for supplementary groups (initgroups); may be empty
  std::string cwd;
  std::vector<std::string> env;  // NAME=VALUE
  long long time_limit = 1000;   // seconds
};

// `feed` writes the message to the descriptor and returns 0 or an errno
// (EPIPE from a command that did not read its input is not an error).
// SIGPIPE is ignored from the first call on.
mailbox::Result RunCommand(const CommandSpec& spec, const std::function<int(int fd)>& feed);

}  // namespace local_agent
