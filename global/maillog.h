// maillog: where a program's log lines go, decided once from main.cf.
//
// Every program calls maillog::Init right after loading its configuration:
//   maillog::Init("smtpd", cfg, maillog::Mode::kDaemon);
// It sets the program name and syslog_name (so lines read
// "postfix/smtpd[PID]: ..." or, with `-o syslog_name=postfix/submission`,
// "postfix/submission/smtpd[PID]") and the sinks; the -v verbosity is the
// caller's (msg::SetVerbose) and is left alone. Sinks:
//   - maillog_file empty: syslog, facility mail (and stderr for commands);
//   - maillog_file set, kDaemon: whole lines to the postlog service
//     ($queue_directory/public/postlog, unix-dgram), so one writer
//     (postlogd) appends them and lines never interleave; if that socket is
//     not there (postlogd not running), lines are appended to the file
//     directly, one write(2) of a whole line each;
//   - maillog_file set, kCommand (postfix, postmap, sendmail, postqueue...,
//     which may run without master): direct appends of whole lines, plus
//     stderr for the person running the command.
// postlogd itself uses kPostlogd: it writes the file and never sends to its
// own socket. Daemons also write stderr when it is a terminal (run by hand);
// commands always do. A file that cannot be opened falls back to syslog
// with a warning. Init may be called again (after -o overrides, reload).
//
// The daemon-side sender never blocks for long: when postlogd's queue is
// full it waits up to 100 ms for room; when there is still none, or no
// postlogd socket, the line is appended to the file directly (and for the
// next second lines go there without waiting), so no line is lost.
#pragma once

#include <string>
#include <string_view>

#include "global/config.h"
#include "util/status.h"

namespace maillog {

enum class Mode { kDaemon, kCommand, kPostlogd };

void Init(std::string_view program, const config::Config& cfg, Mode mode);

// The postlog socket path for a configuration ($queue_directory/public/postlog).
std::string PostlogSocketPath(const config::Config& cfg);

// True when `path` begins with one of the `prefixes` (a Postfix list, as in
// maillog_file_prefixes = /var, /dev/stdout).
bool PathAllowed(std::string_view path, std::string_view prefixes);

// kFailedPrecondition "maillog_file value 'X' does not match any prefix in
// maillog_file_prefixes (P)" when maillog_file is set outside the allowed
// prefixes (Postfix's safety check; postlogd refuses to start). OK otherwise.
util::Status CheckMaillogFile(const config::Config& cfg);

}  // namespace maillog
