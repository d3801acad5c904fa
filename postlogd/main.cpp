// postlogd: the one writer of maillog_file (Postfix 3.4+ postlogd(8)).
//
// SYNOPSIS
//   master.cf:  postlog   unix-dgram n  -  n  -  1  postlogd
//
// DESCRIPTION
//   With maillog_file set, daemons send each log line as one datagram to
//   the postlog socket ($queue_directory/public/postlog, global/maillog.h);
//   postlogd appends each datagram to maillog_file as one whole line, with
//   one write(2), so lines never interleave however many processes log.
//   A datagram's trailing newline is dropped and any newline inside it is
//   replaced by a space, so one datagram is always one line. postlogd's own
//   messages are appended to the same file.
//
//   It runs on the trigger-server skeleton (server/trigger_server.h), which
//   reads datagrams on unix-dgram services: one request = one datagram.
//   It does not exit after max_use lines (only after max_idle seconds
//   without any), and when master closes the lifeline (stop, reload) it
//   writes every line already queued on the socket before exiting.
//
//   Log rotation: rename maillog_file, then `postfix reload` (as Postfix's
//   `postfix logrotate` does): the new postlogd opens a fresh file. In
//   addition postlogd notices within a second that the file it writes has
//   been renamed or removed and reopens the name (when its unprivileged
//   user may create it; otherwise it warns once and keeps the old file).
//
// PARAMETERS
//   maillog_file            the file (required: postlogd refuses to start
//                           without it)
//   maillog_file_prefixes   allowed prefixes of maillog_file (default
//                           "/var, /dev/stdout"); another file is fatal, as
//                           in Postfix: "maillog_file value '/tmp/x' does not
//                           match any prefix in maillog_file_prefixes (...)"
//   max_idle, syslog_name   as for every daemon
//
// DIAGNOSTICS
//   Problems are logged to the file itself (or syslog when it cannot be
//   opened) and to stderr when it is a terminal.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "global/maillog.h"
#include "server/trigger_server.h"
#include "util/msg.h"

namespace {

struct LogFile {
  std::string path;
  int fd = -1;
  std::chrono::steady_clock::time_point next_check;
  bool warned = false;

  void Open() {
    int nfd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (nfd < 0) {
      if (fd < 0) msg::Fatal("open maillog_file %s: %s", path.c_str(), strerror(errno));
      if (!warned) msg::Warn("reopen maillog_file %s: %s", path.c_str(), strerror(errno));
      warned = true;
      return;
    }
    if (fd >= 0) close(fd);
    fd = nfd;
    warned = false;
  }

  // Reopens the name when the file we hold is no longer the one it names.
  void CheckRotation() {
    auto now = std::chrono::steady_clock::now();
    if (now < next_check) return;
    next_check = now + std::chrono::seconds(1);
    struct stat by_name, by_fd;
    if (fstat(fd, &by_fd) < 0) return;
    if (stat(path.c_str(), &by_name) < 0 || by_name.st_ino != by_fd.st_ino ||
        by_name.st_dev != by_fd.st_dev) {
      Open();
    }
  }

  void Append(std::string_view datagram) {
    while (!datagram.empty() && (datagram.back() == '\n' || datagram.back() == '\r')) {
      datagram.remove_suffix(1);
    }
    std::string line(datagram);
    for (char& c : line) {
      if (c == '\n') c = ' ';
    }
    line += '\n';
    CheckRotation();
    std::string_view rest = line;
    while (!rest.empty()) {
      ssize_t n = write(fd, rest.data(), rest.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        if (!warned) msg::Warn("write maillog_file %s: %s", path.c_str(), strerror(errno));
        warned = true;
        return;
      }
      rest.remove_prefix(static_cast<size_t>(n));
    }
  }
};

LogFile log_file;

}  // namespace

int main(int argc, char** argv) {
  server::TriggerServerHooks hooks;
  hooks.postlogd = true;
  hooks.ignore_max_use = true;
  hooks.never_busy = true;
  hooks.pre_init = [](server::Server& s) {
    log_file.path = s.config().Get("maillog_file");
    if (log_file.path.empty()) msg::Fatal("maillog_file is empty: nothing to write to");
    if (util::Status st = maillog::CheckMaillogFile(s.config()); !st.ok()) {
      msg::Fatal("%s", st.message().c_str());
    }
    log_file.Open();  // still privileged: the file may be in a root-only directory
  };
  hooks.service = [](std::string_view datagram, server::Server&) { log_file.Append(datagram); };
  server::RunTriggerServer(argc, argv, hooks);
}
